r"""Turn a parsed formula into SymPy on the document's :class:`~derive.check.world.World`.

Indices are concrete: an :class:`Evaluator` works under an environment ``env`` that
gives every free index (``l``, ``j``, ``k``, ``x``) a value; :func:`free_indices`
lists the ones a formula needs and :func:`index_ranges` enumerates them. Bold
symbols are vectors/matrices (``\mathbf W^l`` is ``n_l x n_{l-1}``), ``pmatrix`` with
``\cdots``/``\vdots`` is read as its general entry.

Readings that are not literal (a typo read as what was meant, an ambiguous symbol)
are recorded in :attr:`Evaluator.notes` as ``(wrong, right, why)`` so the verdict can
say which reading it is about.

>>> from derive.check.parse import parse_chain
>>> from derive.check.world import World
>>> ev = Evaluator(World(), {"l": 2, "j": 1, "k": 3})
>>> ev.value(parse_chain(r"\frac{\partial z^l_j}{\partial W^l_{jk}}").first)
a^{1}_{3}
>>> ev.value(parse_chain(r"W^j_{jk}").first), ev.notes[0][:2]
(W^{2}_{13}, ('W^j_{jk}', 'W^l_{jk}'))
"""

from __future__ import annotations

import re

import sympy as sp

from derive import symbols as S
from derive.check.parse import NOT_KATEX, Node, NotUnderstood
from derive.check.world import ETA, World, cost_symbol, delta_symbol, sigma_generic
from derive.functions import relu

__all__ = ["Evaluator", "ShapeError", "free_indices", "index_ranges"]


class ShapeError(NotUnderstood):
    """Shapes that do not fit (a product, a sum, an elementwise product)."""

NETWORK = {"W", "b", "z", "a", "delta", "y"}
_FREE = {"z", "a", "x", "t", "u", "v", "s"}  # bare letters: free real variables (sigma(z) = ...)
_LAYER = re.compile(r"^(?P<var>[lL]|[0-9]+)\s*(?:(?P<sign>[+-])\s*(?P<off>[0-9]+))?$")
_t = sp.Dummy("t", real=True)


def _name_indices(s: sp.Symbol):
    """``W^{2}_{13}`` -> (2, [1, 3]); ``z^{1,x_{2}}_{3}`` -> (1, [3])."""
    m = re.match(r"^\\?[A-Za-z]+\^\{(\d+)(?:,x_\{\d+\})?\}_\{([^{}]*)\}$", s.name)
    down = m.group(2)
    idx = down.split(",") if "," in down else list(down)
    return int(m.group(1)), [int(q) for q in idx]


def _split_up(raw):
    """``"l-1"`` -> ("l-1", None); ``"x,l"`` / ``"l,x"`` -> ("l", "x")."""
    if raw is None:
        return None, None
    parts = [p.strip() for p in raw.split(",")]
    xs = [p for p in parts if p == "x"]
    rest = [p for p in parts if p != "x"]
    return (",".join(rest) or None), ("x" if xs else None)


def _split_down(raw):
    if "\\" in raw and "argmax" not in raw:
        raise NotUnderstood(f"subscript `{raw}` is not an index", 0, raw)
    raw = raw.replace("{", "").replace("}", "").replace(" ", "")
    if "," in raw:
        return [p for p in raw.split(",") if p]
    return list(raw)


def _layer_parts(raw):
    m = _LAYER.match(raw.replace(" ", ""))
    if not m:
        return None
    off = int(m.group("off") or 0) * (-1 if m.group("sign") == "-" else 1)
    return m.group("var"), off


def _min_layer(name):
    return 0 if name == "a" else 1


def _slots(node: Node, bound: frozenset, out: list, in_matrix=False):
    """Collect (letter, kind, detail) for every index slot not bound by a sum."""
    if node.kind == "sym":
        name, up, down = node.info["name"], node.info["up"], node.info["down"]
        if name == "C" and down:
            for q in _split_down(down):
                if q == "x" and q not in bound:
                    out.append(("x", "x", None))
            return
        if name not in NETWORK:
            return
        layer_raw, xvar = _split_up(up if name != "y" else None)
        if name == "y" and up:
            layer_raw, xvar = None, _split_up(up)[1]
        if xvar and xvar not in bound:
            out.append((xvar, "x", None))
        parts = _layer_parts(layer_raw) if layer_raw else None
        if parts and parts[0] == "l" and "l" not in bound:
            out.append(("l", "layer", (name, parts[1])))
        if down and not in_matrix and "argmax" not in down:
            for pos, q in enumerate(_split_down(down)):
                if q.isalpha() and q not in bound:
                    out.append((q, "index", (name, layer_raw, pos)))
        return
    if node.kind == "sum":
        inner = bound | {node.args[0]}
        _slots(node.args[1], inner, out, in_matrix)
        return
    if node.kind == "matrix":
        for row in node.args:
            for cell in row:
                _slots(cell, bound, out, True)
        return
    for arg in node.args:
        if isinstance(arg, Node):
            _slots(arg, bound, out, in_matrix)


