"""The names the command line accepts: canonical spellings, aliases, and ``--help``.

Every name a user types goes through :func:`canonical` (or :func:`parse_pair` for an
output/loss pair), which forgives case, ``-``/``_``/space and CamelCase, knows the
common aliases (``bce``, ``nll``, ``log-likelihood``, ...) and suggests the nearest
name on a typo. Output always shows the one canonical (registered) name.

>>> canonical("loss", "Cross-Entropy")
'cross_entropy'
>>> parse_pair("sigmoid cross-entropy"), parse_pair("Softmax+NLL")
(('sigmoid', 'cross_entropy'), ('softmax', 'log_likelihood'))
>>> parse_pair("softmax-cross-entropy")   # the usual name of softmax with -sum y ln a
('softmax', 'log_likelihood')
>>> canonical("loss", "cross_entropi")
Traceback (most recent call last):
...
derive.errors.UsageError: loss: expected one of mse, cross_entropy, log_likelihood, got 'cross_entropi'; did you mean cross_entropy?
>>> from derive.catalog import describe
>>> print(describe().splitlines()[0])
pairs (output+loss; * = the note's matching pairs, delta^L = a - y):
"""

from __future__ import annotations

import re

from derive.errors import UsageError

__all__ = ["PAIR_ALIASES", "canonical", "describe", "parse_pair", "parse_pairs"]

# one-word names of a whole output/loss pair (any case or separator)
PAIR_ALIASES = {
    "softmax_cross_entropy": ("softmax", "log_likelihood"),
    "categorical_cross_entropy": ("softmax", "log_likelihood"),
    "sigmoid_cross_entropy": ("sigmoid", "cross_entropy"),
    "binary_cross_entropy": ("sigmoid", "cross_entropy"),
}

_KINDS = {  # kind -> (derive registry, numeric aliases, word used in messages)
    "output": ("derive.functions:OUTPUTS", "numeric.outputs:OUTPUT_ALIASES", "output function"),
    "loss": ("derive.functions:LOSSES", "numeric.losses:LOSS_ALIASES", "loss"),
    "activation": ("derive.functions:ACTIVATIONS", "numeric.activations:ACTIVATION_ALIASES",
                   "activation"),
    "layer": ("derive.layers:LAYERS", "numeric.layers:LAYER_ALIASES", "layer"),
}


def _attr(spec: str, default):
    import importlib

    module, name = spec.split(":")
    try:
        return getattr(importlib.import_module(module), name, default)
    except ImportError:
        return default


def canonical(kind: str, name, argument: str | None = None) -> str:
    """The registered name of ``kind`` (output, loss, activation, layer) that ``name`` spells.

    Raises :class:`UsageError` naming ``argument`` (default: ``kind``), the known names
    and the nearest ones.
    """
    from numeric._registry import resolve, suggest

    registry, aliases, _ = _KINDS[kind]
    names, aliases = list(_attr(registry, {})), _attr(aliases, {})
    found = resolve(names, name, aliases)
    if found is not None:
        return found
    shown = sorted(names) if kind == "layer" else names
    got = repr(name) if isinstance(name, str) and name.strip() else "an empty name"
    close = suggest(name, names, aliases) if isinstance(name, str) and name.strip() else []
    hint = "; did you mean %s?" % " or ".join(close) if close else ""
    what = "an activation, one of " if kind == "activation" else "one of "
    raise UsageError(argument or kind, what + ", ".join(shown), got + hint)


def parse_pair(text, argument: str = "pair") -> tuple:
    """``(output, loss)`` from ``output+loss``, ``output loss`` or a one-word pair name.

    Both names are canonicalised; a pair that is not proved here is refused.
    """
    from derive.pairs import PAIRS
    from numeric._registry import normalize

    if not isinstance(text, str) or not text.strip():
        raise UsageError(argument, "output+loss (e.g. sigmoid+cross_entropy)", "an empty name")
    parts = [p for p in re.split(r"[+\s]+", text.strip()) if p]
    if len(parts) == 1:
        key = normalize(parts[0]).replace("_", "")
        for alias, pair in PAIR_ALIASES.items():
            if alias.replace("_", "") == key:
                return pair
        raise UsageError(argument, "output+loss (e.g. sigmoid+cross_entropy)", repr(text))
    if len(parts) > 2 and "+" not in text:  # "sigmoid cross entropy": find the split
        from numeric._registry import resolve

        outputs, losses = _attr(_KINDS["output"][0], {}), _attr(_KINDS["loss"][0], {})
        for k in range(1, len(parts)):
            o = resolve(outputs, " ".join(parts[:k]), _attr(_KINDS["output"][1], {}))
            c = resolve(losses, " ".join(parts[k:]), _attr(_KINDS["loss"][1], {}))
            if o and c:
                parts = [o, c]
                break
    if len(parts) != 2:
        raise UsageError(argument, "one output and one loss, output+loss", repr(text))
    pair = (canonical("output", parts[0], argument), canonical("loss", parts[1], argument))
    if pair not in PAIRS:
        raise UsageError(argument, "one of the pairs " + ", ".join("+".join(p) for p in PAIRS),
                         "+".join(pair))
    return pair


def parse_pairs(text, argument: str = "pairs") -> list:
    """Comma-separated pairs (``all`` for every one), each as in :func:`parse_pair`.

    >>> parse_pairs("linear+mse, Sigmoid CrossEntropy")
    [('linear', 'mse'), ('sigmoid', 'cross_entropy')]
    """
    from derive.pairs import PAIRS

    if isinstance(text, str) and text.strip().lower() == "all":
        return list(PAIRS)
    if not isinstance(text, str) or not text.strip():
        raise UsageError(argument, "comma-separated output+loss pairs or all", "an empty list")
    items = text.split(",")
    if any(not i.strip() for i in items):
        raise UsageError(argument, "comma-separated output+loss pairs, none empty", repr(text))
    return list(dict.fromkeys(parse_pair(i, argument) for i in items))


def describe() -> str:
    """Pairs, outputs, losses, hidden activations and aliases, one block each.

    >>> "softmax+log_likelihood*" in describe() and "relu" in describe()
    True
    """
    from derive.functions import ACTIVATIONS, LOSSES, OUTPUTS
    from derive.pairs import MATCHING, PAIRS
    from numeric.losses import LOSS_ALIASES

    pairs = ["%s+%s%s" % (o, c, "*" if (o, c) in MATCHING else "") for o, c in PAIRS]
    lines = ["pairs (output+loss; * = the note's matching pairs, delta^L = a - y):",
             "  " + ", ".join(pairs[:3]), "  " + ", ".join(pairs[3:6]),
             "  " + ", ".join(pairs[6:]), "outputs:"]
    lines += ["  %-8s %s" % (name, out.formula) for name, out in OUTPUTS.items()]
    lines.append("losses:")
    lines += ["  %-15s %s" % (name, loss.formula) for name, loss in LOSSES.items()]
    lines.append("hidden activations: " + ", ".join(ACTIVATIONS))
    by_target = {}
    for alias, target in LOSS_ALIASES.items():
        by_target.setdefault(target, []).append(alias)
    lines.append("names: any case, '-', '_' or space; loss aliases: " + "; ".join(
        "%s = %s" % (t, ", ".join(a)) for t, a in by_target.items()))
    lines.append("  softmax-cross-entropy (one word) = softmax+log_likelihood; "
                 "OUTPUT LOSS and output+loss are both accepted")
    lines.append("examples: python -m derive --sizes 2,3 --pairs softmax+mse "
                 "--network 3,4,2 --hidden tanh")
    return "\n".join(lines)
