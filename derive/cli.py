"""Command line: ``python -m derive [COMMAND] ...``.

With no command, derives and verifies everything built in (the main job).
Each command lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches and turns user errors into one
line and exit status 2. Output cut short by the reader (``python -m derive | head``)
ends quietly with status 141 (128 + SIGPIPE, as a shell reports a command killed by
it), never with a traceback.

>>> "--network" in build_parser().format_help()   # verify's options, shown at the top
True
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from derive.errors import UsageError

__all__ = ["main", "build_parser"]

# command name -> (module, one-line help)
COMMANDS = {
    "verify": ("derive.mainjob", "derive and prove every built-in gradient (the default)"),
    "latex": ("derive.latex_cli", "print the derived gradients of an output/loss pair or a layer"),
    "claims": ("derive.claims", "check every claim of the reference note and print verdicts"),
    "report": ("derive.report", "write the verified, corrected note with plots"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _names_epilog() -> str:
    try:
        from derive import catalog

        return catalog.describe()
    except Exception:  # pragma: no cover - help must never crash
        return ""


def _verify_options(sub_parser) -> str:
    """The options section of ``verify``'s help, for the top-level ``--help``."""
    text = sub_parser.format_help()
    start = text.find("options:")
    body = text[start:].split("\n\n")[0] if start >= 0 else ""
    lines = [line for line in body.splitlines()[1:] if "-h, --help" not in line
             and "show this help message" not in line]
    return "options of verify, the default command (python -m derive [verify] ...):\n" + \
        "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m derive",
        description=(
            "Derive the backpropagation equations with SymPy, prove them exactly, "
            "cross-check them numerically and print them in the reference note's "
            "notation. With no command: derive and verify everything built in."
        ),
        epilog=_names_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(
            name,
            help=help_text,
            description=(module.__doc__ or help_text).strip().splitlines()[0],
            epilog=_names_epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_module=module)
        if name == "verify":
            parser.epilog = _verify_options(p) + "\n\n" + (parser.epilog or "")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for a usage error)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader closed the pipe (| head): stop quietly, and keep Python's final
        # flush of stdout from raising again
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # pragma: no cover - stdout replaced (tests)
            pass
        return 141


def _main(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["verify", *argv]
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        args = parser.parse_args(["verify"])
    try:
        return int(args._module.run(args) or 0)
    except UsageError as exc:
        print(f"python -m derive {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
