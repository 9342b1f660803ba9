"""Hidden-layer activations sigma, each one small frozen object: value and derivative side by side.

In the note's notation a hidden layer computes ``a^l = sigma(z^l)`` elementwise, and BP2
needs ``sigma'(z^{l-1})``. Arrays follow the mini-batch layout of the whole package: one
example per column, so ``z`` has shape ``(n_l, N)``; every function here is elementwise
and accepts any shape.

The registry :data:`ACTIVATIONS` is live: :func:`register_activation` adds to it at run
time, and everything that looks names up (the :class:`~numeric.network.Network`, the
property tests) reads it when it runs, so a user-registered activation is picked up.

>>> import numpy as np
>>> act = get_activation("sigmoid")
>>> act
Activation('sigmoid', kinks=(), domain=(-inf, inf))
>>> act.fn(np.array([0.0])), act.deriv(np.array([0.0]))
(array([0.5]), array([0.25]))
>>> [act.name for act in BUILTIN_ACTIVATIONS]
['identity', 'sigmoid', 'tanh', 'relu', 'softplus']

All built-ins are finite for ``|z|`` up to 1000 (sigmoid through ``e^{-|z|}``, softplus
through ``logaddexp``):

>>> get_activation("softplus").fn(np.array([-1000.0, 1000.0]))
array([   0., 1000.])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from numeric import _stable
from numeric._registry import lookup

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "BUILTIN_ACTIVATIONS",
    "get_activation",
    "register_activation",
    "unregister_activation",
]


@dataclass(frozen=True, repr=False)
class Activation:
    """One elementwise activation: ``fn`` is sigma, ``deriv`` is sigma' (both elementwise).

    ``kinks`` lists the points where sigma is not differentiable (relu: ``(0.0,)``);
    ``domain`` is the open interval of valid z (default the whole line).

    >>> import numpy as np
    >>> cube = Activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    >>> cube
    Activation('cube', kinks=(), domain=(-inf, inf))
    >>> cube(np.array([2.0]))
    array([8.])
    >>> Activation("", abs, abs)
    Traceback (most recent call last):
    ...
    ValueError: name: expected a non-empty string, got ''
    """

    name: str
    fn: Callable = field(compare=False)
    deriv: Callable = field(compare=False)
    kinks: tuple = ()
    domain: tuple = (-math.inf, math.inf)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: expected a non-empty string, got {self.name!r}")
        for attr in ("fn", "deriv"):
            if not callable(getattr(self, attr)):
                raise TypeError(
                    f"{attr}: expected a callable, got {type(getattr(self, attr)).__name__}"
                )
        try:
            kinks = tuple(float(k) for k in self.kinks)
        except (TypeError, ValueError):
            raise TypeError(f"kinks: expected a tuple of numbers, got {self.kinks!r}") from None
        object.__setattr__(self, "kinks", kinks)
        try:
            lo, hi = (float(v) for v in self.domain)
        except (TypeError, ValueError):
            raise TypeError(f"domain: expected a pair (lo, hi), got {self.domain!r}") from None
        if not lo < hi:
            raise ValueError(f"domain: expected lo < hi, got {self.domain!r}")
        object.__setattr__(self, "domain", (lo, hi))

    def __call__(self, z):
        return self.fn(z)

    def __repr__(self):
        return f"Activation({self.name!r}, kinks={self.kinks!r}, domain={self.domain!r})"

    def in_domain(self, z) -> bool:
        """True when every entry of ``z`` lies in the open interval ``domain``.

        >>> get_activation("relu").in_domain([-5.0, 5.0])
        True
        """
        lo, hi = self.domain
        z = np.asarray(z)
        z = (z.real if np.iscomplexobj(z) else z).astype(np.float64, copy=False)
        return bool(np.all((z > lo) & (z < hi)))


# ---------------------------------------------------------------- built-in activations


def _identity(z):
    return _stable._arr(z).copy()


def _identity_deriv(z):
    return np.ones_like(_stable._arr(z))


def _sigmoid_deriv(z):
    # s (1 - s) with 1 - s = sigmoid(-z): exact to a few ulps where s rounds near 1
    # (1 - s computed by subtraction keeps only eps / (1 - s) relative: 1e-9 at z = 16)
    return _stable.sigmoid(z) * _stable.sigmoid(-_stable._arr(z))


def _tanh(z):
    return np.tanh(_stable._arr(z))


def _tanh_deriv(z):
    # 1 - t^2 = (1 - t)(1 + t) = 4 sigmoid(2z) sigmoid(-2z): no cancellation where |t| ~ 1,
    # no overflow (1 / cosh^2 overflows at |z| > 710)
    z = 2.0 * _stable._arr(z)
    return 4.0 * _stable.sigmoid(z) * _stable.sigmoid(-z)


def _relu(z):
    z = _stable._arr(z)
    if np.iscomplexobj(z):  # the branch on the real part (np.maximum orders complex lexically)
        return np.where(z.real > 0, z, 0.0)
    return np.maximum(z, 0.0)


def _relu_deriv(z):
    # at the kink z = 0 this returns the left-hand derivative 0 (a convention)
    z = _stable._arr(z)
    return ((z.real if np.iscomplexobj(z) else z) > 0).astype(z.dtype)


BUILTIN_ACTIVATIONS = (
    Activation("identity", _identity, _identity_deriv),
    Activation("sigmoid", _stable.sigmoid, _sigmoid_deriv),
    Activation("tanh", _tanh, _tanh_deriv),
    Activation("relu", _relu, _relu_deriv, kinks=(0.0,)),
    Activation("softplus", _stable.softplus, _stable.sigmoid),  # softplus' = sigmoid
)

#: name -> Activation; live (see :func:`register_activation`).
ACTIVATIONS: dict = {act.name: act for act in BUILTIN_ACTIVATIONS}


def register_activation(act: Activation, *, replace: bool = False) -> Activation:
    """Add ``act`` to the live registry :data:`ACTIVATIONS` and return it.

    A duplicate name is an error unless ``replace=True``.

    >>> import numpy as np
    >>> sq = register_activation(Activation("square_doc", np.square, lambda z: 2 * z))
    >>> get_activation("square_doc") is sq
    True
    >>> register_activation(sq)
    Traceback (most recent call last):
    ...
    ValueError: act: an activation named 'square_doc' is already registered (pass replace=True to replace it)
    >>> unregister_activation("square_doc")
    """
    if not isinstance(act, Activation):
        raise TypeError(f"act: expected an Activation, got {type(act).__name__}")
    if act.name in ACTIVATIONS and not replace:
        raise ValueError(
            f"act: an activation named {act.name!r} is already registered "
            "(pass replace=True to replace it)"
        )
    ACTIVATIONS[act.name] = act
    return act


# other names people type for the built-ins (any case or separator is accepted as well)
ACTIVATION_ALIASES = {"linear": "identity", "none": "identity", "logistic": "sigmoid",
                      "rectifier": "relu", "smooth_relu": "softplus"}


def unregister_activation(name: str) -> None:
    """Remove a user-registered activation (the built-ins cannot be removed).

    >>> unregister_activation("relu")
    Traceback (most recent call last):
    ...
    ValueError: name: 'relu' is built in and cannot be unregistered
    """
    if any(name == act.name for act in BUILTIN_ACTIVATIONS):
        raise ValueError(f"name: {name!r} is built in and cannot be unregistered")
    get_activation(name)
    del ACTIVATIONS[name]


def get_activation(name) -> Activation:
    """Look an activation up by name (an :class:`Activation` is returned unchanged).

    >>> get_activation("relu").kinks
    (0.0,)
    >>> get_activation("gelu")
    Traceback (most recent call last):
    ...
    ValueError: hidden: unknown activation 'gelu'; known: ...
    >>> get_activation("ReLU").name, get_activation("logistic").name
    ('relu', 'sigmoid')
    """
    return lookup(ACTIVATIONS, name, Activation, "hidden", "activation", ACTIVATION_ALIASES)
