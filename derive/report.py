"""Write the reference note as a verified, corrected document with plots.

``python -m derive report --out DIR [--format markdown|html] [--lang en|zh]`` runs
every check of :mod:`derive.claims` (progress on stderr), draws the figures
(matplotlib, Agg backend, PNG) and writes ``DIR/note.md`` or ``DIR/note.html``
(``note.zh.md``, ``note.zh.html`` and ``*.zh.png`` in Chinese, the note's own
language): the note's six questions answered, each claim with its verdict and
evidence, the four backprop equations with the note's typos corrected. Every formula
is listed by :func:`formulas`; the HTML page has them rendered to MathML when written
(:mod:`derive.report_html`), so it opens offline with no script.

``--out`` is checked before any work: an empty path, a path under a file, an overlong
name or a directory that cannot be written is one line and exit status 2, and a file
there that this command did not write is never overwritten without ``--force``.

>>> tex = formulas()
>>> len(tex) > 10 and all(isinstance(t, str) and t for t in tex)
True
>>> FORMULAS["bp2"]
"\\\\boldsymbol\\\\delta^{l-1} = (\\\\mathbf W^l)^T\\\\boldsymbol\\\\delta^l \\\\odot \\\\sigma'(\\\\mathbf z^{l-1})"
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from derive import claims as _claims
from derive.errors import UsageError
from derive.report_text import CORRECTIONS_ZH, LANGS, TEXT, claim_line
from numeric import training

__all__ = ["FIGURES", "FIGURES_ZH", "FORMULAS", "add_arguments", "build_figures",
           "draw_figures", "figure_file", "formulas", "note_file", "run", "write_report"]

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
# the note's corrections: its math typos (checked in derive.claims) and one LaTeX error
CORRECTIONS = (*_claims.TYPOS,
               (r"\argmax", r"\operatorname{argmax}", "\\argmax is not a LaTeX/KaTeX command"))
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
    return list(FORMULAS.values()) + [t for w, r, _ in CORRECTIONS for t in (w, r)
                                      if t != r"\argmax"]


# the same figures, captioned in Chinese (file name -> caption)
FIGURES_ZH = {
    "delta_vs_z.png": "目标 y = 0 时输出误差 δ^L 随 z^L 的变化（z ≫ 0 时神经元错得很厉害）："
                      "MSE 的 δ 趋于 0，交叉熵的 δ 趋于 1。",
    "single_neuron.png": "错得很厉害的神经元（w = b = 2，输入 1，目标 0，η = 0.15）。",
    "learning_curves.png": "digits，64-32-10 sigmoid 网络，相同初值：每轮的验证正确率，"
                           "MSE 对比交叉熵。",
    "learning_rate_sweep.png": "digits，交叉熵：学习率扫描（每轮的验证正确率与训练损失）。",
    "quadratic_threshold.png": "二次损失：100 步之后的 C / C_0 随 η 的变化（以 2 / λ_max 为单位）。",
}
_SOFTWARE = "python -m derive report (backprop-verifier)"  # PNG metadata: our own files
_MARKER = "<!-- written by python -m derive report (backprop-verifier) -->"
_FIGURE_SECONDS = 7.0  # drawing after the checks, measured (the training runs are cached)


def note_file(fmt: str, lang: str = "en") -> str:
    """``note.md``, ``note.html``, ``note.zh.md`` or ``note.zh.html``."""
    return "note" + ("" if lang == "en" else "." + lang) + (".md" if fmt == "markdown" else ".html")


def figure_file(name: str, lang: str = "en") -> str:
    """The file of figure ``name`` in ``lang``: ``delta_vs_z.png``, ``delta_vs_z.zh.png``."""
    return name if lang == "en" else name[:-4] + "." + lang + ".png"


# ----------------------------------------------------------------- figures ----

# labels per language; "zh-math" is for Chinese without a CJK font: math-only labels
_LABELS = {
    "en": dict(d_mse=r"sigmoid + MSE: $(a-y)\,a(1-a)$", d_ce=r"sigmoid + cross-entropy: $a-y$",
               ratio=r"ratio $1/(4\cosh^2(z/2))$", badly="badly wrong:\nMSE barely learns",
               delta=r"$\delta^L$ (target $y=0$)", epoch="epoch", out="output $a$ (target 0)",
               acc="held-out accuracy", cost="training cost (cross-entropy)",
               mse="mse", cross_entropy="cross_entropy", eta="eta = {:g}",
               limit=r"$\eta = 2/\lambda_{max}$", flat=r"$C_{100} = C_0$ (no progress)"),
    "zh": dict(d_mse=r"sigmoid + MSE：$(a-y)\,a(1-a)$", d_ce=r"sigmoid + 交叉熵：$a-y$",
               ratio=r"比值 $1/(4\cosh^2(z/2))$", badly="错得很厉害：\nMSE 几乎学不动",
               delta=r"$\delta^L$（目标 $y=0$）", epoch="训练轮次", out=r"输出 $a$（目标 0）",
               acc="验证正确率", cost="训练损失（交叉熵）", mse="MSE", cross_entropy="交叉熵",
               eta=r"$\eta = {:g}$", limit=r"$\eta = 2/\lambda_{max}$",
               flat=r"$C_{100} = C_0$（没有进展）"),
    "zh-math": dict(d_mse=r"$\delta_{MSE} = (a-y)\,a(1-a)$", d_ce=r"$\delta_{CE} = a-y$",
                    ratio=r"$\delta_{MSE}/\delta_{CE} = 1/(4\cosh^2(z/2))$",
                    badly=r"$a \to 1:\ \delta_{MSE} \to 0$", delta=r"$\delta^L,\ y=0$",
                    epoch="$t$", out=r"$a(t),\ y = 0$", acc=r"$\mathrm{acc}(t)$",
                    cost=r"$C_{CE}(t)$", mse=r"$\mathrm{MSE}$", cross_entropy=r"$\mathrm{CE}$",
                    eta=r"$\eta = {:g}$", limit=r"$\eta = 2/\lambda_{max}$",
                    flat=r"$C_{100} = C_0$"),
}


def cjk_font():
    """The name of an installed font with Chinese glyphs (matplotlib's list), or None."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(k in font.name for k in ("CJK", "Han Sans", "Han Serif", "WenQuanYi", "Noto Sans SC",
                                         "Droid Sans Fallback", "AR PL")):
            return font.name
    return None


