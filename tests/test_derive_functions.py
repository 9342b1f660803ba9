"""derive.functions: derivative identities proved; a wrong derivative is caught."""

import pytest
import sympy as sp

from derive.errors import UsageError
from derive.functions import (ACTIVATIONS, Activation, get_activation, prove_activation_identities,
                              register_activation, sigmoid)

x = sp.Symbol("x", real=True)

# name -> a wrong derivative that must NOT be proved
WRONG = [
    ("sigmoid", lambda t: sigmoid(t) * (1 + sigmoid(t))),
    ("tanh", lambda t: 1 + sp.tanh(t) ** 2),
    ("relu", lambda t: sp.Integer(1)),
    ("softplus", lambda t: 1 - sigmoid(t)),
    ("identity", lambda t: sp.Integer(0)),
]


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu", "softplus"])
def test_identity_proved(name):
    (proof,) = prove_activation_identities([name])
    assert proof.proved and proof.residual == 0


@pytest.mark.parametrize("name, wrong", WRONG)
def test_wrong_derivative_not_proved(name, wrong, monkeypatch):
    act = ACTIVATIONS[name]
    monkeypatch.setitem(ACTIVATIONS, name, Activation(name, act.fn, wrong, act.explicit, act.kinks))
    (proof,) = prove_activation_identities([name])
    assert not proof.proved and proof.residual != 0


def test_register_activation_and_errors(monkeypatch):
    monkeypatch.setattr("derive.functions.ACTIVATIONS", dict(ACTIVATIONS))
    from derive import functions

    act = functions.register_activation("swish", lambda t: t * sigmoid(t))
    assert sp.expand(act.prime(x) - sp.diff(x * sigmoid(x), x)) == 0
    assert functions.prove_activation_identities(["swish"])[0].proved
    with pytest.raises(UsageError, match="name"):
        functions.register_activation("swish", lambda t: t)
    with pytest.raises(UsageError, match="fn"):
        functions.register_activation("two", x * sp.Symbol("w"))
    with pytest.raises(UsageError, match="activation"):
        get_activation("nope")
