"""numeric: the NumPy side -- backprop of the reference note and a gradient checker.

Never imports SymPy. Public names are re-exported lazily from their modules so that
``import numeric`` stays cheap and each module can be read on its own.
"""

from __future__ import annotations

import importlib

# public name -> module that defines it
_EXPORTS = {
    "Activation": "numeric.activations",
    "ACTIVATIONS": "numeric.activations",
    "register_activation": "numeric.activations",
    "get_activation": "numeric.activations",
    "Output": "numeric.outputs",
    "OUTPUTS": "numeric.outputs",
    "get_output": "numeric.outputs",
    "Loss": "numeric.losses",
    "LOSSES": "numeric.losses",
    "get_loss": "numeric.losses",
    "Network": "numeric.network",
    "Layer": "numeric.layers",
    "LAYERS": "numeric.layers",
    "get_layer": "numeric.layers",
    "check_layer": "numeric.gradcheck",
    "assert_layer_gradients": "numeric.gradcheck",
    "GradientReport": "numeric.gradcheck",
    "check_torch": "numeric.adapters",
    "check_jax": "numeric.adapters",
    "check_cache_layer": "numeric.adapters",
    "check_value_and_grad": "numeric.adapters",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'numeric' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