def build_figures(lang: str = "en") -> list:
    """``[(file name, matplotlib Figure)]`` of :data:`FIGURES`, labelled in ``lang``.

    Chinese labels need a CJK font; without one the Chinese figures carry math-only
    labels (no missing-glyph boxes). The caller closes the figures.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font() if lang == "zh" else None
    key = "en" if lang == "en" else ("zh" if font else "zh-math")
    T = _LABELS[key]
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    figs = []
    with matplotlib.rc_context(rc):
        z = np.linspace(-8, 8, 401)
        a = 1 / (1 + np.exp(-z))
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.plot(z, a * a * (1 - a), label=T["d_mse"])
        ax.plot(z, a, label=T["d_ce"])
        ax.plot(z, 1 / (4 * np.cosh(z / 2) ** 2), ":", label=T["ratio"])
        ax.axvspan(4, 8, color="0.9")
        ax.text(4.2, 0.55, T["badly"], fontsize=9)
        ax.set(xlabel="$z^L$", ylabel=T["delta"])
        ax.legend(loc="upper left", fontsize=8)
        figs.append(("delta_vs_z.png", fig))

        fig, ax = plt.subplots(figsize=(7, 3.4))
        for loss in ("mse", "cross_entropy"):
            ax.plot(training.single_neuron(loss).outputs, label=T[loss])
        ax.set(xlabel=T["epoch"], ylabel=T["out"], ylim=(0, 1))
        ax.legend()
        figs.append(("single_neuron.png", fig))

        fig, ax = plt.subplots(figsize=(7, 3.6))
        for eta, style in ((0.3, "-"), (1.0, "--")):
            for loss, color in (("mse", "C0"), ("cross_entropy", "C1")):
                ax.plot(training.digits_run(loss, eta).accuracies, style, color=color,
                        label=T[loss] + ", " + T["eta"].format(eta))
        ax.set(xlabel=T["epoch"], ylabel=T["acc"], ylim=(0, 1))
        ax.legend(fontsize=8, loc="lower right")
        figs.append(("learning_curves.png", fig))

        # one legend for both panels, below them: inside, it hid the eta = 10 curve
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.0))
        for run in training.learning_rate_sweep():
            left.plot(run.accuracies, label=T["eta"].format(run.eta))
            right.semilogy(run.costs, label=T["eta"].format(run.eta))
        left.set(xlabel=T["epoch"], ylabel=T["acc"], ylim=(0, 1))
        right.set(xlabel=T["epoch"], ylabel=T["cost"])
        handles, labels = left.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8,
                   frameon=False)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        figs.append(("learning_rate_sweep.png", fig))

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
        ax.semilogy(factors, ratios, label=r"$C_{100} / C_0$")
        ax.axvline(1.0, color="C3", ls=":", label=T["limit"])
        ax.axhline(1.0, color="0.6", lw=0.8, label=T["flat"])
        ax.set(xlabel=r"$\eta \,/\, (2/\lambda_{max})$", ylabel=r"$C_{100} / C_0$")
        ax.legend(loc="upper left")
        figs.append(("quadratic_threshold.png", fig))
    return figs


def draw_figures(out: Path, lang: str = "en") -> list:
    """Draw :data:`FIGURES` into ``out`` (PNG, Agg backend); returns the paths."""
    import matplotlib.pyplot as plt

    out, paths = Path(out), []
    for name, fig in build_figures(lang):
        if name != "learning_rate_sweep.png":
            fig.tight_layout()
        path = out / figure_file(name, lang)
        fig.savefig(path, dpi=90, metadata={"Software": _SOFTWARE})
        plt.close(fig)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- document ----

def _document(results, lang: str = "en") -> list:
    """The note as blocks: (kind, payload) with kind in h1 h2 p math pre img list."""
    by = {r.key: r for r in results}
    F, T = FORMULAS, TEXT[lang]

    def verdicts(*keys):
        return [("pre", "\n\n".join(claim_line(lang, by[k]) for k in keys if k in by))]

    def why(wrong, reason):
        return CORRECTIONS_ZH.get(wrong, reason) if lang == "zh" else reason

    passed = sum(r.ok for r in results)
    doc = [("h1", T["title"]),
           ("p", T["intro"].format(passed=passed, total=len(results))),
           ("math", F["batch"]),
           ("h2", T["six"]),
           ("list", T["questions"]),
           *([("p", T["evidence_note"])] if T["evidence_note"] else []),
           ("h2", T["claim1"]),
           ("p", T["total_diff"]),
           ("math", F["total_diff"]), ("p", T["with_update"]), ("math", F["step"]),
           ("math", F["descent"]),
           ("p", T["exactly"]),
           ("math", F["descent_exact"]), ("math", F["quadratic"]),
           *verdicts("1a", "1b", "1c"),
           ("img", "quadratic_threshold.png"),
           ("h2", T["claim2"]),
           ("math", F["accuracy"]), *verdicts("2a", "2b"),
           ("h2", T["claim3"]),
           ("p", T["badly_wrong"]),
           ("math", F["delta_mse"]), ("math", F["delta_ce"]), ("math", F["ratio"]),
           ("img", "delta_vs_z.png"), *verdicts("3a", "3b"), ("img", "single_neuron.png"),
           ("p", T["digits"]),
           *verdicts("3c"), ("img", "learning_curves.png"), *verdicts("3d"),
           ("img", "learning_rate_sweep.png"),
           ("h2", T["claim4"]),
           ("math", F["z"]), ("p", T["bp1"]),
           ("math", F["bp1"]), ("math", F["bp1_pairs"]),
           ("p", T["bp2"]),
           ("math", F["bp2_index"]), ("math", F["bp2"]), ("p", T["bp34"]),
           ("math", F["bp3"]), ("math", F["bp4"]), ("p", T["update"]), ("math", F["update"]),
           ("p", T["corrections"]),
           ("list", [f"${w}$ \u2192 ${r}$: {why(w, y)}" if w != r"\argmax" else
                     f"`{w}` \u2192 ${r}$: {why(w, y)}" for w, r, y in CORRECTIONS]),
           *verdicts("4a", "4b", "4c", "4d")]
    return doc


def _captions(lang):
    return FIGURES_ZH if lang == "zh" else FIGURES


def _markdown(doc, lang: str = "en") -> str:
    caps, out = _captions(lang), [_MARKER]
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
            out.append(f"![{caps[x]}]({figure_file(x, lang)})\n\n*{caps[x]}*")
        elif kind == "list":
            out.append("\n".join(f"{i}. {item}" for i, item in enumerate(x, 1)))
    return "\n\n".join(out) + "\n"


def _html(doc, lang: str = "en") -> str:
    from derive.report_html import page

    doc = [(k, figure_file(x, lang)) if k == "img" else (k, x) for k, x in doc]
    caps = {figure_file(k, lang): v for k, v in _captions(lang).items()}
    return page(doc, caps, lang, TEXT[lang]["html_title"]).replace(
        "<!DOCTYPE html>\n", "<!DOCTYPE html>\n" + _MARKER + "\n", 1)


# ------------------------------------------------------------- destination ----

def _is_ours(path: Path) -> bool:
    """True if ``path`` is a file this command wrote (its marker or PNG metadata)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return _MARKER.encode() in head or _SOFTWARE.encode() in head


