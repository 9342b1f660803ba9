"""Adapters: check gradients where people write them (PyTorch, JAX, course-style NumPy).
from numeric.adapters._numpy import check_cache_layer, check_value_and_grad
Each adapter turns the user's code into :func:`numeric.check_layer`'s protocol and returns
its :class:`~numeric.GradientReport`; every ``check_layer`` option is accepted.
from numeric.adapters._numpy import check_cache_layer, check_value_and_grad
* :func:`check_torch` -- autograd's gradient of a torch function, module or
  ``autograd.Function`` (float64, or float32/bfloat16/float16 against a float64 reference;
  ``order=2`` for the double backward).
* :func:`check_jax` -- ``jax.vjp`` of a JAX function (plain, ``custom_vjp``, ``jax.jit``),
  inputs may be pytrees.
* :func:`check_cache_layer` -- ``out, cache = forward(*inputs)``,
  ``grads = backward(dout, cache)`` (cs231n style).
* :func:`check_value_and_grad` -- ``value, grads = fn(*inputs)`` (loss functions).
from numeric.adapters._numpy import check_cache_layer, check_value_and_grad
PyTorch and JAX are optional: they are imported when their adapter is called, and a
missing one gives a one-line ``ImportError`` naming the extra to install.
"""

from numeric.adapters._jax import check_jax
from numeric.adapters._numpy import check_cache_layer, check_value_and_grad
from numeric.adapters._torch import check_torch

__all__ = ["check_cache_layer", "check_jax", "check_torch", "check_value_and_grad"]