def free_indices(*nodes) -> list:
    r"""Free index letters of ``nodes`` (layer ``l`` first, then ``x``, then the rest).

    >>> from derive.check.parse import parse_chain
    >>> c = parse_chain(r"\delta^{l-1}_k = \sum_j W^l_{jk} \delta^l_j")
    >>> free_indices(c.first, c.links[0][1])
    ['l', 'k']
    """
    out = []
    for n in nodes:
        _slots(n, frozenset(), out)
    letters = []
    for kind in ("layer", "x", "index"):
        for q, k, _ in out:
            if k == kind and q not in letters:
                letters.append(q)
    return letters


def _layer_of(world, raw, env, name="W"):
    parts = _layer_parts(raw)
    if parts is None:
        return None
    var, off = parts
    if var == "L":
        base = world.L
    elif var == "l":
        if "l" not in env:
            return None
        base = env["l"]
    else:
        base = int(var)
    return base + off


def _size_of(world, name, layer, pos):
    if name == "y":
        return world.size(world.L)
    if layer is None or not 0 <= layer <= world.L:
        return 0
    if name == "W":
        return world.size(layer) if pos == 0 else world.size(layer - 1)
    return world.size(layer)


def _range_for(world, letter, nodes, env):
    out = []
    for n in nodes:
        _slots(n, frozenset(env) - {letter}, out)
    mine = [(k, d) for q, k, d in out if q == letter]
    if not mine:
        return None
    if any(k == "x" for k, _ in mine):
        return world.examples if world.batch or world.single else None
    if any(k == "layer" for k, _ in mine):
        good = []
        for v in range(0, world.L + 1):
            if all(k != "layer" or _min_layer(d[0]) <= v + d[1] <= world.L for k, d in mine):
                good.append(v)
        return good
    sizes = [_size_of(world, d[0], _layer_of(world, d[1], env) if d[1] else None, d[2])
             for k, d in mine if d[0] == "y" or d[1] and _layer_parts(d[1])]
    if not sizes:
        return None
    return list(range(1, min(sizes) + 1))


def index_ranges(world, letters, nodes):
    """Every assignment of ``letters`` valid in ``world`` (ranges from their slots)."""
    envs = [{}]
    for letter in letters:
        new = []
        for env in envs:
            rng = _range_for(world, letter, nodes, env)
            if rng is None:
                if letter == "x" and world.batch is None:
                    raise NotUnderstood("`x` used but the document has no batch", 0, "x")
                raise NotUnderstood(f"cannot tell the range of index `{letter}`", 0, letter)
            new += [{**env, letter: v} for v in rng]
        envs = new
    return envs


