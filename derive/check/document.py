r"""Read a Markdown derivation, keep its definitions, check every chain link by link.

Math is found in ``$$...$$`` (and ``\[...\]``) display blocks -- with ``aligned``,
``alignedat``, ``align``, ``array``, ``gathered`` or ``split`` rows, several equations
on a row separated by ``\quad`` -- in ``$...$`` inline math and in table rows. Block
quotes (``>``) and fenced code are handled; positions are (line, column) in the file.

Definitions (``z^l_j = ...``, ``a^l_j = \sigma(z^l_j)``, an output function
``a^L = ...``, a loss ``C = ...``, ``\delta^l_j \equiv ...``, ``\Delta W = ...``)
change the world for what follows; inside a table row they hold for that row only
(one output/loss pair per row). Every other chain is checked link by link.

>>> doc = check_text(r'''
... $$\frac{\partial C}{\partial b^l_j} = \delta^l_j = -\frac{\partial C}{\partial z^l_j}$$
... ''')
>>> [(r.link, r.verdict) for r in doc.links]
[(1, 'proved'), (2, 'refuted')]
>>> doc.links[1].line
2
"""

from __future__ import annotations

import bisect
import re
import time
from dataclasses import dataclass, field

import sympy as sp

from derive.check.define import define
from derive.check.evaluate import Evaluator
from derive.check.parse import NOT_KATEX, RELATIONS, NotUnderstood, parse_chain, tokenize
from derive.check.verify import NOT_UNDERSTOOD, PROVED, REFUTED, LinkResult, check_link
from derive.check.world import DEFAULT_SIZES, World

__all__ = ["CheckedDocument", "Formula", "Link", "check_text", "extract"]

_ENVS = r"(aligned|alignedat|align\*?|array|gathered|gather\*?|split|eqnarray\*?|equation\*?)"
_ENV = re.compile(r"\\begin\{%s\}(\{[^{}]*\})?|\\end\{%s\}" % (_ENVS, _ENVS))
_TAG = re.compile(r"\\(tag|label)\*?\{[^{}]*\}|\\nonumber|\\notag")  # numbering, not math
_BATCH = re.compile(r"\\sum(\\limits)?_\{?x\b|[\^_]\{?x\b|[\^_]\{[^{}]*,\s*x\b|C_\{?x\b")


@dataclass
class Formula:
    """One equation as written: ``text`` with the original offset of each character
    (``offsets``), where it came from (``kind``: display, inline, table, header) and
    the table row it belongs to (``row``)."""

    text: str
    offsets: list
    kind: str
    row: int | None = None

    def at(self, i: int) -> int:
        return self.offsets[min(max(i, 0), len(self.offsets) - 1)] if self.offsets else 0


@dataclass
class Link:
    """One link ``lhs REL rhs`` of equation ``equation`` and its verdict."""

    equation: int
    line: int
    column: int
    link: int
    relation: str
    lhs: str
    rhs: str
    verdict: str
    reason: str
    counterexample: dict | None = None
    notes: list = field(default_factory=list)
    corrected: str | None = None
    end: int = 0
    base: str = ""

    def as_json(self) -> dict:
        """The stable machine interface (see ``docs/check.md``)."""
        return {"equation": self.equation, "line": self.line, "link": self.link,
                "lhs": self.lhs, "rhs": self.rhs, "verdict": self.verdict,
                "reason": self.reason, "counterexample": self.counterexample}

    def __repr__(self) -> str:
        return "Link(eq %d.%d line %d: %s)" % (self.equation, self.link, self.line, self.verdict)


@dataclass
class CheckedDocument:
    """Everything :func:`check_text` found: ``links``, ``definitions`` (line, kind,
    LaTeX), ``skipped`` (line, LaTeX, why: limit statements), ``corrections``
    ((wrong, right, why, line) for each typo found), ``seconds``."""

    text: str
    links: list
    definitions: list
    skipped: list
    corrections: list
    sizes: tuple
    seconds: float
    anchors: list = field(default_factory=list)

    def counts(self) -> dict:
        out = {PROVED: 0, REFUTED: 0, NOT_UNDERSTOOD: 0}
        for r in self.links:
            out[r.verdict] += 1
        return out

    def __repr__(self) -> str:
        c = self.counts()
        return ("CheckedDocument(%d links: %d proved, %d refuted, %d not understood; "
                "%d definitions)" % (len(self.links), c[PROVED], c[REFUTED],
                                     c[NOT_UNDERSTOOD], len(self.definitions)))