def _targets(out: Path, fmt: str, lang: str) -> list:
    return [out / note_file(fmt, lang)] + [out / figure_file(n, lang) for n in FIGURES]


def _check_destination(out, fmt: str, lang: str = "en", force: bool = False) -> Path:
    """Validate ``--out`` (see the module docstring) and create the directory; returns it.

    Only ``out`` itself is created (with its missing parents) and probed; nothing else
    is touched.
    """
    if fmt not in ("markdown", "html"):
        raise UsageError("--format", "markdown or html", fmt)
    if lang not in LANGS:
        raise UsageError("--lang", "one of " + ", ".join(LANGS), repr(lang))
    if not isinstance(out, (str, os.PathLike)) or not str(out).strip():
        raise UsageError("--out", "a directory to write the report into", "an empty path")
    text = str(out)
    if "\0" in text:
        raise UsageError("--out", "a path without NUL characters", repr(text))
    out = Path(text).expanduser()
    raw = os.fsencode(str(out))
    if len(raw) > 4000 or any(len(os.fsencode(part)) > 255 for part in out.parts):
        raise UsageError("--out", "names of at most 255 bytes (paths of at most 4000)",
                         "a name of %d bytes" % max(len(os.fsencode(p)) for p in out.parts))
    if out.exists() and not out.is_dir():
        raise UsageError("--out", "a directory (the report writes %s and its figures into it)"
                         % note_file(fmt, lang), f"the file {text!r}")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError("--out", "a directory to write into", f"{text!r}, under the file "
                                 f"{str(parent)!r}")
            break
    if not out.exists() and out.suffix.lower() in (".md", ".html", ".htm", ".png", ".pdf"):
        raise UsageError("--out", "a directory (the report writes %s and its figures into it)"
                         % note_file(fmt, lang), f"{text!r}, a file name")
    for path in _targets(out, fmt, lang):
        if path.is_dir() or (path.exists() and not force and not _is_ours(path)):
            raise UsageError("--out", "a directory whose %s files are this report's own (or "
                             "--force to overwrite)" % path.name, f"{str(path)!r}, a file this "
                             "command did not write" if not path.is_dir() else f"the directory {str(path)!r}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UsageError("--out", "a directory that can be written",
                         f"{text!r} ({exc.strerror or exc})") from None
    return out


