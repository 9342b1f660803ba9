"""The report of :func:`numeric.check_layer`: per-entry verdicts and the text a person reads.

Private module; :class:`GradientReport` is public through :mod:`numeric.gradcheck`.

Verdict classes of an entry (``Entry.status``):

``verified``    the analytic value agrees with a numeric value resolved to its bound;
``wrong``       it does not, and no rounding or kink explains the difference;
``kink``        the point is shown non-differentiable (the complex step at ``+ih`` and
                ``-ih`` takes different branches, or real one-sided slopes differ at every
                step) and the value lies between the one-sided derivatives (a subgradient);
``inaccurate``  right formula, digits lost to rounding in ``backward`` (the discrepancy
                changes erratically and averages to zero under tiny input perturbations);
                passes with a note, fails with ``strict=True``;
``unresolved``  no method available here resolves the entry (says why).

>>> e = Entry("W", (0, 1), 2.0, 1.0, 1.0, 1e-12, "wrong", "complex step")
>>> r = GradientReport([InputResult("W", (2, 2), "complex step", 4, wrong=[e])], n_evals=9)
>>> r.ok, r.entries[0].index, r.counts["wrong"]
(False, (0, 1), 1)
>>> print(str(r).splitlines()[0])
gradient check FAILED: 1 of 1 inputs wrong (W); 9 forward calls
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Entry", "GradientReport", "InputResult", "CLASSES"]

CLASSES = ("verified", "wrong", "kink", "inaccurate", "unresolved")


@dataclass
class Entry:
    """One judged entry: where, both values, the error and the bound it was judged by."""

    input: str
    index: tuple
    analytic: float
    numeric: float
    error: float
    tol: float
    status: str   # one of CLASSES (a wrong entry at a kink: "wrong")
    method: str
    left: float = None    # one-sided derivatives at a kink
    right: float = None
    note: str = ""

    def line(self) -> str:
        where = f"{self.input}{list(self.index)}" if isinstance(self.index, tuple) and \
            all(isinstance(i, int) for i in self.index) else f"{self.input} {self.index[0]}"
        s = (f"  {where}: analytic {self.analytic: .9e}  numeric {self.numeric: .9e}  "
             f"|error| {self.error:.2e}  tol {self.tol:.2e}  [{self.method}]")
        if self.left is not None:
            s += f"  one-sided: left {self.left:.6g}, right {self.right:.6g}"
        if self.note:
            s += f"  ({self.note})"
        return s


@dataclass
class InputResult:
    """The verdict on one input: counts per class and the entries worth showing."""

    name: str
    shape: tuple
    method: str
    n_checked: int = 0
    wrong: list = field(default_factory=list)
    kinks: list = field(default_factory=list)
    inaccurate: list = field(default_factory=list)
    unresolved: list = field(default_factory=list)
    diagnosis: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # this input could not be compared / failed
    n_wrong: int = 0          # may exceed len(wrong) when the list is a sample
    sample: bool = False      # the wrong list is a sample (budget ran out)
    ratio: np.ndarray = None  # |analytic - numeric| / tol per entry (NaN: not known)
    marks: np.ndarray = None  # per entry: 0 verified, 1 wrong, 2 kink, 3 inaccurate, 4 unresolved

    def __post_init__(self):
        self.n_wrong = max(self.n_wrong, len(self.wrong))

    def counts(self) -> dict:
        c = {"wrong": self.n_wrong, "kink": len(self.kinks),
             "inaccurate": len(self.inaccurate), "unresolved": len(self.unresolved)}
        # a sampled input (group testing stopped early) has entries not judged at all
        c["verified"] = 0 if self.sample else max(self.n_checked - sum(c.values()), 0)
        return {k: c[k] for k in CLASSES}

    def is_ok(self, strict=False, allow_unresolved=False) -> bool:
        return (not self.problems and self.n_wrong == 0
                and (allow_unresolved or not self.unresolved)
                and not (strict and self.inaccurate))

    @property
    def ok(self) -> bool:
        return self.is_ok()


class GradientReport:
    """The result of :func:`check_layer`: ``ok``, per-input results, counts, readable text.

    ``ok`` is True only when something was checked and nothing is wrong or unresolved
    (``strict``: nor inaccurate; ``allow_unresolved``: unresolved entries tolerated).
    ``str(report)`` names each wrong input, its worst entries (index, analytic, numeric,
    error, tolerance, method), the recognised pattern, kinks, inaccurate and unresolved
    entries, and the number of forward and backward calls. In Jupyter it renders as HTML;
    :meth:`plot` draws one heat map per input (matplotlib).
    """

    def __init__(self, inputs=(), problems=(), n_evals=0, ulps=None, notes=(), n_backward=0,
                 strict=False, allow_unresolved=False):
        self.inputs = list(inputs)
        self.problems = list(problems)
        self.n_evals = n_evals
        self.n_backward = n_backward
        self.ulps = ulps
        self.notes = list(notes)
        self.strict = strict
        self.allow_unresolved = allow_unresolved

    def _input_ok(self, r):
        return r.is_ok(self.strict, self.allow_unresolved)

    @property
    def checked(self) -> int:
        return sum(r.n_checked for r in self.inputs)

    @property
    def ok(self) -> bool:
        return (not self.problems and self.checked > 0
                and all(self._input_ok(r) for r in self.inputs))

    @property
    def counts(self) -> dict:
        """Number of entries in each verdict class, over all inputs."""
        total = dict.fromkeys(CLASSES, 0)
        for r in self.inputs:
            for k, n in r.counts().items():
                total[k] += n
        return total

    @property
    def entries(self) -> list:
        """Every reported entry (wrong, kinks, inaccurate, unresolved) of every input."""
        return [e for r in self.inputs for e in r.wrong + r.kinks + r.inaccurate + r.unresolved]

    def __bool__(self):
        return self.ok

    def __repr__(self):
        bad = [r.name for r in self.inputs if not self._input_ok(r)]
        return (f"GradientReport(ok={self.ok}, wrong={bad}, problems={len(self.problems)}, "
                f"counts={self.counts}, n_evals={self.n_evals})")

    def _head(self):
        calls = f"{self.n_evals} forward calls" + (
            f", {self.n_backward} backward calls" if self.n_backward else "")
        if self.problems:
            return f"gradient check FAILED before any derivative was compared ({calls}):"
        bad = [r for r in self.inputs if not self._input_ok(r)]
        if bad:
            return (f"gradient check FAILED: {len(bad)} of {len(self.inputs)} inputs wrong "
                    f"({', '.join(r.name for r in bad)}); {calls}")
        if not self.checked:
            return f"gradient check FAILED: nothing was checked; {calls}"
        c = self.counts
        extra = ", ".join(f"{n} {k}" for k, n in c.items() if n and k != "verified")
        return (f"gradient check passed: {len(self.inputs)} inputs, {c['verified']} entries "
                f"verified" + (f", {extra}" if extra else "") + f"; {calls}")

    def _input_lines(self, r):
        c = r.counts()
        if self._input_ok(r):
            status = "ok"
        elif r.problems:
            status = "FAILED"
        elif r.n_wrong:
            status = f"WRONG at {r.n_wrong}{'+' if r.sample else ''} of {r.n_checked} entries"
        elif r.unresolved:
            status = f"UNRESOLVED at {len(r.unresolved)} of {r.n_checked} entries"
        else:
            status = f"INACCURATE at {len(r.inaccurate)} of {r.n_checked} entries (strict)"
        tally = ", ".join(f"{n} {k}" for k, n in c.items() if n)
        lines = [f"{r.name} {r.shape}: {status} [{r.method}]" + (f" ({tally})" if tally else "")]
        lines += [f"  problem: {p}" for p in r.problems]
        lines += [f"  looks like: {d}" for d in r.diagnosis]
        if r.wrong:
            worst = sorted(r.wrong, key=lambda e: -e.error / max(e.tol, 1e-300))[:10]
            lines.append(f"  worst entries ({len(worst)} shown"
                         + (", a sample: the localisation budget ran out" if r.sample else "")
                         + "):")
            lines += [e.line() for e in worst]
        if r.kinks:
            lines.append(f"  {len(r.kinks)} entries at a kink (non-differentiable point); "
                         "analytic value accepted as lying between the one-sided derivatives:")
            lines += [e.line() for e in r.kinks[:5]]
        if r.inaccurate:
            lines.append(f"  {len(r.inaccurate)} entries inaccurate (right formula, digits "
                         "lost to rounding in backward):")
            lines += [e.line() for e in r.inaccurate[:5]]
        if r.unresolved:
            lines.append(f"  {len(r.unresolved)} entries unresolved:")
            lines += [e.line() for e in r.unresolved[:5]]
        lines += [f"  note: {n}" for n in r.notes]
        return lines

    def __str__(self):
        lines = [self._head()]
        if self.problems:
            lines += [f"  {p}" for p in self.problems]
        for r in self.inputs:
            lines += self._input_lines(r)
        if self.ulps is not None and not self.problems:
            lines.append(f"tolerance per entry: {self.ulps} ulps x sum_j |v_j J_ji| (complex "
                         "step), or the real-difference error bound; discrepancies within "
                         "rounding reach are examined under tiny input perturbations")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    # ------------------------------------------------------------ pictures
    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#cf222e"
        out = [f'<div class="gradcheck"><p style="color:{colour};font-weight:bold">'
               f"{html.escape(self._head())}</p>"]
        out += [f"<p>{html.escape(p)}</p>" for p in self.problems]
        for r in self.inputs:
            lines = self._input_lines(r)
            out.append(f"<p><b>{html.escape(lines[0])}</b></p>")
            rows = [e for e in sorted(r.wrong, key=lambda e: -e.error / max(e.tol, 1e-300))[:10]]
            rows += r.kinks[:5] + r.inaccurate[:5] + r.unresolved[:5]
            for d in r.diagnosis:
                out.append(f"<p>looks like: {html.escape(d)}</p>")
            if rows:
                out.append("<table><tr><th>entry</th><th>verdict</th><th>analytic</th>"
                           "<th>numeric</th><th>|error|</th><th>tol</th><th>method</th></tr>")
                for e in rows:
                    out.append(
                        f"<tr><td>{html.escape(str(list(e.index)))}</td><td>{e.status}</td>"
                        f"<td>{e.analytic:.9e}</td><td>{e.numeric:.9e}</td><td>{e.error:.2e}"
                        f"</td><td>{e.tol:.2e}</td><td>{html.escape(e.method)}</td></tr>")
                out.append("</table>")
            out += [f"<p>note: {html.escape(n)}</p>" for n in r.notes]
        out += [f"<p>note: {html.escape(n)}</p>" for n in self.notes]
        return "\n".join(out + ["</div>"])

    def plot(self, axes=None):
        """One heat map per input of ``|analytic - numeric| / tol`` (log scale), with wrong
        (x), kink (o), inaccurate (+) and unresolved (?) entries marked. Needs matplotlib.

        Returns the matplotlib ``Figure``. Arrays of more than 2 dimensions are shown
        flattened to (first axis, rest).
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("report.plot() needs matplotlib: pip install matplotlib") from None
        shown = [r for r in self.inputs if r.ratio is not None]
        if axes is None:
            fig, axes = plt.subplots(1, max(len(shown), 1), figsize=(4 * max(len(shown), 1), 3.4),
                                     squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(axes)
            fig = axes[0].figure
        for ax, r in zip(axes, shown):
            ratio = np.asarray(r.ratio, float)
            marks = np.asarray(r.marks)
            if ratio.ndim == 0:
                ratio, marks = ratio.reshape(1, 1), marks.reshape(1, 1)
            elif ratio.ndim == 1:
                ratio, marks = ratio[None, :], marks[None, :]
            elif ratio.ndim > 2:
                ratio = ratio.reshape(ratio.shape[0], -1)
                marks = marks.reshape(marks.shape[0], -1)
            val = np.log10(np.maximum(ratio, 1e-3))
            im = ax.imshow(np.ma.masked_invalid(val), cmap="magma", vmin=-3, vmax=3,
                           aspect="auto", interpolation="nearest")
            for code, sym in ((1, "x"), (2, "o"), (3, "+"), (4, "$?$")):
                ys, xs = np.nonzero(marks == code)
                if ys.size:
                    ax.scatter(xs, ys, marker=sym, c="cyan", s=40,
                               label={1: "wrong", 2: "kink", 3: "inaccurate",
                                      4: "unresolved"}[code])
            ax.set_title(f"{r.name} {r.shape}: {'ok' if self._input_ok(r) else 'WRONG'}")
            if any(np.any(marks == c) for c in (1, 2, 3, 4)):
                ax.legend(loc="upper right", fontsize=7)
            fig.colorbar(im, ax=ax, label="log10 |analytic - numeric| / tol")
        fig.suptitle(self._head()[:90], fontsize=9)
        fig.tight_layout()
        return fig
