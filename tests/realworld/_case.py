"""One row of the real-world zoo, and adapters from course-style code to the checker's protocol.

Course code (cs231n-style ``layers.py``) splits a layer into ``layer_forward(*inputs) ->
(out, cache)`` and ``layer_backward(dout, cache) -> grads``; losses return ``(loss, dx)``.
The checker wants ``forward(*inputs) -> array`` and ``backward(grad_output, *inputs) ->
tuple`` (one gradient per input, ``None`` for inputs that are not checked). The adapters
below recompute the cache inside ``backward``, exactly as a user would wrap their code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Case", "course_layer", "course_loss", "tuple_to_concat"]


@dataclass(frozen=True)
class Case:
    """A layer (correct or with a real-world bug) and how to draw inputs for it.

    ``source``: repository + path (+ commit) or URL of the code/thread it was taken from.
    ``bug``: ``None`` for a correct layer, else one line saying what is wrong (and the
    thread/commit the mistake comes from, when there is one).
    ``cause``: regular expressions; for a buggy case, at least one must appear in
    ``str(report)`` (the real cause named), checked case-insensitively.
    ``needs``: checker features the case relies on (``"tuple_outputs"``,
    ``"grad_output_copies"``, ...), listed in the report to the lead.
    """

    name: str
    forward: Callable
    backward: Callable
    draw: Callable[[np.random.Generator], tuple]
    names: tuple[str, ...]
    source: str
    bug: str | None = None
    cause: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    note: str = ""

    @property
    def correct(self) -> bool:
        return self.bug is None

    def __repr__(self) -> str:
        kind = "correct" if self.correct else "buggy"
        return f"Case({self.name!r}, {kind})"


def course_layer(layer_forward, layer_backward, extra=(), nones=()):
    """Wrap ``layer_forward(*inputs, *extra) -> (out, cache)`` / ``layer_backward(dout, cache)``.

    ``nones``: positions of inputs that get ``None`` (integer indices, masks); the course
    backward returns gradients only for the others, in order.
    """

    def forward(*inputs):
        return layer_forward(*inputs, *extra)[0]

    def backward(g, *inputs):
        _, cache = layer_forward(*inputs, *extra)
        grads = layer_backward(g, cache)
        if not isinstance(grads, tuple):
            grads = (grads,)
        grads = iter(grads)
        return tuple(None if i in nones else next(grads) for i in range(len(inputs)))

    return forward, backward


def course_loss(loss_fn, n_checked=1):
    """Wrap ``loss_fn(x, y, ...) -> (loss, dx)``: the first input is checked, the rest
    (labels, masks) get ``None``; ``dx`` is scaled by the scalar cotangent ``g``."""

    def forward(*inputs):
        return np.asarray(loss_fn(*inputs)[0])

    def backward(g, *inputs):
        _, dx = loss_fn(*inputs)
        return (np.asarray(g) * dx,) + (None,) * (len(inputs) - 1)

    return forward, backward


def tuple_to_concat(forward, backward, axis=1):
    """Turn a two-output layer (``(h, c)``) into one output ``concat([h, c], axis)`` for a
    checker without tuple outputs; ``backward`` gets the matching *views* of ``g`` (so an
    in-place ``dnext_c += ...`` writes into the checker's own cotangent array, as it would
    with a tuple)."""

    def fwd(*inputs):
        return np.concatenate(forward(*inputs), axis=axis)

    def bwd(g, *inputs):
        h = forward(*inputs)[0].shape[axis]
        index = [slice(None)] * g.ndim
        index[axis] = slice(0, h)
        gh = g[tuple(index)]
        index[axis] = slice(h, None)
        gc = g[tuple(index)]
        return backward((gh, gc), *inputs)

    return fwd, bwd