# ---------------------------------------------------------------- extraction
def _mask(text: str) -> str:
    """Blank out block-quote markers, fenced code and inline code (same length)."""
    chars = list(text)
    offset, fenced = 0, False
    for line in text.split("\n"):
        if line.lstrip().startswith("```") or line.lstrip().startswith("~~~"):
            fenced = not fenced
            chars[offset:offset + len(line)] = " " * len(line)
        elif fenced:
            chars[offset:offset + len(line)] = " " * len(line)
        else:
            m = re.match(r"^(\s*>\s?)+", line)
            if m:
                chars[offset:offset + m.end()] = " " * m.end()
        offset += len(line) + 1
    masked = "".join(chars)
    return re.sub(r"`[^`\n]*`", lambda m: " " * len(m.group()), masked)


def _split_top(text, start, seps):
    """Split ``text`` at top-level separators (outside braces and nested environments)."""
    pieces, depth, env, last = [], 0, 0, 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            m = re.match(r"\\(begin|end)\{[^}]*\}|\\[A-Za-z]+|\\.", text[i:])
            tok = m.group()
            if tok.startswith(r"\begin"):
                env += 1
            elif tok.startswith(r"\end"):
                env -= 1
            elif depth == 0 and env == 0 and tok in seps:
                pieces.append((text[last:i], start + last))
                last = i + len(tok)
            i += len(tok)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and env == 0 and c in seps:
            pieces.append((text[last:i], start + last))
            last = i + 1
        i += 1
    pieces.append((text[last:], start + last))
    return pieces


def _blank_outer_environments(body: str) -> str:
    """Blank ``\\begin{aligned}``-like markers at nesting depth 0 (an ``array`` inside
    brackets stays: it is a matrix)."""
    out, depth, last = [], 0, 0
    for m in re.finditer(r"\\(begin|end)\{([^{}]*)\}(\{[^{}]*\})?", body):
        opening = m.group(1) == "begin"
        level = depth if opening else depth - 1
        if level == 0 and _ENV.match(m.group()):
            out.append(body[last:m.start()])
            keep = m.group() if not opening else m.group()
            out.append(" " * len(keep))
            last = m.end()
        elif not opening and m.group(3):
            pass
        depth += 1 if opening else -1
    out.append(body[last:])
    return "".join(out)


def _segments(body: str, start: int, kind: str, row=None) -> list:
    """Formulas of one math block: rows of aligned environments, \\quad-separated
    equations, continuation rows (starting with a relation) joined to the previous."""
    # blank the environment markers, keep offsets
    blanked = _blank_outer_environments(body)
    blanked = _TAG.sub(lambda m: " " * len(m.group()), blanked)
    out = []
    for row_text, row_start in _split_top(blanked, start, {"\\\\"}):
        for seg, seg_start in _split_top(row_text, row_start, {r"\quad", r"\qquad"}):
            chars = list(seg)
            for piece, pstart in _split_top(seg, seg_start, {"&"})[1:]:
                chars[pstart - seg_start - 1] = " "
            seg = "".join(chars)
            stripped = seg.strip().rstrip(",.;，。")
            if not stripped:
                continue
            lead = len(seg) - len(seg.lstrip())
            offsets = list(range(seg_start + lead, seg_start + lead + len(stripped)))
            first = tokenize(stripped)[0][0]
            if out and first in RELATIONS and out[-1].kind == kind and out[-1].row == row:
                prev = out[-1]
                prev.text += " " + stripped
                prev.offsets += [offsets[0]] + offsets
            else:
                out.append(Formula(stripped, offsets, kind, row))
    return out


