"""A gradient checker that says where a hand-written backward is wrong, and how.

``forward(*inputs)`` returns an array or a tuple of arrays; ``backward(grad_output,
*inputs)`` returns one gradient per input (``None`` for an input that is not checked).
:func:`check_layer` draws a random cotangent ``v`` (``grad_output``; 1 for a scalar
output), calls ``backward`` and compares each entry of the VJP ``J^T v`` with the numeric
derivative of ``v . forward`` in that entry, then gives each entry a verdict: verified,
wrong, kink, inaccurate or unresolved (see ``docs/gradcheck.md``).

The package, one step a module: ``_calls`` (the user's code, on copies), ``_holo``
(NumPy's ``var``, ``abs``, ``norm``... as holomorphic extensions for the complex step),
``_method`` (complex step and real differences), ``_judge`` (per-entry verdicts),
``_examine`` (the perturbation test that tells rounding from formula errors), ``_full``
(the entry-by-entry check), ``_locate`` (random directions and group testing for large
inputs), ``_diagnose`` (what a wrong gradient looks like), ``_report`` (the report),
``_check`` (the orchestration).

>>> import numpy as np
>>> x, W, b = np.ones((3, 4)), np.arange(6.0).reshape(2, 3), np.zeros(2)
>>> fwd = lambda x, W, b: W @ x + b[:, None]
>>> good = lambda g, x, W, b: (W.T @ g, g @ x.T, g.sum(axis=1))
>>> check_layer(fwd, good, (x, W, b), names=("x", "W", "b")).ok
True
>>> bad = lambda g, x, W, b: (W.T @ g, g @ x.T, g[:, 0])   # bias from one sample
>>> report = check_layer(fwd, bad, (x, W, b), names=("x", "W", "b"))
>>> report.ok
False
>>> print(str(report).splitlines()[0])
gradient check FAILED: 1 of 3 inputs wrong (b); ... forward calls, 4 backward calls
"""

from numeric.gradcheck._check import assert_layer_gradients, check_layer
from numeric.gradcheck._report import Entry, GradientReport, InputResult

__all__ = ["Entry", "GradientReport", "InputResult", "assert_layer_gradients", "check_layer"]
