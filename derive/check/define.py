r"""Definitions a document makes, recorded in its :class:`~derive.check.world.World`.

``z^l_j = ...``, a hidden activation ``a^l_j = ...``, an output function ``a^L = ...``,
a loss ``C = ...`` (or per example ``C_x = ...``), ``\delta^l_j \equiv ...``, a step
``\Delta W^l_{jk} = ...`` and the activation itself (``\sigma(z) = ...``) change how
the world builds its nodes for every later step, as a reader would read them.

>>> from derive.check.parse import parse_chain
>>> from derive.check.world import World
>>> w = World()
>>> c = parse_chain(r"a^l_j = \tanh(z^l_j)")
>>> define(w, c.first, "=", c.links[0][1], [])
'hidden'
>>> from derive.symbols import a
>>> w.local(a(1, 2))
tanh(z^{1}_{2})
"""

from __future__ import annotations

import sympy as sp

from derive import symbols as S
from derive.check.evaluate import (_FREE, Evaluator, _layer_parts, _name_indices, _split_down,
                                   _split_up, free_indices, index_ranges)
from derive.check.parse import Node, NotUnderstood
from derive.check.world import World, sigma_generic

__all__ = ["define"]


def define(world: World, lhs: Node, rel: str, rhs: Node, notes: list):
    """If ``lhs rel rhs`` defines something of the network, record it in ``world``
    and return its kind ('z', 'hidden', 'output', 'loss', 'loss_x', 'delta',
    'update_W', 'update_b'); otherwise None (it is a claim to check)."""
    if rel in ("=", "def") and lhs.kind == "fn" and lhs.args[0] == "sigma" \
            and not lhs.info.get("prime") and lhs.args[1].kind == "sym" \
            and lhs.args[1].info["name"] in _FREE and "sigma" not in world.defs:
        var = sp.Symbol(lhs.args[1].info["name"], real=True)
        body = Evaluator(world, {}, notes).value(rhs)
        if isinstance(body, sp.MatrixBase) or body.has(sigma_generic):
            return None
        world.defs["sigma"] = sp.Lambda(var, body)
        world._local.clear()
        world._memo.clear()
        return "sigma"
    kind, letters = _definable(world, lhs, rel, rhs)
    if kind is None:
        return None

    def at(w, env):
        ev = Evaluator(w, env, notes)
        v = ev.value(rhs)
        if ev.onehot and w.cases == [{}]:
            n = w.size(w.L)
            xs = w.examples
            w.cases = [{S.y(j, x): int(j == hot) for x in xs for j in range(1, n + 1)}
                       for hot in range(1, n + 1)]
            w.assumptions.append("y one-hot (every one of the %d cases)" % n)
        return v

    bold = lhs.kind == "sym" and lhs.info["bold"]
    lay, idx = letters

    def component(w, env, j):
        v = at(w, env)
        if isinstance(v, sp.MatrixBase):
            if not bold:
                raise NotUnderstood("a scalar defined as a vector", rhs.pos, "=")
            return v[j - 1]
        return v

    if kind == "z":
        world.defs["z"] = lambda w, l, j, x: component(w, _env(lay, l, idx, j, x), j)
    elif kind == "hidden":
        world.defs["hidden"] = lambda w, l, j, x: _through_z(
            w, component(w, _env(lay, l, idx, j, x), j), l, j, x)
    elif kind == "output":
        world.defs["output"] = lambda w, j, x: _through_z(
            w, component(w, _env(None, None, idx, j, x), j), w.L, j, x)
    elif kind in ("loss", "loss_x"):
        world.defs[kind] = lambda w, x: _scalar_cost(w, at, rhs, x, notes)
    elif kind == "delta":
        world.defs["delta"] = lambda w, l, j, x: component(w, _env(lay, l, idx, j, x), j)
    else:
        target = lhs.args[0]
        world.defs[kind] = lambda w, p: _update(w, at, target, p)
    world._local.clear()
    world._memo.clear()
    return kind


def _through_z(w, value, l, j, x):
    """``a^l_j = \\sigma(\\sum_k w^l_{jk} a^{l-1}_k + b^l_j)``: the weighted input written
    out is ``z^l_j`` (so that ``\\partial a/\\partial z`` is the activation's slope)."""
    zz = S.z(l, j, x)
    affine = w.local(zz)
    if affine is not None and not value.has(zz) and value.has(affine):
        return value.xreplace({affine: zz})
    return value


def _env(lay, l, idx, j, x):
    env = {} if x is None else {"x": x}
    if lay:
        env[lay] = l
    if idx:
        env[idx] = j
    return env


def _scalar_cost(w, at, rhs, x, notes):
    env = {} if x is None else {"x": x}
    letters = [q for q in free_indices(rhs) if q not in env]
    if letters:
        why = "C with a free index on the right read as summed over it"
        if ("free index", r"\sum", why, False) not in notes:
            notes.append(("free index", r"\sum", why, False))
        total = 0
        for e in index_ranges(w, letters, [rhs]):
            total += at(w, {**env, **e})
        return total
    v = at(w, env)
    if isinstance(v, sp.MatrixBase):
        why = "C given as a vector read as the sum of its components"
        if ("vector C", r"\sum_j", why, False) not in notes:
            notes.append(("vector C", r"\sum_j", why, False))
        return sum(v)
    return v


def _update(w, at, target, p):
    l, idx = _name_indices(p)
    j, k = idx[0], (idx[1] if len(idx) > 1 else None)
    up = target.info["up"]
    letter = _layer_parts(up)[0] if up and _layer_parts(up) else None
    if target.info["bold"]:
        v = at(w, {letter: l} if letter == "l" else {})
        return v[j - 1, k - 1] if k else v[j - 1]
    down = _split_down(target.info["down"] or "")
    env = {letter: l} if letter == "l" else {}
    if down:
        env[down[0]] = j
    if k and len(down) > 1:
        env[down[1]] = k
    return at(w, env)


def _definable(world, lhs, rel, rhs):
    if rel not in ("=", "def"):
        return None, (None, None)
    if lhs.kind == "Delta" and lhs.args[0].kind == "sym" and lhs.args[0].info["name"] in "Wb":
        name = lhs.args[0].info["name"]
        kind = "update_" + name
        return (kind if kind not in world.defs else None), (None, None)
    if lhs.kind != "sym":
        return None, (None, None)
    name, up, down = lhs.info["name"], lhs.info["up"], lhs.info["down"]
    if name == "C":
        kind = "loss_x" if down and "x" in down else "loss" if not down and not up else None
        return (kind if kind not in world.defs else None), (None, None)
    if name not in ("z", "a", "delta"):
        return None, (None, None)
    layer_raw = _split_up(up)[0] if name != "y" else None
    parts = _layer_parts(layer_raw) if layer_raw else None
    if parts is None:
        return None, (None, None)
    idx = _split_down(down)[0] if down else None
    if idx is not None and not idx.isalpha():
        return None, (None, None)
    var = parts[0]
    if name == "z":
        kind = "z" if var == "l" else None
    elif name == "a":
        kind = "output" if var == "L" else "hidden" if var == "l" else None
    else:
        kind = "delta" if (rel == "def" or rhs.kind == "partial") and var == "l" else None
    if kind is None or kind in world.defs:
        return None, (None, None)
    if kind == "delta" and rel != "def":
        return None, (None, None)
    return kind, ("l" if var == "l" else None, idx)