def write_report(out, fmt: str = "markdown", results=None, *, lang: str = "en",
                 force: bool = False, progress=None) -> Path:
    """Run the checks (unless ``results`` is given), draw the figures, write the note.

    Returns the path of the note (:func:`note_file`) inside ``out`` (created if needed).
    Raises :class:`UsageError` for a bad destination (see :func:`_check_destination`).
    """
    say = progress or (lambda text: None)
    out = _check_destination(out, fmt, lang, force)
    results = _claims.check_claims(progress=progress) if results is None else results
    say(f"drawing {len(FIGURES)} figures into {out}")
    draw_figures(out, lang)
    doc = _document(results, lang)
    path = out / note_file(fmt, lang)
    say(f"writing {path}")
    path.write_text(_markdown(doc, lang) if fmt == "markdown" else _html(doc, lang),
                    encoding="utf-8")
    return path


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="directory to write into (created if missing)")
    parser.add_argument("--format", default="markdown", choices=("markdown", "html"),
                        help="note.md (default) or note.html (math rendered to MathML: opens offline)")
    parser.add_argument("--lang", default="en", choices=LANGS,
                        help="en (default) or zh: the note in its own language (note.zh.*)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite files in DIR that this command did not write")
    _claims.add_budget_arguments(parser)


def run(args) -> int:
    _claims.require_extras("sklearn", "matplotlib",
                           *(("latex2mathml",) if args.format == "html" else ()))
    estimate = _claims.check_budget(None, args.budget, extra=_FIGURE_SECONDS)
    out = _check_destination(args.out, args.format, args.lang, args.force)  # before the checks
    say = _claims.progress_printer(args.quiet)
    say(f"{len(_claims.CHECKS)} checks and {len(FIGURES)} figures, about {estimate:.0f} s "
        "(from measured costs)")
    results = _claims.check_claims(progress=say)
    path = write_report(out, args.format, results, lang=args.lang, force=args.force,
                        progress=say)
    bad = [r.key for r in results if not r.ok]
    print(f"wrote {path} and {len(FIGURES)} figures; {len(results) - len(bad)}/{len(results)} "
          f"checks passed" + (f"; not passed: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0
