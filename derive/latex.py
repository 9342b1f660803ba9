r"""LaTeX, Markdown and Unicode output of the derived gradients, in the note's notation.

The reference note writes backpropagation as four equations. They are printed here
with the note's three typos corrected: ``W^{l}_{jk}`` (the note has ``W^j_{jk}``),
``\partial C/\partial W`` (the note has ``\partial C/W``) and ``\sigma'(z^{l-1})``
(the note has ``\nabla z^{l-1}``)::

    BP1  delta^L_j      = dC/dz^L_j                       (closed form per output/loss pair)
    BP2  delta^{l-1}_k  = sum_j W^l_{jk} delta^l_j sigma'(z^{l-1}_k)
    BP3  dC/dW^l_{jk}   = delta^l_j a^{l-1}_k
    BP4  dC/db^l_j      = delta^l_j

Closed forms come from :func:`derive.pairs.closed_form` (a SymPy expression in index
form) and are printed by :class:`NotePrinter`, a SymPy ``LatexPrinter`` whose
``_print_<Class>`` methods know the note's notation:

>>> import sympy as sp
>>> a, y = sp.IndexedBase("a"), sp.IndexedBase("y")
>>> j = sp.Symbol("j", integer=True)
>>> note_latex(a[j] - y[j])
'a^{L}_{j} - y_{j}'
>>> note_text(a[j] - y[j])
'aᴸⱼ − yⱼ'

Every formula is KaTeX-renderable (``tests/test_render.py`` renders all of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

__all__ = [
    "Equation",
    "EQUATIONS",
    "LOSS_NOTATION",
    "Notation",
    "notation",
    "note_latex",
    "note_text",
    "NotePrinter",
    "OUTPUT_NOTATION",
    "pair_status",
    "proof_latex",
    "text_latex",
]

# An IndexedBase is named like derive.symbols names it ("a^{L}", "\delta^{l}", "y");
# a bare "a"/"z"/"delta" is taken to live on the output layer L.
_LABEL = re.compile(r"^(?P<head>\\?[A-Za-z]+)(?:\^\{(?P<layer>[^{}]*)\})?$")
_DEFAULT_LAYER = {"a": "L", "z": "L", "delta": "L", r"\delta": "L"}
_HEAD_LATEX = {"delta": r"\delta"}
_HEAD_TEXT = {"delta": "δ", r"\delta": "δ"}
_SYMBOL = re.compile(r"^(?P<head>\\?[A-Za-z]+)(?:\^\{(?P<up>[^{}]*)\})?(?:_\{(?P<down>[^{}]*)\})?$")
# Opaque SymPy functions of derive.functions -> their printed name.
_FUNC_LATEX = {"sigmoid": r"\sigma", "sigmoid_prime": r"\sigma'", "sigma": r"\sigma",
               "sigma_prime": r"\sigma'", "relu": r"\operatorname{relu}",
               "softplus": r"\operatorname{softplus}"}
_FUNC_TEXT = {"sigmoid": "σ", "sigmoid_prime": "σ′", "sigma": "σ", "sigma_prime": "σ′"}


def _split_label(label: str) -> tuple[str, str]:
    """``"a^{L}"`` -> ``("a", "L")``; ``"y"`` -> ``("y", "")``; ``"a"`` -> ``("a", "L")``."""
    match = _LABEL.match(label)
    if match is None:
        return label, ""
    head = match["head"]
    layer = match["layer"] if match["layer"] is not None else _DEFAULT_LAYER.get(head, "")
    return head, layer


def _join_indices(texts: list[str]) -> str:
    """``jk`` for one-letter indices, ``1,11`` as soon as one is longer (as derive.symbols)."""
    return ",".join(texts) if any(len(t) > 1 for t in texts) else "".join(texts)


def _factor_rank(factor: sp.Expr) -> tuple[int, int]:
    """Order of factors in a product: numbers, atoms, powers, sums, Sums last; among
    indexed atoms W before delta before the rest, as the note writes ``W^l_{jk} delta^l_j``."""
    if factor.is_Number:
        return (0, 0)
    if isinstance(factor, sp.Sum):
        return (4, 0)
    if factor.is_Add:
        return (3, 0)
    if factor.is_Pow:
        return (2, 0)
    if isinstance(factor, sp.Indexed):
        head = _split_label(str(factor.base.label))[0]
        return (1, {"W": 0, r"\delta": 1, "delta": 1}.get(head, 2))
    return (1, 2)


class NotePrinter(LatexPrinter):
    r"""SymPy LaTeX printer in the reference note's notation.

    ``a[j]`` prints as ``a^{L}_{j}``, ``y[j]`` as ``y_{j}``, ``Sum`` as
    ``\sum_{i=1}^{n}``, logarithms as ``\ln``, the sigmoid's derivative as
    ``\sigma'``, and products put plain factors before parenthesised sums.

    >>> import sympy as sp
    >>> a, y = sp.IndexedBase("a"), sp.IndexedBase("y")
    >>> i, j, n = sp.symbols("i j n", integer=True)
    >>> NotePrinter().doprint(a[j] * (a[j] - y[j] - sp.Sum(a[i] * (a[i] - y[i]), (i, 1, n))))
    'a^{L}_{j} \\left(a^{L}_{j} - y_{j} - \\sum_{i=1}^{n} a^{L}_{i} \\left(a^{L}_{i} - y_{i}\\right)\\right)'
    """

    def __init__(self, settings=None):
        super().__init__({"ln_notation": True, **(settings or {})})

    def _print_Indexed(self, expr):
        head, layer = _split_label(str(expr.base.label))
        head = _HEAD_LATEX.get(head, head)
        indices = _join_indices([self._print(q) for q in expr.indices])
        return f"{head}^{{{layer}}}_{{{indices}}}" if layer else f"{head}_{{{indices}}}"

    def _print_Function(self, expr, exp=None):
        name = type(expr).__name__
        if name in _FUNC_LATEX:
            tex = f"{_FUNC_LATEX[name]}\\left({', '.join(self._print(x) for x in expr.args)}\\right)"
            return f"{tex}^{{{exp}}}" if exp else tex
        return super()._print_Function(expr, exp)

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        if coeff not in (1, -1) or any(f.is_Pow and f.exp.is_negative for f in factors):
            return super()._print_Mul(expr)
        ordered = sorted(factors, key=_factor_rank)
        parts = []
        for pos, f in enumerate(ordered):
            tex = self._print(f)
            if f.is_Add or (isinstance(f, sp.Sum) and pos < len(ordered) - 1):
                tex = rf"\left({tex}\right)"
            parts.append(tex)
        return ("- " if coeff == -1 else "") + " ".join(parts)


_SUB = str.maketrans("0123456789ijklmnx+-=()", "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₗₘₙₓ₊₋₌₍₎")
_SUP = str.maketrans("0123456789Llnt+-=()T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᴸˡⁿᵗ⁺⁻⁼⁽⁾ᵀ")


def _script(text: str, table: dict, mark: str) -> str:
    """Unicode sub/superscript of ``text``, or ``_text``/``^text`` where Unicode has none."""
    text = text.replace(" ", "")
    out = text.translate(table)
    return out if not any(c.isascii() and c.isalnum() for c in out) else f"{mark}({text})"


def _sub(text: str) -> str:
    return _script(text, _SUB, "_")


def _sup(text: str) -> str:
    return _script(text, _SUP, "^")


class _TextPrinter(StrPrinter):
    """Unicode for a terminal: ``aᴸⱼ − yⱼ``, ``Σᵢ₌₁ⁿ``, ``σ′``, ``·`` for products."""

    printmethod = "_note_text"  # Indexed's own _sympystr would print a[j]

    def _print_Indexed(self, expr):
        head, layer = _split_label(str(expr.base.label))
        indices = _join_indices([self._print(q) for q in expr.indices])
        return _HEAD_TEXT.get(head, head) + (_sup(layer) if layer else "") + _sub(indices)

    def _print_Symbol(self, expr):
        # derive.symbols names symbols in LaTeX ("W^{2}_{1,11}", "\\delta^{l}_{j}")
        match = _SYMBOL.match(expr.name)
        if match is None:
            return super()._print_Symbol(expr)
        head, up, down = match["head"], match["up"], match["down"]
        return _HEAD_TEXT.get(head, head) + (_sup(up) if up else "") + (_sub(down) if down else "")

    def _print_Sum(self, expr):
        (var, lo, hi), = expr.limits if len(expr.limits) == 1 else [(None, None, None)]
        if var is None:
            return super()._print_Sum(expr)
        body = self._print(expr.function)
        if expr.function.is_Add:
            body = f"({body})"
        return f"Σ{_sub(f'{var}={lo}')}{_sup(str(hi))} {body}"

    def _print_Function(self, expr):
        name = type(expr).__name__
        args = ", ".join(self._print(x) for x in expr.args)
        if name in _FUNC_TEXT:
            return f"{_FUNC_TEXT[name]}({args})"
        if name == "log":
            return f"ln({args})"
        return super()._print_Function(expr)

    def _print_log(self, expr):
        return f"ln({self._print(expr.args[0])})"

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        if coeff not in (1, -1) or any(f.is_Pow and f.exp.is_negative for f in factors):
            return super()._print_Mul(expr).replace("*", "·")
        ordered = sorted(factors, key=_factor_rank)
        parts = []
        for pos, f in enumerate(ordered):
            s = self._print(f)
            wrap = f.is_Add or (isinstance(f, sp.Sum) and pos < len(ordered) - 1)
            parts.append(f"({s})" if wrap else s)
        return ("-" if coeff == -1 else "") + "·".join(parts)

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Integer and expr.exp > 1:
            base = self._print(expr.base)
            base = f"({base})" if not (expr.base.is_Atom or isinstance(expr.base, sp.Indexed)) else base
            return base + _sup(str(expr.exp))
        return super()._print_Pow(expr, rational).replace("**", "^")


def note_latex(expr: sp.Expr) -> str:
    r"""LaTeX of a SymPy expression in the note's notation (see :class:`NotePrinter`).

    >>> import sympy as sp
    >>> a, y = sp.IndexedBase("a"), sp.IndexedBase("y")
    >>> j = sp.Symbol("j", integer=True)
    >>> note_latex((a[j] - y[j]) * a[j] * (1 - a[j]))
    'a^{L}_{j} \\left(1 - a^{L}_{j}\\right) \\left(a^{L}_{j} - y_{j}\\right)'
    """
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr: expected a SymPy expression, got {type(expr).__name__}")
    return NotePrinter().doprint(expr)


def note_text(expr: sp.Expr) -> str:
    """Plain Unicode of a SymPy expression, readable in a terminal without a renderer.

    >>> import sympy as sp
    >>> a, y = sp.IndexedBase("a"), sp.IndexedBase("y")
    >>> i, j, n = sp.symbols("i j n", integer=True)
    >>> note_text(-sp.Sum(y[i] * sp.log(a[i]), (i, 1, n)))
    '−Σᵢ₌₁ⁿ yᵢ·ln(aᴸᵢ)'
    """
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr: expected a SymPy expression, got {type(expr).__name__}")
    return _TextPrinter().doprint(expr).replace("-", "−")


# --------------------------------------------------------------------------------------
# The note's notation: output functions, losses and the four equations, side by side
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notation:
    """How the note writes one output function or loss: table label, LaTeX, Unicode."""

    name: str  # registry key, e.g. "softmax"
    title: str  # the note's label, e.g. "Softmax"
    latex: str  # definition (per example), KaTeX-renderable
    text: str  # the same in plain Unicode

    def __repr__(self) -> str:
        return f"Notation({self.name}: {self.text})"


OUTPUT_NOTATION = {
    "linear": Notation("linear", "Linear", r"a^{L}_{j} = z^{L}_{j}", "aᴸⱼ = zᴸⱼ"),
    "sigmoid": Notation("sigmoid", "Sigmoid", r"a^{L}_{j} = \sigma(z^{L}_{j}) = \frac{1}{1 + e^{-z^{L}_{j}}}",
                        "aᴸⱼ = σ(zᴸⱼ) = 1/(1 + exp(−zᴸⱼ))"),
    "softmax": Notation("softmax", "Softmax", r"a^{L}_{j} = \frac{e^{z^{L}_{j}}}{\sum_{i=1}^{n} e^{z^{L}_{i}}}",
                        "aᴸⱼ = exp(zᴸⱼ) / Σᵢ₌₁ⁿ exp(zᴸᵢ)"),
}
LOSS_NOTATION = {
    "mse": Notation("mse", "MSE", r"C = \frac{1}{2} \sum_{j=1}^{n} \left(a^{L}_{j} - y_{j}\right)^{2}",
                    "C = ½ Σⱼ₌₁ⁿ (aᴸⱼ − yⱼ)²"),
    "cross_entropy": Notation(
        "cross_entropy", "CrossEntropy",
        r"C = -\sum_{j=1}^{n} \left[y_{j} \ln a^{L}_{j} + \left(1 - y_{j}\right) \ln\left(1 - a^{L}_{j}\right)\right]",
        "C = −Σⱼ₌₁ⁿ [yⱼ ln aᴸⱼ + (1 − yⱼ) ln(1 − aᴸⱼ)]"),
    "log_likelihood": Notation("log_likelihood", "LogLikelihood", r"C = -\sum_{j=1}^{n} y_{j} \ln a^{L}_{j}",
                               "C = −Σⱼ₌₁ⁿ yⱼ ln aᴸⱼ"),
}


def notation(kind: str, name: str) -> Notation:
    r"""The note's notation for output function or loss ``name`` (``kind`` "output"/"loss").

    Names registered at run time (user-defined) get a generic definition.

    >>> notation("output", "softmax").title
    'Softmax'
    >>> notation("loss", "my_loss").latex
    'C = \\operatorname{my\\_loss}\\left(\\mathbf{a}^{L}, \\mathbf{y}\\right)'
    """
    table = {"output": OUTPUT_NOTATION, "loss": LOSS_NOTATION}.get(kind)
    if table is None:
        raise ValueError(f"kind: expected 'output' or 'loss', got {kind!r}")
    if name in table:
        return table[name]
    op = r"\operatorname{%s}" % name.replace("_", r"\_")
    if kind == "output":
        return Notation(name, name, rf"\mathbf{{a}}^{{L}} = {op}\left(\mathbf{{z}}^{{L}}\right)", f"aᴸ = {name}(zᴸ)")
    return Notation(name, name, rf"C = {op}\left(\mathbf{{a}}^{{L}}, \mathbf{{y}}\right)", f"C = {name}(aᴸ, y)")


@dataclass(frozen=True)
class Equation:
    r"""One backprop equation: index form and matrix form, LaTeX and Unicode side by side.

    ``batch`` is the matrix form for a mini-batch (cost averaged over the N examples
    ``x``), where it differs from the per-example form.

    >>> EQUATIONS[1].index
    "\\delta^{l-1}_{k} = \\frac{\\partial C}{\\partial z^{l-1}_{k}} = \\sum_{j} W^{l}_{jk} \\delta^{l}_{j} \\sigma'(z^{l-1}_{k})"
    >>> EQUATIONS[1].text_matrix
    'δˡ⁻¹ = (Wˡ)ᵀ δˡ ⊙ σ′(zˡ⁻¹)'
    """

    label: str
    title: str
    index: str
    matrix: str
    text: str
    text_matrix: str
    batch: str | None = None
    text_batch: str | None = None

    def __repr__(self) -> str:
        return f"Equation({self.label} {self.title}: {self.text})"

    def latex_parts(self) -> list[str]:
        """Every LaTeX formula of this equation (index, matrix, mini-batch)."""
        return [t for t in (self.index, self.matrix, self.batch) if t]


# The note's four equations, typos corrected: W^{l}_{jk} (not W^j_{jk}),
# \partial C/\partial W (not \partial C/W), \sigma'(z^{l-1}) (not \nabla z^{l-1}).
EQUATIONS = (
    Equation(  # BP1: delta^L = (grad a^L)^T dC/da^L
        "BP1", "output error",
        r"\delta^{L}_{j} = \frac{\partial C}{\partial z^{L}_{j}} = \sum_{i=1}^{n} "
        r"\frac{\partial C}{\partial a^{L}_{i}} \frac{\partial a^{L}_{i}}{\partial z^{L}_{j}}",
        r"\boldsymbol{\delta}^{L} = \left(\nabla \mathbf{a}^{L}\right)^{T} \frac{\partial C}{\partial \mathbf{a}^{L}}",
        "δᴸⱼ = ∂C/∂zᴸⱼ = Σᵢ₌₁ⁿ ∂C/∂aᴸᵢ · ∂aᴸᵢ/∂zᴸⱼ", "δᴸ = (∇aᴸ)ᵀ ∂C/∂aᴸ"),
    Equation(  # BP2: delta^{l-1} = (W^l)^T delta^l ⊙ sigma'(z^{l-1})
        "BP2", "recurrence",
        r"\delta^{l-1}_{k} = \frac{\partial C}{\partial z^{l-1}_{k}} = \sum_{j} W^{l}_{jk} \delta^{l}_{j} \sigma'(z^{l-1}_{k})",
        r"\boldsymbol{\delta}^{l-1} = \left(\mathbf{W}^{l}\right)^{T} \boldsymbol{\delta}^{l} \odot \sigma'(\mathbf{z}^{l-1})",
        "δˡ⁻¹ₖ = ∂C/∂zˡ⁻¹ₖ = Σⱼ Wˡⱼₖ δˡⱼ σ′(zˡ⁻¹ₖ)", "δˡ⁻¹ = (Wˡ)ᵀ δˡ ⊙ σ′(zˡ⁻¹)"),
    Equation(  # BP3: dC/dW^l = delta^l (a^{l-1})^T
        "BP3", "weights",
        r"\frac{\partial C}{\partial W^{l}_{jk}} = \delta^{l}_{j} a^{l-1}_{k}",
        r"\frac{\partial C}{\partial \mathbf{W}^{l}} = \boldsymbol{\delta}^{l} \left(\mathbf{a}^{l-1}\right)^{T}",
        "∂C/∂Wˡⱼₖ = δˡⱼ aˡ⁻¹ₖ", "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
        r"\frac{\partial C}{\partial \mathbf{W}^{l}} = \frac{1}{N} \sum_{x} \boldsymbol{\delta}^{l,x} "
        r"\left(\mathbf{a}^{l-1,x}\right)^{T}",
        "∂C/∂Wˡ = (1/N) Σₓ δˡ⁽ˣ⁾ (aˡ⁻¹⁽ˣ⁾)ᵀ"),
    Equation(  # BP4: dC/db^l = delta^l
        "BP4", "biases",
        r"\frac{\partial C}{\partial b^{l}_{j}} = \delta^{l}_{j}",
        r"\frac{\partial C}{\partial \mathbf{b}^{l}} = \boldsymbol{\delta}^{l}",
        "∂C/∂bˡⱼ = δˡⱼ", "∂C/∂bˡ = δˡ",
        r"\frac{\partial C}{\partial \mathbf{b}^{l}} = \frac{1}{N} \sum_{x} \boldsymbol{\delta}^{l,x}",
        "∂C/∂bˡ = (1/N) Σₓ δˡ⁽ˣ⁾"),
)


# --------------------------------------------------------------------------------------
# Proof objects (derive.pairs / derive.backprop) as LaTeX, for Jupyter's _repr_latex_
# --------------------------------------------------------------------------------------

_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "#": r"\#", "&": r"\&",
                 "$": r"\$", "{": r"\{", "}": r"\}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def text_latex(text: str) -> str:
    r"""``\text{...}`` with LaTeX's special characters escaped.

    >>> text_latex("log_likelihood: 100%")
    '\\text{log\\_likelihood: 100\\%}'
    """
    return r"\text{%s}" % "".join(_TEXT_ESCAPES.get(c, c) for c in str(text))


def pair_status(proof, *, method: bool = True) -> str:
    """One line saying how a :class:`derive.pairs.PairProof` ended (plain text).

    ``method=False`` leaves out which SymPy calls proved it (for table cells).

    >>> from types import SimpleNamespace as P
    >>> pair_status(P(proved=True, n=None, assumption="sum(y) = 1", method="cancel"))
    'proved exactly (SymPy, cancel), n symbolic, assuming sum(y) = 1'
    >>> pair_status(P(proved=False, n=3, assumption=None, method="expand"))
    'NOT proved (SymPy, expand), n = 3: the residual did not reduce to 0'
    >>> pair_status(P(proved=True, n=None, assumption=None, method="expand"), method=False)
    'proved exactly (SymPy), n symbolic'
    """
    size = "n symbolic" if getattr(proof, "n", None) is None else f"n = {proof.n}"
    used = getattr(proof, "method", None) if method else None
    how = f"SymPy, {used}" if used else "SymPy"
    head = f"proved exactly ({how})" if proof.proved else f"NOT proved ({how})"
    tail = f", assuming {proof.assumption}" if getattr(proof, "assumption", None) else ""
    if not proof.proved:
        tail += ": the residual did not reduce to 0"
    return f"{head}, {size}{tail}"


def proof_latex(obj) -> str:
    r"""``$$...$$`` LaTeX of a proof object, used by its ``_repr_latex_`` in Jupyter.

    A pair proof (``derive.pairs.PairProof``: ``output``, ``loss``, ``claimed``,
    ``proved`` ...) prints its closed form of delta^L with its status (and the residual
    when it failed); a backprop proof (``derive.backprop``: ``proved`` ...) prints the
    equations BP2-BP4 it proves with its status.

    >>> import sympy as sp
    >>> from types import SimpleNamespace as P
    >>> a, y = sp.IndexedBase("a^{L}"), sp.IndexedBase("y")
    >>> j = sp.Symbol("j", integer=True)
    >>> print(proof_latex(P(output="linear", loss="mse", claimed=a[j] - y[j], proved=True,
    ...                     residual=sp.S(0), n=None, assumption=None, method="expand")))
    $$\delta^{L}_{j} = \frac{\partial C}{\partial z^{L}_{j}} = a^{L}_{j} - y_{j} \qquad \text{linear + mse: proved exactly (SymPy, expand), n symbolic}$$
    """
    if not hasattr(obj, "proved"):
        raise TypeError(f"obj: expected a proof object with .proved, got {type(obj).__name__}")
    if hasattr(obj, "claimed") and hasattr(obj, "output") and hasattr(obj, "loss"):
        claimed = sp.sympify(obj.claimed)
        lhs = (r"\boldsymbol{\delta}^{L} = \frac{\partial C}{\partial \mathbf{z}^{L}}"  # concrete n: all components
               if isinstance(claimed, sp.MatrixBase) else r"\delta^{L}_{j} = \frac{\partial C}{\partial z^{L}_{j}}")
        tex = f"{lhs} = {note_latex(claimed)}"
        tex += r" \qquad " + text_latex(f"{obj.output} + {obj.loss}: {pair_status(obj)}")
        residual = getattr(obj, "residual", None)
        if not obj.proved and residual is not None:
            tex += r" \\ " + text_latex("residual: ") + note_latex(sp.sympify(residual))
            tex = r"\begin{gathered}" + tex + r"\end{gathered}"
        return f"$${tex}$$"
    status = ("proved exactly (SymPy)" if obj.proved else "NOT proved") + _proof_scope(obj)
    equations = getattr(obj, "equations", None)
    if equations:
        rows = _step_rows(obj, equations)
    else:
        rows = [rf"{e.index} & {text_latex(e.label)}" for e in EQUATIONS[1:]]
    body = r" \\ ".join(rows + [rf"& {text_latex(f'{type(obj).__name__}: {status}')}"])
    return r"$$\begin{array}{ll} " + body + r" \end{array}$$"


_MAX_ROWS = 12  # a proof of a wide layer lists its first equations only


def _step_rows(obj, equations: dict) -> list[str]:
    """One row per proved equation of a ``derive.backprop.StepProof``: lhs = claimed."""
    layer = getattr(obj, "layer", "l")
    prev = "l-1" if layer == "l" else (f"{layer - 1}" if isinstance(layer, int) else f"{layer}-1")
    failed = {str(k) for k in (getattr(obj, "details", None) or {}).get("failed", [])}
    rows = []
    for key, (_derived, claimed) in list(equations.items())[:_MAX_ROWS]:
        kind, *idx = key if isinstance(key, tuple) else (key,)
        x = idx[1] if kind == "delta" and len(idx) > 1 else None  # ("delta", k, example)
        idx = idx[: 2 if kind == "W" else 1] or {"W": ["j", "k"], "delta": ["k"]}.get(kind, ["j"])
        sub = _join_indices([str(q) for q in idx])
        upper = {"W": layer, "b": layer}.get(kind, prev if x is None else f"{prev},x_{{{x}}}")
        letter = {"W": "W", "b": "b"}.get(kind, "z")
        lhs = rf"\frac{{\partial C}}{{\partial {letter}^{{{upper}}}_{{{sub}}}}}"
        mark = r"\times" if (str(key) in failed or kind in failed) else r"\checkmark"
        rows.append(rf"{lhs} = {note_latex(sp.sympify(claimed))} & {mark}")
    if len(equations) > _MAX_ROWS:
        rows.append(rf"\vdots & {text_latex(f'{len(equations) - _MAX_ROWS} more')}")
    return rows


def _proof_scope(obj) -> str:
    """``", sizes 3, 4, 2"``-style suffix from whatever size attributes a proof has."""
    for attr in ("sizes", "shape"):
        value = getattr(obj, attr, None)
        if value:
            return f", {attr} {', '.join(map(str, value))}"
    if hasattr(obj, "n_in") and getattr(obj, "n_in") is None:
        return ", sizes symbolic"
    parts = [f"{attr} = {getattr(obj, attr)}" for attr in ("n_in", "n_out", "N")
             if getattr(obj, attr, None) is not None]
    return ", " + ", ".join(parts) if parts else ""
