"""The names the command line accepts, listed for ``--help``.

>>> from derive.catalog import describe
>>> print(describe().splitlines()[0])
pairs (output+loss; * = the note's matching pairs, delta^L = a - y):
"""

from __future__ import annotations

__all__ = ["describe"]


def describe() -> str:
    """Pairs, outputs, losses and hidden activations, one block each.

    >>> "softmax+log_likelihood*" in describe() and "relu" in describe()
    True
    """
    from derive.functions import ACTIVATIONS, LOSSES, OUTPUTS
    from derive.pairs import MATCHING, PAIRS

    pairs = ["%s+%s%s" % (o, c, "*" if (o, c) in MATCHING else "") for o, c in PAIRS]
    lines = ["pairs (output+loss; * = the note's matching pairs, delta^L = a - y):",
             "  " + ", ".join(pairs[:3]), "  " + ", ".join(pairs[3:6]),
             "  " + ", ".join(pairs[6:]), "outputs:"]
    lines += ["  %-8s %s" % (name, out.formula) for name, out in OUTPUTS.items()]
    lines.append("losses:")
    lines += ["  %-15s %s" % (name, loss.formula) for name, loss in LOSSES.items()]
    lines.append("hidden activations: " + ", ".join(ACTIVATIONS))
    lines.append("examples: python -m derive --sizes 2,3 --pairs softmax+mse "
                 "--network 3,4,2 --hidden tanh")
    return "\n".join(lines)
