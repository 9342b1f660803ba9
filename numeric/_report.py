"""The report of :func:`numeric.check_layer`: per-entry verdicts and the text a person reads.

Private module; :class:`GradientReport` is public through :mod:`numeric.gradcheck`.

>>> e = Entry("W", (0, 1), 2.0, 1.0, 1.0, 1e-12, "wrong", "complex step")
>>> r = GradientReport([InputResult("W", (2, 2), "complex step", 4, 1, [e])], n_evals=9, ulps=32)
>>> r.ok, r.entries[0].index
(False, (0, 1))
>>> print(str(r).splitlines()[0])
gradient check FAILED: 1 of 1 inputs wrong (W); 9 forward calls
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Entry", "GradientReport", "InputResult"]


@dataclass
class Entry:
    """One judged entry: where, both values, the error and the bound it was judged by."""

    input: str
    index: tuple
    analytic: float
    numeric: float
    error: float
    tol: float
    status: str   # "wrong", "kink" (accepted subgradient) or "wrong (kink)"
    method: str
    left: float = None
    right: float = None

    def line(self) -> str:
        s = (f"  {self.input}{list(self.index)}: analytic {self.analytic: .9e}  numeric "
             f"{self.numeric: .9e}  |error| {self.error:.2e}  tol {self.tol:.2e}  [{self.method}]")
        if self.left is not None:
            s += f"  one-sided: left {self.left:.6g}, right {self.right:.6g}"
        if self.status != "wrong":
            s += f"  <{self.status}>"
        return s


@dataclass
class InputResult:
    """The verdict on one input."""

    name: str
    shape: tuple
    method: str
    n_checked: int = 0
    n_wrong: int = 0
    wrong: list = field(default_factory=list)
    kinks: list = field(default_factory=list)
    diagnosis: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.n_wrong == 0


class GradientReport:
    """The result of :func:`check_layer`: ``ok``, per-input results, and a readable text.

    ``str(report)`` names each wrong input, its worst entries (index, analytic, numeric,
    error, tolerance, method), the recognised pattern, kinks, and the number of forward
    calls (``n_evals``).
    """

    def __init__(self, inputs=(), problems=(), n_evals=0, ulps=None, notes=(), n_backward=0):
        self.inputs = list(inputs)
        self.problems = list(problems)
        self.n_evals = n_evals
        self.n_backward = n_backward
        self.ulps = ulps
        self.notes = list(notes)

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.inputs)

    @property
    def entries(self) -> list:
        """Every reported entry (wrong ones and kinks) of every input."""
        return [e for r in self.inputs for e in r.wrong + r.kinks]

    def __bool__(self):
        return self.ok

    def __repr__(self):
        bad = [r.name for r in self.inputs if not r.ok]
        return (f"GradientReport(ok={self.ok}, wrong={bad}, problems={len(self.problems)}, "
                f"n_evals={self.n_evals})")

    def __str__(self):
        if self.problems:
            lines = ["gradient check FAILED before any derivative was compared "
                     f"({self.n_evals} forward calls):"]
            lines += [f"  {p}" for p in self.problems]
            return "\n".join(lines + self.notes)
        bad = [r for r in self.inputs if not r.ok]
        head = (f"gradient check FAILED: {len(bad)} of {len(self.inputs)} inputs wrong "
                f"({', '.join(r.name for r in bad)})" if bad else
                f"gradient check passed: {len(self.inputs)} inputs")
        lines = [f"{head}; {self.n_evals} forward calls"
                 + (f", {self.n_backward} backward calls" if self.n_backward else "")]
        for r in self.inputs:
            status = "ok" if r.ok else f"WRONG at {r.n_wrong} of {r.n_checked} entries"
            lines.append(f"{r.name} {r.shape}: {status} [{r.method}]")
            for d in r.diagnosis:
                lines.append(f"  looks like: {d}")
            if r.wrong:
                worst = sorted(r.wrong, key=lambda e: -e.error / max(e.tol, 1e-300))[:10]
                lines.append(f"  worst entries ({len(worst)} shown):")
                lines += [e.line() for e in worst]
            if r.kinks:
                lines.append(f"  {len(r.kinks)} entries at a kink (non-differentiable point); "
                             "analytic value accepted as lying between the one-sided slopes:")
                lines += [e.line() for e in r.kinks[:5]]
            lines += [f"  note: {n}" for n in r.notes]
        lines.append(f"tolerance per entry: {self.ulps} ulps x sum_j |v_j J_ji| + "
                     f"{self.ulps / 8:g} ulps x sum_j |v_j f_j| (outputs the entry moves) + "
                     "measured backward noise + 1e-10 x |numeric| + the numeric method's error")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])
