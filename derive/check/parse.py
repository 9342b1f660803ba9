r"""Read one LaTeX formula of a derivation into a small syntax tree.

The grammar is the notation of the reference note and its common variants (see
``docs/check.md``): symbols with layer superscripts and index subscripts (kept as
written, e.g. ``W^{l}_{jk}`` has ``up="l"``, ``down="jk"``), ``\frac``, ``\partial``,
``\sum``, ``\sigma``/``\sigma'``, ``e^{...}``, ``\ln``, ``\exp``, ``\tanh``, ``\nabla``,
``\odot``, ``^T``, ``\mathbf``/``\boldsymbol``, ``pmatrix`` and the relations ``=``,
``\approx``, ``\leqslant``, ``\equiv``, ``\gets``, ``\to``.

>>> chain = parse_chain(r"\frac{\partial C}{\partial b^l_j} = \delta^l_j")
>>> [rel for rel, _ in chain.links]
['=']
>>> chain.first
Node('partial', Node('sym', 'C'), Node('sym', 'b', 'l', 'j'))
>>> parse_chain(r"a = \foo b")
Traceback (most recent call last):
...
derive.check.parse.NotUnderstood: unknown command `\foo` (at 4)

Each :class:`Node` carries ``pos``, the offset of its first character in the formula,
so a caller can quote the construct and its line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Chain", "Node", "NotUnderstood", "RELATIONS", "parse_chain", "tokenize"]

#: relation command -> canonical name
RELATIONS = {
    "=": "=", r"\approx": "approx", r"\simeq": "approx", r"\leqslant": "<=", r"\le": "<=",
    r"\leq": "<=", r"\geqslant": ">=", r"\ge": ">=", r"\geq": ">=", "<": "<", ">": ">",
    r"\equiv": "def", r"\coloneqq": "def", r"\gets": "gets", r"\leftarrow": "gets",
    r"\to": "to", r"\rightarrow": "to",
}
_IGNORED = {r"\left", r"\right", r"\limits", r"\nolimits", r"\displaystyle", r"\,", r"\;",
            r"\!", r"\:", r"\big", r"\Big", r"\bigg", r"\Bigg", r"\bigl", r"\bigr", r"\Bigl",
            r"\Bigr", r"\biggl", r"\biggr", r"\ ", r"\quad", r"\qquad"}
_FUNCTIONS = {r"\ln": "ln", r"\log": "ln", r"\exp": "exp", r"\tanh": "tanh",
              r"\sigma": "sigma", r"\max": "max", r"\sinh": "sinh", r"\cosh": "cosh"}
_NAMED = {"relu": "relu", "ReLU": "relu", "sigmoid": "sigma", "softmax": "softmax",
          "tanh": "tanh", "argmax": "argmax", "max": "max"}
_GREEK = {r"\delta": "delta", r"\eta": "eta", r"\lambda": "lambda", r"\epsilon": "epsilon",
          r"\varepsilon": "epsilon", r"\alpha": "alpha", r"\theta": "theta", r"\mu": "mu"}
_ALIASES = {"w": "W"}  # Nielsen writes weights w^l_{jk}
_ELLIPSES = {r"\cdots", r"\vdots", r"\ddots", r"\ldots", r"\dots"}
_PRODUCTS = {r"\cdot", r"\times", "*"}
#: commands KaTeX does not know, with the spelling it does (found as corrections)
NOT_KATEX = {r"\argmax": r"\operatorname{argmax}", r"\argmin": r"\operatorname{argmin}"}

_TOKEN = re.compile(r"\\[A-Za-z]+|\\\\|\\.|[A-Za-z]|[0-9]+(?:\.[0-9]+)?|\S")


class NotUnderstood(ValueError):
    """A construct the grammar cannot read: ``construct`` quoted, at offset ``pos``."""

    def __init__(self, message: str, pos: int, construct: str = ""):
        super().__init__(f"{message} (at {pos})")
        self.message, self.pos, self.construct = message, pos, construct


@dataclass(eq=False)
class Node:
    """One syntax-tree node: ``kind`` ('sym', 'num', 'add', 'mul', 'frac', 'partial',
    'sum', 'fn', 'pow', 'neg', 'matrix', ...), its ``args`` and source offset ``pos``."""

    kind: str
    args: tuple
    pos: int = 0
    end: int = 0
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Node(%s)" % ", ".join([repr(self.kind), *map(repr, self.args)])


@dataclass
class Chain:
    """``first REL1 e1 REL2 e2 ...``: ``links`` is the list of (relation, expression)."""

    first: Node
    links: list


def tokenize(text: str) -> list:
    r"""``[(token, offset)]``; comments (``%``) and whitespace dropped.

    >>> [t for t, _ in tokenize(r"\sum\limits_k W^l_{jk}")]
    ['\\sum', '\\limits', '_', 'k', 'W', '^', 'l', '_', '{', 'j', 'k', '}']
    """
    tokens = []
    for m in _TOKEN.finditer(text):
        tokens.append((m.group(), m.start()))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = [t for t in tokenize(text) if t[0] not in _IGNORED or t[0] in (r"\quad", r"\qquad")]
        self.toks = [t for t in self.toks if t[0] not in (r"\quad", r"\qquad")]
        self.i = 0
        self.norm_depth = 0

    # -------------------------------------------------------------- helpers
    def peek(self, ahead=0):
        j = self.i + ahead
        return self.toks[j][0] if j < len(self.toks) else None

    def pos(self):
        return self.toks[self.i][1] if self.i < len(self.toks) else len(self.text)

    def take(self, expected=None):
        if self.i >= len(self.toks):
            raise NotUnderstood(f"formula ends early, expected {expected or 'more'}",
                                len(self.text))
        tok, pos = self.toks[self.i]
        if expected is not None and tok != expected:
            raise NotUnderstood(f"expected `{expected}`, got `{tok}`", pos, tok)
        self.i += 1
        return tok

    def raw_group(self):
        """The raw text of ``{...}`` or of one token (scripts of a network symbol)."""
        if self.peek() != "{":
            tok = self.take()
            if tok.startswith("\\") and tok in (r"\mathbf", r"\boldsymbol"):
                tok = self.take()
            return tok
        depth, self.i = 1, self.i + 1
        first = self.pos()
        while depth:
            tok = self.take("}") if self.i >= len(self.toks) else self.take()
            depth += {"{": 1, "}": -1}.get(tok, 0)
        end = self.toks[self.i - 1][1]
        return self.text[first:end].strip()

    def node(self, kind, *args, pos, **info):
        end = self.toks[self.i - 1][1] + len(self.toks[self.i - 1][0]) if self.i else 0
        return Node(kind, args, pos, end, info)

    # -------------------------------------------------------------- grammar
    def chain(self) -> Chain:
        first = self.expr()
        links = []
        while self.peek() in RELATIONS:
            rel = RELATIONS[self.take()]
            if self.peek() is None and rel == "to":
                raise NotUnderstood("nothing after `\\to`", self.pos(), r"\to")
            links.append((rel, self.expr()))
        if self.peek() is not None:
            tok = self.peek()
            raise NotUnderstood(f"unexpected `{tok}`", self.pos(), tok)
        return Chain(first, links)

    def expr(self) -> Node:
        pos = self.pos()
        terms = []
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        while True:
            t = self.term()
            terms.append(t if sign > 0 else Node("neg", (t,), t.pos, t.end))
            if self.peek() in ("+", "-"):
                sign = -1 if self.take() == "-" else 1
                continue
            break
        return terms[0] if len(terms) == 1 else self.node("add", *terms, pos=pos)

    def term(self) -> Node:
        pos = self.pos()
        parts = [self.product()]
        while self.peek() == r"\odot":
            self.take()
            parts.append(self.product())
        return parts[0] if len(parts) == 1 else self.node("hadamard", *parts, pos=pos)

    def _starts_factor(self, tok) -> bool:
        if tok is None or tok in RELATIONS or tok in ("+", "-", ")", "]", "}", "&", "\\\\",
                                                       r"\odot", ",", r"\}", "|", ";", r"\end",
                                                       r"\rVert"):
            return False
        return not (tok == r"\|" and self.norm_depth > 0)

    def product(self) -> Node:
        pos = self.pos()
        factors = []
        while self._starts_factor(self.peek()):
            if self.peek() in _PRODUCTS:
                self.take()
                continue
            if self.peek() == "/":
                if not factors:
                    raise NotUnderstood("`/` with nothing before it", self.pos(), "/")
                self.take()
                den = self.factor()
                num = factors.pop()
                if num.kind == "dpartial":
                    factors.append(self._derivative(num.args[0], den, pos=num.pos))
                else:
                    factors.append(self.node("frac", num, den, pos=num.pos))
                continue
            if self.peek() == r"\sum":
                factors.append(self.sum())
                break
            factors.append(self.factor())
        if not factors:
            tok = self.peek()
            raise NotUnderstood(f"expected a term, got `{tok}`" if tok else "formula ends early",
                                self.pos(), tok or "")
        for f in factors:
            if f.kind == "dpartial":
                raise NotUnderstood("`\\partial` outside a derivative", f.pos, r"\partial")
        return factors[0] if len(factors) == 1 else self.node("mul", *factors, pos=pos)

    def sum(self) -> Node:
        pos = self.pos()
        self.take(r"\sum")
        var, lo, hi = None, None, None
        while self.peek() in ("_", "^", r"\limits"):
            tok = self.take()
            if tok == "_":
                raw = self.raw_group()
                var, _, lo = raw.partition("=")
                var = var.strip()
            elif tok == "^":
                hi = self.raw_group()
        if not var:
            raise NotUnderstood("`\\sum` without an index", pos, r"\sum")
        body = self.product()
        return self.node("sum", var, body, pos=pos, lo=lo or None, hi=hi)

    def _derivative(self, num, den, pos):
        if den.kind == "dpartial":
            return self.node("partial", num, den.args[0], pos=pos)
        # \frac{\partial C}{W^l_{jk}}: a malformed derivative, read with the missing \partial
        return self.node("partial", num, den, pos=pos, malformed=True)

    def factor(self) -> Node:
        base = self.atom()
        while True:
            tok = self.peek()
            if tok == "^":
                self.take()
                if self.peek() == "T" or self.peek() == "{" and self.peek(1) == "T" \
                        and self.peek(2) == "}":
                    self.i += 1 if self.peek() == "T" else 3
                    base = self.node("transpose", base, pos=base.pos)
                    continue
                exp = self.script_expr()
                base = self.node("pow", base, exp, pos=base.pos)
            elif tok == "'" and base.kind == "fn":
                self.take()
                base.info["prime"] = base.info.get("prime", 0) + 1
            else:
                return base

    def script_expr(self) -> Node:
        if self.peek() == "{":
            self.take("{")
            e = self.expr()
            self.take("}")
            return e
        return self.atom()

    def group(self, close="}") -> Node:
        e = self.expr()
        self.take(close)
        return e

    def atom(self) -> Node:
        pos = self.pos()
        tok = self.take()
        if tok == "{":
            return self.group("}")
        if tok in (r"\|", r"\lVert"):
            self.norm_depth += 1
            inner = self.expr()
            self.norm_depth -= 1
            self.take(r"\|" if tok == r"\|" else r"\rVert")
            return self.node("norm", inner, pos=pos)
        if tok in ("(", "[", r"\{", r"\lbrack"):
            close = {"(": ")", "[": "]", r"\{": r"\}", r"\lbrack": r"\rbrack"}[tok]
            inner = self.group(close)
            return self.node("paren", inner, pos=pos)
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", tok):
            return self.node("num", tok, pos=pos)
        if tok in (r"\frac", r"\tfrac", r"\dfrac"):
            return self.frac(pos)
        if tok == r"\partial":
            return self.node("dpartial", self.factor(), pos=pos)
        if tok in (r"\mathbf", r"\boldsymbol", r"\vec", r"\bm"):
            inner = self.atom_symbol_name()
            return self.symbol(inner, pos, bold=True)
        if tok == r"\nabla":
            sub = None
            if self.peek() == "_":
                self.take()
                sub = self.raw_group()
            return self.node("nabla", self.factor(), pos=pos, sub=sub)
        if tok == r"\Delta":
            return self.node("Delta", self.factor(), pos=pos)
        if tok in _FUNCTIONS or tok in (r"\operatorname", r"\mathrm", r"\text"):
            return self.function(tok, pos)
        if tok in _GREEK:
            return self.symbol(_GREEK[tok], pos)
        if tok == r"\begin":
            return self.environment(pos)
        if tok in _ELLIPSES:
            return self.node("ellipsis", tok, pos=pos)
        if tok in NOT_KATEX:
            return self.node("argmax", pos=pos, command=tok)
        if re.fullmatch(r"[A-Za-z]", tok):
            if tok == "e" and self.peek() == "^":
                self.take("^")
                return self.node("fn", "exp", self.script_expr(), pos=pos)
            self.i -= 1
            name = self.take()
            return self.symbol(name, pos)
        if tok.startswith("\\"):
            raise NotUnderstood(f"unknown command `{tok}`", pos, tok)
        raise NotUnderstood(f"unexpected `{tok}`", pos, tok)

    def atom_symbol_name(self) -> str:
        tok = self.take()
        if tok == "{":
            tok = self.take()
            if tok in _GREEK:
                tok = _GREEK[tok]
            self.take("}")
            return tok
        if tok in _GREEK:
            return _GREEK[tok]
        if not re.fullmatch(r"[A-Za-z]", tok):
            raise NotUnderstood(f"expected a letter after the bold command, got `{tok}`",
                                self.toks[self.i - 1][1], tok)
        return tok

    def symbol(self, name, pos, bold=False) -> Node:
        name = _ALIASES.get(name, name)
        up, down = None, None
        while self.peek() in ("^", "_"):
            if self.peek() == "^" and (self.peek(1) == "T" or self.peek(1) == "{"
                                       and self.peek(2) == "T" and self.peek(3) == "}"):
                break  # a transpose, handled by factor()
            tok = self.take()
            if tok == "^":
                if self.peek() == "{" and self.peek(1) == "}":
                    raise NotUnderstood("empty superscript", self.pos(), "^{}")
                up = self.raw_group()
            else:
                down = self.raw_group()
        if name in ("a", "y", "z", "delta") and self.peek() == "(" and self.peek(1) == "x" \
                and self.peek(2) == ")":  # a^L(x): one example of a batch
            self.i += 3
            up = "x" if up is None else up + ",x"
        args = (name,) + ((up, down) if down is not None else (up,) if up is not None else ())
        return self.node("sym", *args, pos=pos, bold=bold, up=up, down=down, name=name)

    def _brace_or_digit(self):
        """``\frac12``: an argument may be one digit or letter without braces."""
        tok, where = self.toks[self.i] if self.i < len(self.toks) else (None, 0)
        if tok == "{":
            return
        if tok is not None and tok.isdigit() and len(tok) > 1:
            self.toks[self.i:self.i + 1] = [(tok[0], where), (tok[1:], where + 1)]
            tok = tok[0]
        if tok is not None and (tok.isdigit() or tok.isalpha() and len(tok) == 1):
            self.toks[self.i:self.i + 1] = [("{", where), (tok, where), ("}", where)]

    def frac(self, pos) -> Node:
        self._brace_or_digit()
        self.take("{")
        if self.peek() == r"\partial":
            self.take()
            num = self.group("}")
            self.take("{")
            if self.peek() == r"\partial":
                self.take()
                den = self.group("}")
                return self.node("partial", num, den, pos=pos)
            den = self.group("}")
            return self.node("partial", num, den, pos=pos, malformed=True)
        num = self.group("}")
        self._brace_or_digit()
        self.take("{")
        den = self.group("}")
        return self.node("frac", num, den, pos=pos)

    def function(self, tok, pos) -> Node:
        if tok in (r"\operatorname", r"\mathrm", r"\text"):
            word = self.raw_group()
            if word not in _NAMED:
                if tok == r"\text":
                    raise NotUnderstood(f"text `\\text{{{word}}}` inside a formula", pos,
                                        "\\text{%s}" % word)
                raise NotUnderstood(f"unknown function `{tok}{{{word}}}`", pos, word)
            name = _NAMED[word]
            if name == "argmax":
                return self.node("argmax", pos=pos, command=tok + "{argmax}")
        else:
            name = _FUNCTIONS[tok]
        prime = 0
        while self.peek() == "'":
            self.take()
            prime += 1
        power = None
        if self.peek() == "^" and (self.peek(1) == r"\prime" or self.peek(1) == "{"
                                   and self.peek(2) == r"\prime" and self.peek(3) == "}"):
            self.i += 2 if self.peek(1) == r"\prime" else 4
            prime += 1
        if self.peek() == "^" and name in ("tanh", "sigma", "cosh", "sinh"):
            self.take()
            power = self.script_expr()
        while self.peek() == "'":
            self.take()
            prime += 1
        if name == "sigma" and not self._starts_factor(self.peek()):
            raise NotUnderstood("`\\sigma` without an argument", pos, r"\sigma")
        arg = self.factor_for_function(name)
        fn = self.node("fn", name, arg, pos=pos, prime=prime)
        return fn if power is None else self.node("pow", fn, power, pos=pos)

    def factor_for_function(self, name=None) -> Node:
        if name == "max":
            pos = self.pos()
            self.take("(")
            first = self.expr()
            self.take(",")
            second = self.expr()
            self.take(")")
            return self.node("args", first, second, pos=pos)
        if self.peek() == "(":
            self.take()
            e = self.group(")")
            return e
        return self.factor()

    def environment(self, pos) -> Node:
        name = self.raw_group()
        if name not in ("pmatrix", "bmatrix", "matrix", "array"):
            raise NotUnderstood(f"environment `{name}` inside an equation", pos, name)
        if name == "array" and self.peek() == "{":
            self.raw_group()  # the column specification
        rows, row = [], []
        while True:
            if self.peek() == r"\end":
                self.take()
                self.raw_group()
                break
            row.append(self.expr())
            tok = self.take()
            if tok == "&":
                continue
            if tok == "\\\\":
                rows.append(row)
                row = []
                continue
            if tok == r"\end":
                self.raw_group()
                break
            raise NotUnderstood(f"unexpected `{tok}` in a matrix", self.toks[self.i - 1][1], tok)
        if row:
            rows.append(row)
        return self.node("matrix", *[tuple(r) for r in rows], pos=pos)


def parse_chain(text: str) -> Chain:
    r"""Parse ``A REL B REL C ...`` (one equation, no ``&`` or ``\\``).

    >>> c = parse_chain(r"\sum_j \delta^l_j W^l_{jk}")
    >>> c.first.kind, c.first.args[0], c.links
    ('sum', 'j', [])
    """
    p = _Parser(text)
    if not p.toks:
        raise NotUnderstood("empty formula", 0)
    return p.chain()
