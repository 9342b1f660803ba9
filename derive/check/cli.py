"""Verify a derivation written in Markdown/LaTeX, link by link.

``python -m derive check NOTE.md [--format text|json|markdown|html] [--latex]
[--sizes 2,3,2,3] [--out FILE] [--verbose]``; ``-`` reads standard input. Exit status
0 if no link is refuted, 1 if one is, 2 for a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from derive.check import output
from derive.check.document import check_text
from derive.check.world import DEFAULT_SIZES
from derive.errors import UsageError

__all__ = ["add_arguments", "read_input", "run"]

FORMATS = ("text", "json", "markdown", "html")
_MAX_SIZE = 6


def add_arguments(parser) -> None:
    parser.add_argument("note", metavar="NOTE.md", help="the document to check (- for stdin)")
    parser.add_argument("--format", default="text", choices=FORMATS,
                        help="text (default): one line per link; json: the machine interface; "
                             "markdown/html: the document with its verdicts")
    parser.add_argument("--latex", action="store_true",
                        help="the input is a LaTeX fragment (one display block), not Markdown")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="layer sizes n_0,...,n_L of the symbolic network "
                             "(default %%(default)s; each 1..%d)" % _MAX_SIZE)
    parser.add_argument("--out", metavar="FILE", help="write there instead of standard output")
    parser.add_argument("--verbose", action="store_true",
                        help="text: full reasons, counterexamples, definitions")


def _sizes(text: str) -> tuple:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise UsageError("--sizes", "comma-separated integers such as 2,3,2,3", repr(text))
    if len(sizes) < 2 or any(not 1 <= s <= _MAX_SIZE for s in sizes) or len(sizes) > 5:
        raise UsageError("--sizes", f"2 to 5 layer sizes, each 1..{_MAX_SIZE}", repr(text))
    return sizes


def read_input(note: str, latex: bool = False) -> str:
    """The document's text (``-``: stdin); ``latex=True`` wraps it as one display block."""
    if note == "-":
        text = sys.stdin.read()
    else:
        path = Path(note)
        if not path.is_file():
            raise UsageError("NOTE.md", "a readable file (or - for standard input)",
                             f"{note!r} ({'a directory' if path.is_dir() else 'not found'})")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError("NOTE.md", "a UTF-8 text file", f"{note!r} (not UTF-8)")
    return "$$" + text + "$$" if latex else text


def run(args) -> int:
    sizes = _sizes(args.sizes)
    if args.out and Path(args.out).is_dir():
        raise UsageError("--out", "a file path", f"the directory {args.out}")
    doc = check_text(read_input(args.note, args.latex), sizes)
    render = {"text": lambda d: output.text(d, args.verbose), "json": output.json_text,
              "markdown": output.markdown, "html": output.html}[args.format]
    result = render(doc)
    if args.out:
        Path(args.out).write_text(result, encoding="utf-8")
        print(output.summary(doc))
    else:
        sys.stdout.write(result if result.endswith("\n") else result + "\n")
    return 1 if doc.counts()["refuted"] else 0
