"""One lookup for every name registry (activations, outputs, losses, layers).

People type names several ways: ``cross_entropy``, ``cross-entropy``, ``Cross Entropy``,
``CrossEntropy`` and ``crossentropy`` all mean the same loss, and ``bce`` or ``nll`` are
common aliases. :func:`normalize` reduces a spelling to snake_case, :func:`canonical`
maps it (or an alias) to the one registered name, and a typo gets the nearest names
(``difflib``) in the error::

    >>> canonical(["mse", "cross_entropy"], "Cross-Entropy", argument="loss", kind="loss")
    'cross_entropy'
    >>> canonical(["mse", "cross_entropy"], "BCE", aliases={"bce": "cross_entropy"})
    'cross_entropy'
    >>> canonical(["mse", "cross_entropy"], "cross_entropi", argument="loss", kind="loss")
    Traceback (most recent call last):
    ...
    ValueError: loss: unknown loss 'cross_entropi'; known: cross_entropy, mse; did you mean cross_entropy?

Output always uses the registered (canonical) name; nothing else is accepted silently:
only case, separators and the listed aliases are forgiven.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["canonical", "lookup", "normalize", "resolve", "suggest"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalize(name: str) -> str:
    """snake_case of a spelling: case, hyphens, spaces, dots and CamelCase folded.

    >>> [normalize(s) for s in ("CrossEntropy", "log-likelihood", " Layer Norm ", "max_pool")]
    ['cross_entropy', 'log_likelihood', 'layer_norm', 'max_pool']
    """
    text = _CAMEL.sub("_", str(name).strip())
    return re.sub(r"[\s\-_.]+", "_", text).strip("_").lower()


def _squash(name: str) -> str:
    return normalize(name).replace("_", "")


def suggest(name, names, aliases=None, n: int = 1) -> list:
    """The registered names nearest to ``name`` (at most ``n``, closest first); an alias
    that is close counts for the name it stands for.

    >>> suggest("sigmiod", ["sigmoid", "softmax", "linear"])
    ['sigmoid']
    >>> suggest("bcee", ["mse", "cross_entropy"], {"bce": "cross_entropy"})
    ['cross_entropy']
    """
    table = _table(names, aliases)
    found = difflib.get_close_matches(_squash(name), list(table), n=n + 2, cutoff=0.6)
    return list(dict.fromkeys(table[k] for k in found))[:n]


def _table(names, aliases):
    table = {_squash(n): n for n in names}
    for alias, target in (aliases or {}).items():
        if target in table.values():
            table.setdefault(_squash(alias), target)
    return table


def resolve(names, name, aliases=None):
    """The registered name that ``name`` spells (case, separators, aliases), or None.

    >>> resolve(["log_likelihood"], "Log-Likelihood"), resolve(["mse"], "hinge")
    ('log_likelihood', None)
    """
    names = list(names)
    if not isinstance(name, str) or not name.strip():
        return None
    if name in names:
        return name
    return _table(names, aliases).get(_squash(name))


def canonical(names, name, aliases=None, *, argument: str = "name", kind: str = "name") -> str:
    """The registered name that ``name`` spells, or ``ValueError`` with a suggestion.

    ``names`` are the registered names; ``aliases`` maps other names (any spelling) to
    one of them. Matching ignores case, ``-``/``_``/space/``.`` and CamelCase.
    """
    names = list(names)
    found = resolve(names, name, aliases)
    if found is not None:
        return found
    if not isinstance(name, str) or not name.strip():
        got = "an empty name" if isinstance(name, str) else f"{type(name).__name__} {name!r}"
        raise ValueError(f"{argument}: expected a {kind} name ({', '.join(sorted(names))}), "
                         f"got {got}")
    close = suggest(name, names, aliases)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ValueError(f"{argument}: unknown {kind} {name!r}; known: "
                     f"{', '.join(sorted(names))}{hint}")


def lookup(registry: dict, name, cls: type, argument: str, kind: str, aliases=None):
    """``registry[canonical name]``; an instance of ``cls`` is returned unchanged.

    An unknown name raises ``ValueError`` naming the argument, the nearest names and
    the known ones; ``aliases`` maps extra names to registered ones.

    >>> lookup({"a_b": 1}, "A-B", float, "hidden", "activation")
    1
    >>> lookup({"abc": 1}, "abd", float, "hidden", "activation")
    Traceback (most recent call last):
    ...
    ValueError: hidden: unknown activation 'abd'; known: abc; did you mean abc?
    """
    if isinstance(name, cls):
        return name
    return registry[canonical(registry, name, aliases, argument=argument, kind=kind)]
