"""One lookup for every name registry of numeric/ (activations, outputs, losses, layers)."""

from __future__ import annotations


def lookup(registry: dict, name, cls: type, argument: str, kind: str):
    """``registry[name]``; an instance of ``cls`` is returned unchanged.

    An unknown name raises ``ValueError`` naming the argument and the known names.

    >>> lookup({"a": 1}, "b", float, "hidden", "activation")
    Traceback (most recent call last):
    ...
    ValueError: hidden: unknown activation 'b'; known: a
    """
    if isinstance(name, cls):
        return name
    try:
        return registry[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(registry))
        raise ValueError(f"{argument}: unknown {kind} {name!r}; known: {known}") from None