def extract(text: str) -> list:
    """Every formula of a Markdown document, in order.

    >>> [(f.kind, f.text) for f in extract("a $x = 1$ b\\n$$y = 2 \\\\quad w = 3$$")]
    [('inline', 'x = 1'), ('display', 'y = 2'), ('display', 'w = 3')]
    """
    masked = _mask(text)
    found = []
    spans = []
    for m in re.finditer(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", masked, re.S):
        body = m.group(1) if m.group(1) is not None else m.group(2)
        start = m.start(1) if m.group(1) is not None else m.start(2)
        found.append((m.start(), _segments(body, start, "display")))
        spans.append((m.start(), m.end()))
    rest = list(masked)
    for a, b in spans:
        rest[a:b] = " " * (b - a)
    rest = "".join(rest)
    offset, table_row, header = 0, 0, True
    lines = rest.split("\n")
    for n, line in enumerate(lines):
        is_table = line.strip().startswith("|")
        if is_table and re.fullmatch(r"\s*\|[\s:|-]+\|?\s*", line):
            offset += len(line) + 1
            continue
        if not is_table:
            header = True
        for m in re.finditer(r"(?<![\\$])\$([^$\n]+?)\$", line):
            if is_table:
                kind = "header" if header else "table"
                segs = _segments(m.group(1), offset + m.start(1), kind, table_row)
            else:
                segs = _segments(m.group(1), offset + m.start(1), "inline")
            found.append((offset + m.start(), segs))
        if is_table:
            header = False
            table_row += 1
        offset += len(line) + 1
    found.sort(key=lambda t: t[0])
    return [f for _, segs in found for f in segs]


# ---------------------------------------------------------------- checking
def _line_col(line_starts, offset):
    line = bisect.bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1


def _split_relations(text):
    """``[(relation or None, piece, start)]`` at top-level relation tokens."""
    out, depth, last, rel = [], 0, 0, None
    for tok, pos in tokenize(text):
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif depth == 0 and tok in RELATIONS:
            out.append((rel, text[last:pos], last))
            rel, last = RELATIONS[tok], pos + len(tok)
    out.append((rel, text[last:], last))
    return out


def _parse_pieces(formula):
    pieces = []
    for rel, piece, start in _split_relations(formula.text):
        try:
            if not piece.strip():
                raise NotUnderstood("nothing on this side of the relation", start)
            node = parse_chain(piece).first
            _shift(node, start)
            pieces.append((rel, node, None, start, piece))
        except NotUnderstood as exc:
            exc.pos += start
            pieces.append((rel, None, exc, start, piece))
    return pieces


def _shift(node, by):
    node.pos += by
    node.end += by
    for a in node.args:
        if hasattr(a, "kind"):
            _shift(a, by)
        elif isinstance(a, tuple):
            for c in a:
                if hasattr(c, "kind"):
                    _shift(c, by)


def _condition(node, rel, rhs):
    """``W^l_{jk} \\to 0`` (a parameter, not its change, tending to 0)."""
    if rel == "to" and node is not None and node.kind == "sym" and node.info["name"] in "Wb" \
            and rhs is not None and rhs.kind == "num" and rhs.args[0] == "0":
        return True
    return False


def _constraint(world, lhs, rel, rhs) -> bool:
    r"""``\sum_i y_i = 1``: a relation among the targets only, kept as an assumption
    (the last target it involves is eliminated in every later check)."""
    if rel != "=":
        return False
    try:
        ev = Evaluator(world, {})
        d = sp.sympify(ev.value(lhs) - ev.value(rhs))
    except (NotUnderstood, TypeError, ValueError, RecursionError):
        return False
    ys = sorted((s for s in d.free_symbols if s.name.startswith("y")), key=lambda s: s.name)
    if not ys or d.free_symbols - set(ys) or sp.degree(d, ys[-1]) != 1:
        return False
    solution = sp.solve(d, ys[-1], dict=True)[0]
    world.defs.setdefault("constraints", []).append(lambda w, sol=solution: sol)
    return True


def _onehot_sum(world):
    from derive import symbols as S

    out = {}
    for x in world.examples:
        ys = [S.y(j, x) for j in range(1, world.size(world.L) + 1)]
        out[ys[-1]] = 1 - sum(ys[:-1])
    return out


def check_text(text: str, sizes=DEFAULT_SIZES) -> CheckedDocument:
    """Check every chain of a Markdown document (see the module docstring)."""
    start = time.perf_counter()
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    formulas = extract(text)
    world = World(tuple(sizes), 2 if any(_BATCH.search(f.text) for f in formulas) else None)
    links, definitions, skipped, corrections, anchors = [], [], [], [], []
    rows: dict = {}
    equation = 0
    uses_delta_c = any(r"\Delta C" in f.text for f in formulas)
    if re.search(r"one[- ]hot", text, re.I):  # said in words: sum_j y_j = 1 follows
        n = world.size(world.L)
        world.defs["constraints"] = [lambda w, n=n: _onehot_sum(w)]
        world.assumptions.append("targets one-hot (as the text says): \u03a3_j y_j = 1")

    def add_notes(notes, offset):
        line = _line_col(line_starts, offset)[0]
        for wrong, right, why, typo in notes:
            if typo and all((w, r) != (wrong, right) for w, r, _, _ in corrections):
                corrections.append((wrong, right, why, line))

    for f in formulas:
        here = world
        if f.kind == "table":
            here = rows.setdefault(f.row, world.copy())
        elif world.batch and not _BATCH.search(f.text) and not re.search(r"\b[Nnm]\b", f.text):
            # a batch document's formula without x is about one example
            here = World(world.sizes, None, world.defs, world.assumptions, world.cases, True)
        pieces = _parse_pieces(f)
        line = _line_col(line_starts, f.at(0))[0]
        # a definition: one link whose left side is definable
        if len(pieces) == 2 and pieces[0][1] is not None and pieces[1][1] is not None:
            notes = []
            try:
                kind = define(here, pieces[0][1], pieces[1][0], pieces[1][1], notes)
            except (NotUnderstood, RecursionError):
                kind = None
            if kind:
                _scan_not_katex(f, line_starts, corrections)
                definitions.append((line, kind, f.text))
                add_notes(notes, f.at(0))
                anchors.append((f.at(len(f.text) - 1), "definition", kind))
                continue
            if _constraint(here, pieces[0][1], pieces[1][0], pieces[1][1]):
                definitions.append((line, "assumption", f.text))
                here.assumptions.append("assuming " + f.text)
                continue
            if _condition(pieces[0][1], pieces[1][0], pieces[1][1]):
                if uses_delta_c:
                    wrong = f.text.strip()
                    right = r"\Delta " + wrong
                    add_notes([(wrong, right, "the total differential is about small changes "
                                "\u0394W, \u0394b \u2192 0, not small weights", True)], f.at(0))
                skipped.append((line, f.text, "a limit condition, not a claim"))
                continue
        if len(pieces) == 1:
            if f.kind == "display":
                err = pieces[0][2]
                equation += 1
                reason = err.message if err else "no relation (=, \u2248, \u2264, ...) to check"
                lc = _line_col(line_starts, f.at(err.pos if err else 0))
                reason = f"{reason} at line {lc[0]}, column {lc[1]}"
                links.append(Link(equation, lc[0], lc[1], 1, "", f.text, "", NOT_UNDERSTOOD,
                                  reason, end=f.at(len(f.text) - 1), base=reason))
            else:
                _scan_not_katex(f, line_starts, corrections)
            continue
        if f.kind in ("inline",) and any(rel == "to" for rel, *_ in pieces[1:]):
            skipped.append((line, f.text, "a limit statement (\u2192), not checked"))
            continue
        equation += 1
        _scan_not_katex(f, line_starts, corrections)
        for k in range(1, len(pieces)):
            _, lnode, lerr, lstart, ltext = pieces[k - 1]
            rel, rnode, rerr, rstart, rtext = pieces[k]
            err = lerr or rerr
            lc = _line_col(line_starts, f.at(rstart))
            if err is not None:
                elc = _line_col(line_starts, f.at(err.pos))
                result = LinkResult(NOT_UNDERSTOOD, f"{err.message} at line {elc[0]}, "
                                                    f"column {elc[1]}")
            else:
                result = check_link(here, lnode, rnode, rel)
                if result.verdict == NOT_UNDERSTOOD and result.pos is not None:
                    elc = _line_col(line_starts, f.at(result.pos))
                    result.reason += f" at line {elc[0]}, column {elc[1]}"
            add_notes(result.notes, f.at(rstart))
            reason = result.reason
            readings = list(result.notes)
            if readings:
                reason += "; read: " + "; ".join(
                    f"{w} as {r} ({why})" if typo else why for w, r, why, typo in readings)
            links.append(Link(equation, lc[0], lc[1], k, rel, ltext.strip(), rtext.strip(),
                              result.verdict, reason, result.counterexample, result.notes,
                              _corrected(here, lnode, result), end=f.at(len(f.text) - 1),
                              base=result.reason))
    return CheckedDocument(text, links, definitions, skipped, corrections, tuple(sizes),
                           time.perf_counter() - start, anchors)


def _scan_not_katex(f, line_starts, corrections):
    for cmd, right in NOT_KATEX.items():
        if cmd in f.text and all(w != cmd for w, *_ in corrections):
            line = _line_col(line_starts, f.at(f.text.index(cmd)))[0]
            corrections.append((cmd, right, f"`{cmd}` is not a LaTeX/KaTeX command", line))


def _corrected(world, lhs, result):
    """The true delta^L of the row when a claimed delta^L is refuted (else None)."""
    if result.verdict != REFUTED or lhs is None or lhs.kind != "sym" \
            or lhs.info["name"] != "delta" or (lhs.info["up"] or "") != "L":
        return None
    from derive.check.correct import true_delta

    return true_delta(world, lhs.info["bold"])