class Evaluator:
    """Evaluate syntax trees under ``env`` in ``world``; ``notes`` collects readings."""

    def __init__(self, world: World, env: dict, notes=None):
        self.world, self.env = world, dict(env)
        self.notes = [] if notes is None else notes
        self.onehot = False
        self.first_order = False

    def note(self, wrong, right, why, typo=True):
        """Record a reading: ``typo`` for a mistake read as what was meant (a
        correction), otherwise an interpretation of a notation."""
        if (wrong, right, why, typo) not in self.notes:
            self.notes.append((wrong, right, why, typo))

    def sub(self, **extra) -> "Evaluator":
        ev = Evaluator(self.world, {**self.env, **extra}, self.notes)
        ev.onehot, ev.first_order = self.onehot, self.first_order
        return ev

    # ------------------------------------------------------------ symbols
    def _layer(self, node, raw, name):
        if raw is None:
            raise NotUnderstood(f"`{name}` needs a layer superscript", node.pos, name)
        parts = _layer_parts(raw)
        if parts is None:
            guess = "l" if "l" in self.env else "L"
            written = self._written(node)
            right = written.replace("^%s" % raw, "^%s" % guess, 1).replace(
                "^{%s}" % raw, "^{%s}" % guess, 1)
            self.note(written, right, f"superscript `{raw}` is not a layer (layers are l, "
                                      f"l-1, L or a number); read as `{guess}`")
            parts = (guess, 0)
        var, off = parts
        layer = _layer_of(self.world, "%s%+d" % (var, off) if off else var, self.env)
        if layer is None:
            raise NotUnderstood(f"layer `{raw}` has no value here", node.pos, raw)
        if not _min_layer(name) <= layer <= self.world.L:
            raise NotUnderstood(f"layer {layer} of `{name}` does not exist (L = {self.world.L})",
                                node.pos, raw)
        return layer

    @staticmethod
    def _written(node):
        up, down = node.info["up"], node.info["down"]
        head = {"delta": r"\delta"}.get(node.info["name"], node.info["name"])
        if node.info.get("bold"):
            head = (r"\boldsymbol " if head.startswith("\\") else r"\mathbf ") + head
        text = head + ("" if up is None else "^%s" % (up if len(up) == 1 else "{%s}" % up))
        return text + ("" if down is None else "_%s" % (down if len(down) == 1 else "{%s}" % down))

    def _index(self, q, node):
        if q.isdigit():
            return int(q)
        if q in self.env:
            return self.env[q]
        raise NotUnderstood(f"index `{q}` has no value here", node.pos, q)

    def _x(self, xvar):
        if xvar is None:
            if self.world.batch is not None and "x" in self.env:
                return self.env["x"]
            return None
        if xvar not in self.env:
            raise NotUnderstood("`x` is not summed over and has no value here", 0, "x")
        return self.env[xvar]

    def symbol(self, node):
        name, up, down, bold = (node.info["name"], node.info["up"], node.info["down"],
                                node.info["bold"])
        w = self.world
        if name == "eta":
            return ETA
        if name in ("N", "n", "m") and not up and not down and w.single:
            self.note(name, "1", "one example: the batch size is 1", typo=False)
            return sp.Integer(1)
        if name in ("N", "n", "m") and not up and not down and (name == "N" or w.batch):
            if w.batch is None:
                raise NotUnderstood("`N` (batch size) used but the document has no batch",
                                    node.pos, "N")
            if name != "N":
                self.note(name, "N", f"`{name}` read as the number of examples in the batch",
                          typo=False)
            return sp.Integer(w.batch)
        if name == "delta" and up is None and down and len(_split_down(down)) == 2:
            self.note(r"\delta_{%s}" % down, "Kronecker", "\u03b4 with two indices and no layer "
                      "read as the Kronecker delta", typo=False)
            i, j = (self._index(q, node) for q in _split_down(down))
            return sp.Integer(int(i == j))
        if name == "C":
            if down and "x" in _split_down(down):
                return cost_symbol(self._x("x"))
            if down or up:
                raise NotUnderstood(f"`{self._written(node)}` is not a cost of this document",
                                    node.pos, self._written(node))
            return cost_symbol()
        if name in _FREE and not up and not down and not bold:
            self.note(name, name, f"`{name}` without layer or index read as a free real variable",
                      typo=False)
            return sp.Symbol(name, real=True)
        if name not in NETWORK:
            raise NotUnderstood(f"symbol `{name}` is not defined in this document (its "
                                "symbols: W, b, z, a, \\delta, y, C, \\eta, N)", node.pos, name)
        if name == "y":
            layer_raw, xvar = _split_up(up)
            if layer_raw is not None and layer_raw != "L":
                raise NotUnderstood(f"`y^{{{layer_raw}}}`: targets live on the output layer",
                                    node.pos, up)
            layer = w.L
        else:
            layer_raw, xvar = _split_up(up)
            layer = self._layer(node, layer_raw, name)
        x = self._x(xvar)
        if down is not None and "argmax" in down.replace(" ", ""):
            return self._argmax_index(node, name, layer, x, down)
        if bold or down is None:
            if down is not None:
                raise NotUnderstood("bold symbol with a subscript", node.pos, self._written(node))
            return self._tensor(node, name, layer, x)
        idx = [self._index(q, node) for q in _split_down(down)]
        need = 2 if name == "W" else 1
        if len(idx) != need:
            raise NotUnderstood(f"`{self._written(node)}` needs {need} index(es)", node.pos,
                                self._written(node))
        limits = [_size_of(w, name, layer, p) for p in range(need)]
        if any(not 1 <= v <= m for v, m in zip(idx, limits)):
            raise NotUnderstood(f"index out of range in `{self._written(node)}`", node.pos,
                                self._written(node))
        return self.component(name, layer, idx, x)

    def component(self, name, layer, idx, x):
        if name == "W":
            return S.W(layer, idx[0], idx[1])
        if name == "b":
            return S.b(layer, idx[0])
        if name == "z":
            return S.z(layer, idx[0], x)
        if name == "a":
            return S.a(layer, idx[0], x)
        if name == "y":
            return S.y(idx[0], x)
        return self.delta(layer, idx[0], x)

    def delta(self, layer, j, x):
        w = self.world
        if "delta" in w.defs:
            return w.defs["delta"](w, layer, j, x)
        cost = cost_symbol(x) if w.batch is not None and x is not None else cost_symbol()
        return w.total(cost, S.z(layer, j, x))

    def _tensor(self, node, name, layer, x):
        w = self.world
        if name == "W":
            return sp.Matrix(w.size(layer), w.size(layer - 1),
                             lambda r, c: S.W(layer, int(r) + 1, int(c) + 1))
        n = w.size(layer)
        return sp.Matrix(n, 1, lambda r, c: self.component(name, layer, [int(r) + 1], x))

    def _argmax_index(self, node, name, layer, x, down):
        cmd = r"\argmax" if r"\argmax" in down else None
        if cmd:
            self.note(cmd, NOT_KATEX[cmd], r"`\argmax` is not a LaTeX/KaTeX command")
        self.onehot = True
        self.note(self._written(node), r"\sum_j y_j %s_j" % name,
                  "index argmax y read for a one-hot y: the component where y_j = 1",
                  typo=False)
        n = self.world.size(self.world.L)
        return sp.Add(*[S.y(j, x) * self.component(name, layer, [j], x) for j in range(1, n + 1)])

    # ------------------------------------------------------------ tree
    def value(self, node: Node):
        method = getattr(self, "_" + node.kind, None)
        if method is None:
            raise NotUnderstood(f"`{node.kind}` is not understood here", node.pos, node.kind)
        return method(node)

    def _sym(self, node):
        return self.symbol(node)

    def _num(self, node):
        return sp.Rational(node.args[0])

    def _paren(self, node):
        return self.value(node.args[0])

    def _neg(self, node):
        return -self.value(node.args[0])

    def _add(self, node):
        vals = [self.value(a) for a in node.args]
        shapes = {v.shape for v in vals if isinstance(v, sp.MatrixBase)}
        if len(shapes) > 1:
            raise ShapeError("adding matrices of different shapes %s" % sorted(shapes),
                             node.pos, "+")
        if shapes:
            shape = shapes.pop()
            vals = [v if isinstance(v, sp.MatrixBase) else sp.ones(*shape) * v for v in vals]
            out = vals[0]
            for v in vals[1:]:
                out = out + v
            return out
        return sp.Add(*vals)

    def _mul(self, node):
        out = None
        for f in node.args:
            v = self.value(f)
            out = v if out is None else self._times(out, v, f)
        return out

    def _times(self, u, v, where):
        um, vm = isinstance(u, sp.MatrixBase), isinstance(v, sp.MatrixBase)
        if not (um and vm):
            return u * v
        if u.shape[1] == v.shape[0]:
            return u * v
        if u.shape == v.shape:
            self.note("juxtaposed vectors", r"\odot", "two vectors side by side read as "
                                                      "their elementwise product", typo=False)
            return u.multiply_elementwise(v)
        raise ShapeError(f"product of shapes {u.shape} and {v.shape}", where.pos,
                         "matrix product")

    def _hadamard(self, node):
        vals = [self.value(a) for a in node.args]
        out = vals[0]
        for v, f in zip(vals[1:], node.args[1:]):
            if not (isinstance(out, sp.MatrixBase) and isinstance(v, sp.MatrixBase)) \
                    or out.shape != v.shape:
                raise ShapeError("`\\odot` needs two vectors of one shape", f.pos, r"\odot")
            out = out.multiply_elementwise(v)
        return out

    def _frac(self, node):
        num, den = self.value(node.args[0]), self.value(node.args[1])
        if isinstance(den, sp.MatrixBase):
            if isinstance(num, sp.MatrixBase):
                raise NotUnderstood("a matrix divided by a matrix", node.pos, r"\frac")
            return den.applyfunc(lambda d: num / d)
        return num / den

    def _pow(self, node):
        base, exp = self.value(node.args[0]), self.value(node.args[1])
        if isinstance(exp, sp.MatrixBase):
            raise NotUnderstood("a matrix exponent", node.pos, "^")
        if isinstance(base, sp.MatrixBase):
            self.note("(vector)^2", r"\odot", "a power of a vector read elementwise", typo=False)
            return base.applyfunc(lambda e: e ** exp)
        return base ** exp

    def _transpose(self, node):
        v = self.value(node.args[0])
        return v.T if isinstance(v, sp.MatrixBase) else v

    def _fn(self, node):
        name, prime = node.args[0], node.info.get("prime", 0)
        if name == "max":
            first, second = (self.value(q) for q in node.args[1].args)
            if isinstance(first, sp.MatrixBase) or isinstance(second, sp.MatrixBase):
                raise NotUnderstood("`\\max` of a vector", node.pos, r"\max")
            if prime:
                raise NotUnderstood("`\\max'`: write the derivative out", node.pos, r"\max'")
            if first == 0 or second == 0:
                return relu(second if first == 0 else first)
            return sp.Max(first, second)
        arg = self.value(node.args[1])
        f = {"sigma": self.world.defs.get("sigma", sigma_generic), "ln": sp.log, "exp": sp.exp, "tanh": sp.tanh,
             "relu": relu, "sinh": sp.sinh, "cosh": sp.cosh}[name]

        def apply(e):
            if prime == 0:
                return f(e)
            return sp.diff(f(_t), _t, prime).subs(_t, e)

        return arg.applyfunc(apply) if isinstance(arg, sp.MatrixBase) else apply(arg)

    def _sum(self, node):
        var, body = node.args
        rng = _range_for(self.world, var, [body], self.env)
        if rng is None:
            raise NotUnderstood(f"sum over `{var}`, which its body does not use as an index",
                                node.pos, "\\sum_%s" % var)
        vals = [self.sub(**{var: v}).value(body) for v in rng]
        out = vals[0]
        for v in vals[1:]:
            out = out + v
        return out

    def _Delta(self, node):
        inner = node.args[0]
        if inner.kind == "sym" and inner.info["name"] == "C":
            self.first_order = True
            w = self.world
            cost = self.value(inner)
            return sp.Add(*[w.total(cost, p) * self._change(p) for p in w.params()])
        v = self.value(inner)
        if isinstance(v, sp.MatrixBase):
            return v.applyfunc(self._change)
        if v not in set(self.world.params()):
            raise NotUnderstood("`\\Delta` of something that is not a weight, a bias or C",
                                node.pos, r"\Delta")
        return self._change(v)

    def _change(self, p):
        w = self.world
        kind = "update_W" if p.name.startswith("W") else "update_b"
        if kind in w.defs:
            return w.defs[kind](w, p)
        return delta_symbol(p)

    def _partial(self, node):
        num_node, den_node = node.args
        if node.info.get("malformed"):
            den_tex = self._source(den_node)
            self.note(r"\frac{\partial C}{%s}" % den_tex if self._source(num_node) == "C"
                      else "missing \\partial", r"\frac{\partial C}{\partial %s}" % den_tex
                      if self._source(num_node) == "C" else "\\partial",
                      "missing \u2202 in the denominator: a derivative is "
                      "\u2202X/\u2202Y")
        den = self.value(den_node)
        num = self.value(num_node)
        return self._derivative(num, den, den_node)

    def _source(self, node):
        if node.kind == "sym":
            return self._written(node)
        return node.kind

    def _derivative(self, num, den, where):
        w = self.world
        if isinstance(den, sp.MatrixBase):
            if isinstance(num, sp.MatrixBase):
                if num.shape[1] != 1 or den.shape[1] != 1:
                    raise NotUnderstood("derivative of a matrix by a matrix", where.pos, "\\partial")
                return sp.Matrix(num.shape[0], den.shape[0],
                                 lambda r, c: self._d(num[r], den[c], where))
            return den.applyfunc(lambda d: self._d(num, d, where))
        if isinstance(num, sp.MatrixBase):
            return num.applyfunc(lambda e: self._d(e, den, where))
        return self._d(num, den, where)

    def _d(self, num, den, where):
        if not isinstance(den, sp.Symbol):
            raise NotUnderstood("derivative with respect to an expression, not a symbol",
                                where.pos, "\\partial")
        return self.world.total(num, den)

    def _norm(self, node):
        v = self.value(node.args[0])
        if isinstance(v, sp.MatrixBase):
            return sp.sqrt(sum(e ** 2 for e in v))
        return sp.Abs(v)

    def _nabla(self, node):
        inner = node.args[0]
        if node.info.get("sub"):
            return self._gradient(node, inner)
        if inner.kind != "sym" or inner.info["name"] not in ("a", "z"):
            raise NotUnderstood("`\\nabla` of something other than a or z", node.pos, r"\nabla")
        v = self.value(inner)
        w = self.world
        layer = self._layer(inner, _split_up(inner.info["up"])[0], inner.info["name"])
        x = self._x(_split_up(inner.info["up"])[1])
        if inner.info["name"] == "a":  # the Jacobian of a^l with respect to z^l
            zs = [S.z(layer, q, x) for q in range(1, w.size(layer) + 1)]
            if isinstance(v, sp.MatrixBase):
                return sp.Matrix(len(v), len(zs), lambda r, c: w.total(v[r], zs[c]))
            return w.total(v, S.z(layer, self.env.get("j", 1), x))
        written = "\\nabla " + self._written(inner)
        right = "\\sigma'(%s)" % self._written(inner)
        self.note(written, right, "\u2207z read as the activation's derivative \u03c3'(z) "
                                  "(literally \u2202z/\u2202z = 1, and the equation would be false)")

        def slope(zz):
            l2, j2 = self._coords(zz)
            return w.total(S.a(l2, j2, x), zz)

        return v.applyfunc(slope) if isinstance(v, sp.MatrixBase) else slope(v)

    def _gradient(self, node, inner):
        """``\\nabla_a C``: the gradient with respect to ``a^L`` (or the layer written)."""
        from derive.check.parse import parse_chain

        raw = node.info["sub"].replace(r"\mathbf", "").replace(r"\boldsymbol", "")
        raw = raw.replace("{", "").replace("}", "").strip()
        try:
            wrt = parse_chain(raw if "^" in raw else raw + "^L").first
        except NotUnderstood:
            wrt = None
        if wrt is None or wrt.kind != "sym" or wrt.info["name"] not in ("a", "z", "W", "b"):
            raise NotUnderstood(f"`\\nabla_{{{node.info['sub']}}}`: a gradient with respect "
                                "to a, z, W or b", node.pos, r"\nabla_")
        wrt.info["bold"] = True
        return self._derivative(self.value(inner), self.value(wrt), node)

    @staticmethod
    def _coords(zz):
        layer, idx = _name_indices(zz)
        return layer, idx[0]

    def _matrix(self, node):
        rows = node.args
        has_dots = any(c.kind == "ellipsis" for r in rows for c in r)
        if not has_dots:
            vals = [[self.value(c) for c in r] for r in rows]
            return sp.Matrix(vals)
        general = rows[-1][-1]
        free = set(free_indices(general)) - set(self.env) - {"l"}
        row_letter = self._letter(rows[-1][0], free)
        col_letter = self._letter(rows[0][-1], free) if len(rows[0]) > 1 else None
        if row_letter is None or len(rows[0]) > 1 and col_letter is None:
            raise NotUnderstood("cannot find the general entry's row/column index", node.pos,
                                "pmatrix")
        r_rng = _range_for(self.world, row_letter, [general], self.env)
        if col_letter is None:
            return sp.Matrix([[self.sub(**{row_letter: r}).value(general)] for r in r_rng])
        c_rng = _range_for(self.world, col_letter, [general], self.env)
        return sp.Matrix([[self.sub(**{row_letter: r, col_letter: c}).value(general)
                           for c in c_rng] for r in r_rng])

    @staticmethod
    def _letter(cell, free):
        found = [q for q in free_indices(cell) if q in free]
        if not found:
            out = []
            _slots(cell, frozenset(), out)
            found = [q for q, k, _ in out if q in free]
        return found[0] if found else None

    def _ellipsis(self, node):
        raise NotUnderstood(f"`{node.args[0]}` outside a matrix", node.pos, node.args[0])

    def _argmax(self, node):
        raise NotUnderstood("`\\argmax` outside an index", node.pos, r"\argmax")
