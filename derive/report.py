"""Write the reference note as a verified, corrected document with plots.

``python -m derive report --out DIR [--format markdown|html]`` runs every check of
:mod:`derive.claims`, draws the figures (matplotlib, Agg backend, PNG) and writes
``DIR/note.md`` or ``DIR/note.html``: the note's six questions answered, each claim
with its verdict and evidence, the four backprop equations with the note's typos
corrected, and the LaTeX of every formula (listed by :func:`formulas`, so a render
test can feed them all to KaTeX).

>>> tex = formulas()
>>> len(tex) > 10 and all(isinstance(t, str) and t for t in tex)
True
>>> FORMULAS["bp2"]
"\\\\boldsymbol\\\\delta^{l-1} = (\\\\mathbf W^l)^T\\\\boldsymbol\\\\delta^l \\\\odot \\\\sigma'(\\\\mathbf z^{l-1})"
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np

from derive import claims as _claims
from derive.errors import UsageError
from numeric import training

__all__ = ["FIGURES", "FORMULAS", "add_arguments", "draw_figures", "formulas", "run",
           "write_report"]

# name -> LaTeX (display formulas, no delimiters); the document refers to them by name.
FORMULAS = {
    "total_diff": r"\Delta C \approx \sum_l\sum_j\left(\sum_k\frac{\partial C}{\partial W^l_{jk}}"
                  r"\Delta W^l_{jk} + \frac{\partial C}{\partial b^l_j}\Delta b^l_j\right)",
    "step": r"\Delta W^l_{jk} = -\eta\frac{\partial C}{\partial W^l_{jk}}, \qquad "
            r"\Delta b^l_j = -\eta\frac{\partial C}{\partial b^l_j}",
    "descent": r"\Delta C \approx -\eta\sum_l\sum_j\left(\sum_k\left(\frac{\partial C}"
               r"{\partial W^l_{jk}}\right)^2 + \left(\frac{\partial C}{\partial b^l_j}\right)^2"
               r"\right) \leqslant 0",
    "descent_exact": r"\left.\frac{d}{d\eta}\, C(\mathbf w - \eta\nabla C)\right|_{\eta=0}"
                     r" = -\lVert\nabla C\rVert^2 \leqslant 0",
    "quadratic": r"C(w) = \tfrac12\lambda w^2: \quad \Delta C = \tfrac12\eta\lambda^2w^2"
                 r"(\eta\lambda - 2) < 0 \iff 0 < \eta < \frac{2}{\lambda}",
    "accuracy": r"\mathrm{Acc}(\mathbf w) = \frac1N\sum_x \mathbb{1}\left[\operatorname{argmax}"
                r"\,\mathbf a^L(x) = \operatorname{argmax}\,\mathbf y(x)\right], \qquad "
                r"\nabla_{\mathbf w}\mathrm{Acc} = 0 \text{ wherever it exists}",
    "delta_mse": r"\delta^L_{\mathrm{MSE}} = (a^L - y)\,a^L(1 - a^L) "
                 r"\xrightarrow[z^L\to+\infty]{y=0} 0",
    "delta_ce": r"\delta^L_{\mathrm{CE}} = a^L - y \xrightarrow[z^L\to+\infty]{y=0} 1",
    "ratio": r"\frac{\delta^L_{\mathrm{MSE}}}{\delta^L_{\mathrm{CE}}} = a^L(1 - a^L) = "
             r"\sigma'(z^L) = \frac{1}{4\cosh^2(z^L/2)} \leqslant \frac14",
    "z": r"z^l_j = \sum_k W^l_{jk}a^{l-1}_k + b^l_j, \qquad a^l_j = \sigma(z^l_j), \qquad "
         r"\delta^l_j \equiv \frac{\partial C}{\partial z^l_j}",
    "bp1": r"\boldsymbol\delta^L = (\nabla\mathbf a^L)^T\frac{\partial C}{\partial\mathbf a^L}",
    "bp1_pairs": r"\text{linear + MSE, sigmoid + cross-entropy, softmax + log-likelihood } "
                 r"\left(C = -\ln a^L_{\operatorname{argmax}\mathbf y}\right): \quad "
                 r"\boldsymbol\delta^L = \mathbf a^L - \mathbf y",
    "bp2_index": r"\delta^{l-1}_k = \sum_j W^l_{jk}\,\delta^l_j\,\sigma'(z^{l-1}_k)",
    "bp2": r"\boldsymbol\delta^{l-1} = (\mathbf W^l)^T\boldsymbol\delta^l \odot "
           r"\sigma'(\mathbf z^{l-1})",
    "bp3": r"\frac{\partial C}{\partial W^l_{jk}} = \delta^l_j a^{l-1}_k, \qquad "
           r"\frac{\partial C}{\partial\mathbf W^l} = \boldsymbol\delta^l(\mathbf a^{l-1})^T",
    "bp4": r"\frac{\partial C}{\partial b^l_j} = \delta^l_j, \qquad "
           r"\frac{\partial C}{\partial\mathbf b^l} = \boldsymbol\delta^l",
    "update": r"\mathbf W^l \gets \mathbf W^l - \eta\frac{\partial C}{\partial\mathbf W^l}, "
              r"\qquad \mathbf b^l \gets \mathbf b^l - \eta\frac{\partial C}{\partial\mathbf b^l}",
    "batch": r"C = \frac1N\sum_x C_x, \qquad \frac{\partial C}{\partial\mathbf W^l} = "
             r"\frac1N\sum_x\boldsymbol\delta^l_x(\mathbf a^{l-1}_x)^T",
}
# The note's corrections (wrong, right, why): its typos and its LaTeX error, as found by
# running the note through ``python -m derive check`` (derive.check), not a hand-written
# list. Computed on first use (a few seconds), as ``CORRECTIONS`` or ``_corrections()``.


def _corrections() -> tuple:
    from derive.check import seed_corrections

    return seed_corrections()


def __getattr__(name):
    if name == "CORRECTIONS":
        return _corrections()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
# file name -> caption
FIGURES = {
    "delta_vs_z.png": "Output error delta^L against z^L for target y = 0 (the neuron is badly "
                      "wrong for z >> 0): MSE's delta vanishes, cross-entropy's tends to 1.",
    "single_neuron.png": "The badly wrong neuron (w = b = 2, input 1, target 0, eta = 0.15).",
    "learning_curves.png": "Digits, 64-32-10 sigmoid network, same start: held-out accuracy "
                           "per epoch, MSE vs cross-entropy.",
    "learning_rate_sweep.png": "Digits, cross-entropy: learning-rate sweep (accuracy and "
                               "training cost per epoch).",
    "quadratic_threshold.png": "Quadratic cost: after 100 steps, C / C_0 against eta in "
                               "units of 2 / lambda_max.",
}


def formulas() -> list:
    """Every LaTeX formula the report shows (display and inline), for a render test.

    >>> r"\\sigma'(z^{l-1}_k)" in formulas()
    True
    """
    return list(FORMULAS.values()) + [t for w, r, _ in _corrections() for t in (w, r)
                                      if t != r"\argmax"]


# ----------------------------------------------------------------- figures ----

def draw_figures(out: Path) -> list:
    """Draw :data:`FIGURES` into ``out`` (PNG, Agg backend); returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    paths = []

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        paths.append(out / name)

    z = np.linspace(-8, 8, 401)
    a = 1 / (1 + np.exp(-z))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(z, a * a * (1 - a), label=r"sigmoid + MSE: $(a-y)\,a(1-a)$")
    ax.plot(z, a, label=r"sigmoid + cross-entropy: $a-y$")
    ax.plot(z, 1 / (4 * np.cosh(z / 2) ** 2), ":", label=r"ratio $1/(4\cosh^2(z/2))$")
    ax.axvspan(4, 8, color="0.9")
    ax.text(4.2, 0.55, "badly wrong:\nMSE barely learns", fontsize=9)
    ax.set(xlabel="$z^L$", ylabel=r"$\delta^L$ (target $y=0$)")
    ax.legend(loc="upper left", fontsize=8)
    save(fig, "delta_vs_z.png")

    fig, ax = plt.subplots(figsize=(7, 3.4))
    for loss in ("mse", "cross_entropy"):
        ax.plot(training.single_neuron(loss).outputs, label=loss)
    ax.set(xlabel="epoch", ylabel="output $a$ (target 0)", ylim=(0, 1))
    ax.legend()
    save(fig, "single_neuron.png")

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for eta, style in ((0.3, "-"), (1.0, "--")):
        for loss, color in (("mse", "C0"), ("cross_entropy", "C1")):
            ax.plot(training.digits_run(loss, eta).accuracies, style, color=color,
                    label=f"{loss}, eta = {eta}")
    ax.set(xlabel="epoch", ylabel="held-out accuracy", ylim=(0, 1))
    ax.legend(fontsize=8, loc="lower right")
    save(fig, "learning_curves.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for run in training.learning_rate_sweep():
        left.plot(run.accuracies, label=f"eta = {run.eta:g}")
        right.semilogy(run.costs, label=f"eta = {run.eta:g}")
    left.set(xlabel="epoch", ylabel="held-out accuracy", ylim=(0, 1))
    right.set(xlabel="epoch", ylabel="training cost (cross-entropy)")
    left.legend(fontsize=8, loc="lower right")
    save(fig, "learning_rate_sweep.png")

    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    curv = np.linspace(0.5, 4.0, 6)
    A, v0 = Q @ np.diag(curv) @ Q.T, rng.standard_normal(6)
    factors = np.linspace(0.05, 1.1, 120)
    ratios = []
    for f in factors:
        v = v0.copy()
        for _ in range(100):
            v = training.gradient_step(v, A @ v, f * 2 / curv.max())
        ratios.append((v @ A @ v) / (v0 @ A @ v0))
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.semilogy(factors, ratios)
    ax.axvline(1.0, color="C3", ls=":", label=r"$\eta = 2/\lambda_{max}$")
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set(xlabel=r"$\eta \,/\, (2/\lambda_{max})$", ylabel=r"$C_{100} / C_0$")
    ax.legend()
    save(fig, "quadratic_threshold.png")
    return paths


# ---------------------------------------------------------------- document ----

def _document(results) -> list:
    """The note as blocks: (kind, payload) with kind in h1 h2 p math pre img list."""
    by = {r.key: r for r in results}
    F = FORMULAS

    def verdicts(*keys):
        return [("pre", "\n\n".join(str(by[k]) for k in keys if k in by))]

    passed = sum(r.ok for r in results)
    doc = [("h1", "Neural networks and deep learning: the note, verified and corrected"),
           ("p", f"Every claim of the reference note (after Nielsen) was turned into an executable "
                 f"check (`python -m derive claims`): {passed} of {len(results)} checks passed. "
                 f"Symbolic checks use SymPy; numeric ones use the NumPy network of `numeric/` "
                 f"and scikit-learn's digits. Batch convention: the cost is averaged over the batch."),
           ("math", F["batch"]),
           ("h2", "The six questions"),
           ("list", [
               "What are a model, parameters and hyperparameters? The model is the network "
               "function a^L(x; W, b); its parameters are the weights and biases learned by "
               "gradient descent; hyperparameters (sizes, learning rate eta, epochs, batch size, "
               "loss) are chosen, not learned.",
               "Why a loss and not accuracy? Accuracy is piecewise constant in the weights, so "
               "its gradient is 0 wherever it exists (claim 2).",
               "Which loss learns faster? With a sigmoid output, cross-entropy: its delta stays "
               "a - y while MSE's is damped by sigma'(z) (claim 3).",
               "Is a smaller or a larger learning rate better? Neither: too small is slow, too "
               "large diverges; for a quadratic cost the limit is 2 / largest curvature (claims 1, 3).",
               "Forward propagation: z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l), layer by layer.",
               "Backpropagation and gradient descent: the four equations below give every "
               "dC/dW and dC/db from one backward pass; each step moves against the gradient.",
           ]),
           ("h2", "Claim 1: gradient descent decreases the loss"),
           ("p", "By the total differential, for small steps:"),
           ("math", F["total_diff"]), ("p", "With the update"), ("math", F["step"]),
           ("math", F["descent"]),
           ("p", "Exactly (SymPy, for any differentiable C), and with the limit it holds to:"),
           ("math", F["descent_exact"]), ("math", F["quadratic"]),
           *verdicts("1a", "1b", "1c"),
           ("img", "quadratic_threshold.png"),
           ("h2", "Claim 2: accuracy cannot be the loss"),
           ("math", F["accuracy"]), *verdicts("2a", "2b"),
           ("h2", "Claim 3: which loss learns faster, and which learning rate"),
           ("p", "For a sigmoid output neuron that is badly wrong (y = 0, z large). The note says "
                 "delta -> 0 as a -> 0 or a -> 1; precisely, this hurts only on the wrong side "
                 "(a -> 1 - y), where the loss is largest; on the right side a small delta is "
                 "just convergence:"),
           ("math", F["delta_mse"]), ("math", F["delta_ce"]), ("math", F["ratio"]),
           ("img", "delta_vs_z.png"), *verdicts("3a", "3b"), ("img", "single_neuron.png"),
           ("p", "On a real data set, at equal learning rate cross-entropy learns faster; with a "
                 "larger learning rate MSE catches up (it is the same network, only its output "
                 "error is damped by sigma'(z)):"),
           *verdicts("3c"), ("img", "learning_curves.png"), *verdicts("3d"),
           ("img", "learning_rate_sweep.png"),
           ("h2", "Claim 4: forward and backward propagation (corrected)"),
           ("math", F["z"]), ("p", "BP1, and its value for the note's three pairs:"),
           ("math", F["bp1"]), ("math", F["bp1_pairs"]),
           ("p", "BP2 (corrected), by index and as matrices:"),
           ("math", F["bp2_index"]), ("math", F["bp2"]), ("p", "BP3 and BP4:"),
           ("math", F["bp3"]), ("math", F["bp4"]), ("p", "and the update:"), ("math", F["update"]),
           ("p", "Corrections to the note:"),
           ("list", [f"${w}$ \u2192 ${r}$: {why}" if w != r"\argmax" else
                     f"`{w}` \u2192 ${r}$: {why}" for w, r, why in _corrections()]),
           *verdicts("4a", "4b", "4c", "4d")]
    return doc


def _markdown(doc) -> str:
    out = []
    for kind, x in doc:
        if kind in ("h1", "h2"):
            out.append(("# " if kind == "h1" else "## ") + x)
        elif kind == "p":
            out.append(x)
        elif kind == "math":
            out.append(f"$$\n{x}\n$$")
        elif kind == "pre":
            out.append(f"```text\n{x}\n```")
        elif kind == "img":
            out.append(f"![{FIGURES[x]}]({x})\n\n*{FIGURES[x]}*")
        elif kind == "list":
            out.append("\n".join(f"{i}. {item}" for i, item in enumerate(x, 1)))
    return "\n\n".join(out) + "\n"


_KATEX = ('<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.47/dist/katex.min.css">\n'
          '<script defer src="https://cdn.jsdelivr.net/npm/katex@0.16.47/dist/katex.min.js"></script>\n'
          '<script defer src="https://cdn.jsdelivr.net/npm/katex@0.16.47/dist/contrib/auto-render.min.js"'
          ' onload="renderMathInElement(document.body)"></script>')


def _inline_html(text: str) -> str:
    parts = re.split(r"(\$[^$]+\$|`[^`]+`)", text)
    return "".join(html.escape(p) if not p or p[0] not in "$`" else
                   (f"\\({html.escape(p[1:-1])}\\)" if p[0] == "$" else f"<code>{html.escape(p[1:-1])}</code>")
                   for p in parts)


def _html(doc) -> str:
    body = []
    for kind, x in doc:
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{html.escape(x)}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline_html(x)}</p>")
        elif kind == "math":
            body.append(f"<p>$${html.escape(x)}$$</p>")
        elif kind == "pre":
            body.append(f"<pre>{html.escape(x)}</pre>")
        elif kind == "img":
            body.append(f'<figure><img src="{x}" alt="{html.escape(FIGURES[x])}">'
                        f"<figcaption>{html.escape(FIGURES[x])}</figcaption></figure>")
        elif kind == "list":
            body.append("<ol>" + "".join(f"<li>{_inline_html(i)}</li>" for i in x) + "</ol>")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>The note, verified"
            f"</title>\n{_KATEX}\n</head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _checked_out(out, fmt) -> Path:
    if fmt not in ("markdown", "html"):
        raise UsageError("--format", "markdown or html", fmt)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError("--out", "a directory (or a path to create)", f"the file {out}")
    return out


def write_report(out, fmt: str = "markdown", results=None) -> Path:
    """Run the checks (unless ``results`` is given), draw the figures, write the note.

    Returns the path of ``note.md`` or ``note.html`` inside ``out`` (created if needed).
    """
    out = _checked_out(out, fmt)
    out.mkdir(parents=True, exist_ok=True)
    results = _claims.check_claims() if results is None else results
    draw_figures(out)
    doc = _document(results)
    path = out / ("note.md" if fmt == "markdown" else "note.html")
    path.write_text(_markdown(doc) if fmt == "markdown" else _html(doc), encoding="utf-8")
    return path


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    parser.add_argument("--format", default="markdown", choices=("markdown", "html"),
                        help="note.md (default) or note.html")


def run(args) -> int:
    _claims.require_extras("sklearn", "matplotlib")
    _checked_out(args.out, args.format)  # fail before spending seconds on the checks
    results = _claims.check_claims()
    path = write_report(args.out, args.format, results)
    bad = [r.key for r in results if not r.ok]
    print(f"wrote {path} and {len(FIGURES)} figures; {len(results) - len(bad)}/{len(results)} "
          f"checks passed" + (f"; not passed: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0
