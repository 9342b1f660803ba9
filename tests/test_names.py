"""Names as people type them: spellings and aliases map to one canonical name, a typo
gets the nearest name, anything else is refused; both pair forms work everywhere."""

from __future__ import annotations

import pytest

import numeric
from derive import catalog
from derive.cli import main
from derive.errors import UsageError
from numeric._registry import canonical, normalize, resolve, suggest

# (kind, what a user types, the canonical name)
SPELLINGS = [
    ("loss", "cross_entropy", "cross_entropy"),
    ("loss", "cross-entropy", "cross_entropy"),
    ("loss", "Cross Entropy", "cross_entropy"),
    ("loss", "CrossEntropy", "cross_entropy"),
    ("loss", "crossentropy", "cross_entropy"),
    ("loss", "CROSS_ENTROPY", "cross_entropy"),
    ("loss", "bce", "cross_entropy"),
    ("loss", "binary_cross_entropy", "cross_entropy"),
    ("loss", "Binary-Cross-Entropy", "cross_entropy"),
    ("loss", "nll", "log_likelihood"),
    ("loss", "NLL", "log_likelihood"),
    ("loss", "log-likelihood", "log_likelihood"),
    ("loss", "LogLikelihood", "log_likelihood"),
    ("loss", "negative_log_likelihood", "log_likelihood"),
    ("loss", "softmax-cross-entropy", "log_likelihood"),
    ("loss", "MSE", "mse"),
    ("loss", "mean squared error", "mse"),
    ("output", "Softmax", "softmax"),
    ("output", "identity", "linear"),
    ("output", "logistic", "sigmoid"),
    ("activation", "ReLU", "relu"),
    ("activation", "Tanh", "tanh"),
    ("activation", "linear", "identity"),
    ("activation", "soft-plus", "softplus"),
]
NUMERIC = {"loss": numeric.get_loss, "output": numeric.get_output,
           "activation": numeric.get_activation}


@pytest.mark.parametrize("kind, typed, name", SPELLINGS)
def test_spellings_and_aliases_reach_one_canonical_name(kind, typed, name):
    assert catalog.canonical(kind, typed) == name
    assert NUMERIC[kind](typed).name == name  # numeric/ accepts the same spellings


# (kind, typo, the suggestion the message must carry, or None: no close name)
TYPOS = [
    ("loss", "cross_entropi", "cross_entropy"),
    ("loss", "crossentrpy", "cross_entropy"),
    ("loss", "log_likelyhood", "log_likelihood"),
    ("output", "softmaxx", "softmax"),
    ("output", "sigmiod", "sigmoid"),
    ("activation", "rleu", "relu"),
    ("loss", "hinge", None),
    ("output", "tanh", None),
    ("loss", "", None),
    ("loss", "   ", None),
]


@pytest.mark.parametrize("kind, typed, nearest", TYPOS)
def test_a_typo_is_refused_with_the_nearest_name(kind, typed, nearest):
    with pytest.raises(UsageError) as exc:
        catalog.canonical(kind, typed)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(kind + ":")
    if nearest:
        assert message.endswith(f"did you mean {nearest}?")
    else:
        assert "did you mean" not in message
    with pytest.raises(ValueError, match="did you mean" if nearest else f"^{kind}"):
        NUMERIC[kind](typed)


def test_normalisation_forgives_only_case_and_separators():
    assert normalize("Log-Likelihood") == normalize("log likelihood") == "log_likelihood"
    assert resolve(["mse"], "m.s.e") == "mse"
    assert resolve(["mse"], "mse2") is None  # a different name is not forgiven
    assert resolve(["mse"], None) is None
    assert suggest("zzzz", ["mse", "cross_entropy"]) == []
    with pytest.raises(ValueError, match="expected a loss name"):
        canonical(["mse"], 3, argument="loss", kind="loss")


@pytest.mark.parametrize("text, pair", [
    ("sigmoid+cross_entropy", ("sigmoid", "cross_entropy")),
    ("sigmoid cross-entropy", ("sigmoid", "cross_entropy")),
    ("Sigmoid + CrossEntropy", ("sigmoid", "cross_entropy")),
    ("softmax+nll", ("softmax", "log_likelihood")),
    ("softmax-cross-entropy", ("softmax", "log_likelihood")),
    ("linear+MSE", ("linear", "mse")),
])
def test_pairs_in_either_form(text, pair):
    assert catalog.parse_pair(text) == pair
    assert catalog.parse_pairs(text + ", linear+mse")[0] == pair


@pytest.mark.parametrize("text, fragment", [
    ("", "an empty name"),
    ("sigmoid+", "output+loss"),
    ("sigmoid+mse+mse", "one output and one loss"),
    ("tanh+mse", "expected one of linear, sigmoid, softmax, got 'tanh'"),
    ("softmaks+mse", "did you mean softmax"),
    ("sigmoid", "output+loss"),
])
def test_bad_pairs_are_one_line(text, fragment):
    with pytest.raises(UsageError, match=fragment.replace("+", r"\+")):
        catalog.parse_pair(text)


# latex OUTPUT LOSS and latex OUTPUT+LOSS, in any spelling: the same document
@pytest.mark.parametrize("argv", [
    ["latex", "sigmoid", "cross-entropy"],
    ["latex", "Sigmoid", "CrossEntropy"],
    ["latex", "sigmoid+cross_entropy"],
    ["latex", "sigmoid", "bce"],
    ["latex", "sigmoid cross entropy"],
])
def test_latex_accepts_both_forms_and_prints_canonical_names(argv, capsys):
    assert main([*argv, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Loss cross_entropy:" in out and "Output sigmoid:" in out
    assert "CrossEntropy" not in out and "cross-entropy" not in out


def test_latex_typo_suggests(capsys):
    assert main(["latex", "sigmoid", "cross_entropi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean cross_entropy?" in err


def test_markdown_table_uses_the_canonical_names():
    from derive.latex_cli import markdown_table

    table = markdown_table()
    assert "| sigmoid: $" in table and "| cross_entropy: $" in table
    assert "CrossEntropy" not in table and "LogLikelihood" not in table
