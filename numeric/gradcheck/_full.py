"""The entry-by-entry check: complex step per entry, kinks, validation, examination.

Private module of :mod:`numeric.gradcheck`: the steps of :class:`numeric.gradcheck._check._Check`
for inputs up to ``max_full`` entries (see the package docstring for the method).
"""

from __future__ import annotations

import numpy as np

from numeric.gradcheck import _examine as X
from numeric.gradcheck import _judge as J
from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import ComplexUnsafe, UserCodeError
from numeric.gradcheck._options import maxabs, spread
from numeric.gradcheck._report import Entry, InputResult

__all__ = ["FullCheck"]

_FLAT_MAX = 8  # exact-zero entries probed for a flat forward per check

_NOISE_STEP = 2.0 ** -26  # of each input's scale
# offsets (in steps of _NOISE_STEP) of the forward-noise line: irregular, so that no
# quantised intermediate moves by a whole number of its ulps between neighbours
_NOISE_T = (0.0, 1.0, 1 + 2 ** 0.5, 1 + 5 ** 0.5, 2 + 7 ** 0.5, 3 + 11 ** 0.5 - 0.5,
            4 + 13 ** 0.5 - 0.25)


def _divided_difference_weights(t):
    """Weights ``w_n = 1 / prod_{m != n} (t_n - t_m)``: ``sum w_n p(t_n) = 0`` for every
    polynomial ``p`` of degree below ``len(t) - 1``."""
    return [1.0 / np.prod([tn - tm for m, tm in enumerate(t) if m != n])
            for n, tn in enumerate(t)]


class FullCheck:
    """Mixin: ``_full`` and its helpers (state lives on the :class:`_Check` instance)."""

    def _full(self, ev, checked, g0):
        L, ulps = self.layer, self.ulps
        sweeps, why = {}, {}
        for k in checked:
            self.progress(f"{self.names[k]}: complex step over {L.inputs[k].size} entries")
            try:
                sweeps[k] = M.complex_sweep(ev, k)
            except ComplexUnsafe as exc:
                why[k] = str(exc)
            except UserCodeError as exc:
                why[k] = str(exc)
        self._forward_noise(ev)
        minus = {k: {} for k in sweeps}
        if sweeps:
            groups = {k: np.arange(s[0].size) for k, s in sweeps.items()}
            try:
                found = J.kink_suspects(ev, groups, {k: s[0] for k, s in sweeps.items()},
                                        {k: s[1] for k, s in sweeps.items()}, ulps)
            except (ComplexUnsafe, UserCodeError):
                found = {}
            for (k, i), dm in found.items():
                minus[k][i] = dm
            why.update(self._validate(ev, sweeps, minus))
            for k in list(sweeps):
                if k in why:
                    del sweeps[k]
        quick = {}
        rd = [k for k in checked if k not in sweeps]
        rd_cost = 2.5 * sum(L.inputs[k].size for k in rd) * self.t_call
        if rd and self.mode == "auto" and rd_cost > self.time_budget:
            self.notes.append(f"real differences entry by entry would take ~{rd_cost:.0f} s "
                              f"({self.t_call * 1e3:.1f} ms a forward call): "
                              f"{', '.join(self.names[k] for k in rd)} checked along random "
                              "directions instead (mode='full' insists)")
            results = self._directions(ev, rd, g0)
            for k in rd:
                results[k].notes.append(f"complex step not usable: {why[k]}")
            rest = [k for k in checked if k not in rd]
            if rest:
                results.update(self._full(ev, rest, g0))
            return results
        for k in checked:
            if k not in sweeps:
                quick[k] = J.quick_real(ev, k, self.progress, self.names[k])
        # each input's rounding floor: ulps of its own largest derivative (a gradient entry
        # that is exactly 0 computed as 1e-16 next to entries of size 1). Never converted
        # from another input: an input of size 1e16 (beta + 1e16) would drown the others
        grad_scale = {k: maxabs(s[0]) for k, s in sweeps.items()}
        grad_scale.update({k: max((abs(q.central) for q in qs if not isinstance(q, str)),
                                  default=0.0) for k, qs in quick.items()})
        # ... and, for an input whose true gradient is 0 throughout (one key in attention),
        # the other inputs' gradients in output units, |d| times the input's spread (never
        # its size: beta = 1e16 + b has no spread, and would drown everything else)
        spreads = {k: spread(L.inputs[k]) for k in checked}
        out_scale = max((grad_scale[k] * spreads[k] for k in checked), default=0.0)
        floor = {k: ulps * M.EPS * max(grad_scale[k], out_scale / spreads[k]) for k in checked}
        results, cands, numeric, tols, reach = {}, [], {}, {}, {}
        for k in checked:
            x = L.inputs[k]
            if k in sweeps:
                res = InputResult(self.names[k], x.shape, "complex step", x.size)
                d, tol, c = J.judge_complex(res, ev, k, g0[k], sweeps[k], minus[k], floor[k],
                                            ulps)
                numeric[k], tols[k] = d.copy(), np.maximum(tol, floor[k])
                reach[k] = sweeps[k][2]  # sum |v_j f_j| over the outputs each entry moves
                cands += [(k, i) for i in c]
                self._kinks_jointly(ev, k, res, g0[k], tol, floor[k])
            else:
                res = InputResult(self.names[k], x.shape,
                                  "real differences (central + Richardson)", x.size)
                res.notes.append(f"complex step not usable: {why[k]}")
                numeric[k], tols[k] = J.judge_real(res, ev, k, g0[k], ulps, floor[k],
                                                   1e-8 * floor[k] / (ulps * M.EPS), quick[k])
                self._kinks_jointly(ev, k, res, g0[k], tols[k], floor[k], real=True)
            results[k] = res
        self._examine(ev, cands, g0, numeric, tols, floor, results, reach)
        for k in checked:
            self._finish(results[k], g0[k], numeric[k], tols[k], k)
        return results

    def _forward_noise(self, ev):
        """Measure the forward's own rounding noise (for real differences): fourth divided
        differences of f along a random direction (steps 2^-26 of each input's scale, short
        enough not to cross the near-ties of a pooling window) are rounding only (smooth
        terms are ~1e-30): ~eps |f| for float64 code, ~1e-7 |f| for code that
        computes in float32 inside.

        The offsets are irregular (:data:`_NOISE_T`): on an evenly spaced line a quantised
        intermediate (``1 + delta`` in ``log(sum exp)`` of a confident softmax) moves by
        nearly a whole number of its ulps per step about one time in four, its rounding
        error is then linear along the line and a regular fourth difference reads 0 where
        the noise is 1e-16. Three windows of five points give three readings per output
        (a scalar loss has only the one output); the largest is kept."""
        u = {k: self.rng.uniform(-1, 1, x.shape) * ev.scale[k]
             for k, x in enumerate(ev.inputs) if x.dtype.kind == "f"}
        try:
            f = [ev.f0] + [ev.call({k: ev.inputs[k] + (t * _NOISE_STEP) * uu
                                    for k, uu in u.items()}) for t in _NOISE_T[1:]]
        except UserCodeError:
            return
        fourth = np.zeros(ev.f0.shape)
        for a in range(len(_NOISE_T) - 4):
            w = _divided_difference_weights(_NOISE_T[a:a + 5])
            # normalised: for independent errors of one value's size s, this reads ~ s
            d = np.abs(sum(wn * fn for wn, fn in zip(w, f[a:a + 5]))) / np.linalg.norm(w)
            fourth = np.maximum(fourth, d)
        # absolute too: outputs near 0 computed from larger terms (x - mean x) are noisier
        # than eps |f| says
        ev.noise_abs = 2 * float(fourth.max())
        size = max(maxabs(fn) for fn in f)
        if size == 0:
            return
        rel = float(fourth.max() / size)
        if rel > 64 * M.EPS:
            ev.noise = max(ev.noise, 4 * rel)
        if rel > 1e-9:  # float32 arithmetic leaves ~6e-8
            self.notes.append(f"forward computes in low precision (noise ~{rel:.1g} relative, "
                              "as from float32 arithmetic inside): real-difference bounds use "
                              "that noise")

    def _validate(self, ev, sweeps, minus):
        """Complex step against real differences along one random direction per input.
        Returns {input: reason} for the inputs that failed."""
        # entries at a true kink (another branch at -ih) are left out of the direction: a
        # direction through a tie is not the sum of its one-sided parts. Suspects of the
        # -ih group test whose -ih value equals the +ih one stay in (a forward that drops
        # the imaginary part of a variance makes every entry a suspect of that kind)
        us = {}
        for k, (d, A, F) in sweeps.items():
            u = self.rng.standard_normal(d.size)
            for i, dm in minus[k].items():
                if abs(dm - d[i]) > self.ulps * M.EPS * A[i]:
                    u[i] = 0.0
            if u.any():
                us[k] = u
        if not us:
            return {}
        # each input alone: together, an input whose gradient is 1e-8 (x ~ 1e8) next to one
        # of size 1 (beta) is lost in the other's rounding
        bad = {}
        for k, u in us.items():
            try:
                w = self._disagrees(ev, sweeps, {k: u})
            except UserCodeError as exc:
                w = str(exc)
            if w:
                bad[k] = w
        return bad

    def _disagrees(self, ev, sweeps, us):
        """'' when the complex step agrees with real differences along ``us``; shorter
        steps are tried when the default one disagrees (it may cross a kink near x)."""
        cs = sum(float(u @ sweeps[k][0]) for k, u in us.items())
        tol = self.ulps * M.EPS * sum(float(np.abs(u) @ (sweeps[k][1] + sweeps[k][2]))
                                      for k, u in us.items())
        per_output = None
        for grow in (1.0, 1 / 64, 1 / 4096):
            p = M.real_direction(ev, us, grow)
            if not p.moved:  # no output changed at all: real differences say nothing here
                return ""
            if not p.mask.all():
                # real differences only see the outputs that moved (an output of size 1
                # hides a change of 1e-17): compare the complex step on those outputs
                if per_output is None:
                    try:
                        per_output = M.complex_direction_outputs(ev, us)
                    except ComplexUnsafe as exc:
                        return str(exc)
                cs = float(per_output[p.mask].sum())
            if p.kink:
                lo, hi = min(p.left, p.right), max(p.left, p.right)
                good = lo - p.noise - tol <= cs <= hi + p.noise + tol
            else:
                good = abs(cs - p.central) <= p.error + tol
            if good:
                return ""
        return "" if good else (f"complex step {cs:.9g} and real differences {p.central:.9g} "
                                f"(+- {p.error:.2g}) disagree along a random direction")

    def _kinks_jointly(self, ev, k, res, g, tol, floor, real=False):
        """Kink entries together: each may be a subgradient alone, but not all at once
        (every tied maximum given the whole gradient). Moving them together gives the
        one-sided derivatives along that direction; sum(g) must lie between them.

        By the complex step at ``+-ih`` (one try), or, for a forward that is not
        complex-safe (``real``), by real differences at three step lengths, each with the
        per-output hull of its one-sided slopes (a step may cross another kink): sum(g)
        must lie within one of them. Catches ``mask = (x == max)``."""
        if len(res.kinks) < 2:
            return
        idx = [int(np.ravel_multi_index(e.index, res.shape)) if res.shape else 0
               for e in res.kinks]
        u = np.zeros(g.size)
        u[idx] = 1.0
        s = float(g[idx].sum())
        tries = self._joint_real(ev, k, u, floor * len(idx)) if real else \
            self._joint_complex(ev, k, u, float(tol[idx].sum()) + floor * len(idx))
        last = None
        try:
            for last in tries:
                lo, hi, slack, _, _ = last
                if lo - slack <= s <= hi + slack:
                    return
        except (ComplexUnsafe, UserCodeError):
            return
        if last is None:
            return
        lo, hi, slack, left, right = last
        near = lo if abs(s - lo) < abs(s - hi) else hi
        method = ("one-sided differences" if real else "complex step") + \
            " moving all kink entries"
        res.wrong.append(Entry(res.name, ("kink entries jointly",), s, near, abs(s - near),
                               slack, "wrong", method, left=left, right=right))
        res.notes.append("each kink entry lies between its own one-sided derivatives, but "
                         "not all together (e.g. every tied maximum given the whole "
                         "gradient)")

    def _joint_complex(self, ev, k, u, slack):
        """(lo, hi, slack, left, right) from the complex step at +ih and -ih."""
        dp, A = M.complex_direction(ev, {k: u}, 1.0)
        dm, _ = M.complex_direction(ev, {k: u}, -1.0)
        yield min(dp, dm), max(dp, dm), self.ulps * M.EPS * A + slack, dm, dp

    def _joint_real(self, ev, k, u, slack):
        """(lo, hi, slack, left, right) from real differences at three step lengths."""
        for grow in (1.0, 1 / 16, 1 / 256):
            p = M.real_direction(ev, {k: u}, grow)
            yield (min(p.left, p.right, p.hull_lo), max(p.left, p.right, p.hull_hi),
                   p.noise + self.ulps * M.EPS * p.A + slack, p.left, p.right)

    def _examine(self, ev, cands, g0, numeric, tols, floor, results, reach):
        if not cands:
            return
        rel = [abs(g0[k][i] - numeric[k][i]) / max(abs(numeric[k][i]), 1e-300)
               for k, i in cands]
        ranked = np.argsort(rel, kind="stable")
        order = [cands[n] for n in ranked]
        # an exact 0 where forward itself does not move: the derivative of what it computes
        verdicts = self._flat_zeros(ev, order, g0, numeric)
        # far above the floor, no rounding makes a 50% discrepancy: wrong as it stands
        verdicts.update({(k, i): ("wrong", "")
                         for (k, i), r in zip(order, np.asarray(rel)[ranked])
                         if (k, i) not in verdicts and r >= 0.5
                         and abs(numeric[k][i]) > 1e6 * floor[k]
                         and abs(numeric[k][i]) > self.ulps * M.EPS * float(reach[k][i])})
        # the most rounding-like first (the first formula error among them settles the
        # rest above it), and always the most discrepant one
        rest = [c for c in order if c not in verdicts]
        todo = rest[:X.EXAMINE] + ([rest[-1]] if len(rest) > X.EXAMINE else [])
        relof = dict(zip(cands, rel))
        # the layer's gradient scale per input, for entries whose true value is 0: its
        # largest gradients, or the outputs' spread over the input's spread (a typical
        # slope: a batch norm of two examples at x ~ 1e8 has no gradient above noise, but
        # its outputs move by O(1) over the inputs' O(1e8))
        out_spread = float(np.std(ev.f0)) if ev.f0.size > 1 else 0.0
        scale = {kk: max(f / (self.ulps * M.EPS), out_spread / spread(ev.inputs[kk]))
                 for kk, f in floor.items()}
        # centring an input of size 1e3 and spread 1 costs 3 digits (x - mean x)
        cond = {kk: self.ulps * M.EPS * maxabs(ev.inputs[kk]) / spread(ev.inputs[kk])
                for kk in floor}
        for n, (k, i) in enumerate(todo):
            verdicts.update(X.examine(ev, self.layer, [(k, i, float(g0[k][i]),
                                                        float(numeric[k][i]))],
                                      self.rng, self.ulps, self.progress, checked=list(g0),
                                      scale=scale,
                                      reach=self.ulps * M.EPS * float(reach[k][i]),
                                      cond=cond[k]))
            if verdicts[(k, i)][0] == "wrong" and n < len(todo) - 1:
                break
        done = [(np.log10(max(relof[c], 1e-300)), verdicts[c][0]) for c in verdicts]
        for k, i in order:
            if (k, i) in verdicts:
                status, note = verdicts[(k, i)]
            else:  # the verdict of the examined entry nearest in relative discrepancy
                lr = np.log10(max(relof[(k, i)], 1e-300))
                status = min(done, key=lambda t: abs(t[0] - lr))[1]
                note = "not examined individually; classed with the examined entries"
            res = results[k]
            if status == "verified":
                res.notes.append(f"entry {list(J._idx(res.shape, i))}: {note}")
                continue
            e = Entry(res.name, J._idx(res.shape, i), float(g0[k][i]), float(numeric[k][i]),
                      float(abs(g0[k][i] - numeric[k][i])),
                      float(tols[k][i]), status,
                      "complex step, examined under perturbations" if note else "complex step",
                      note=note)
            (res.wrong if status == "wrong" else res.inaccurate).append(e)


    def _flat_zeros(self, ev, order, g0, numeric, most=_FLAT_MAX):
        """Exact zeros of ``backward`` where ``forward`` is flat: {(k, i): verdict}.

        Moving the entry by up to half its size (``+-2^-10, 1/16, 1/2`` of ``|x_i|``, or
        of the input's scale at 0) leaves every output bitwise unchanged, where the complex
        step says a correctly rounded forward would move by more than 4 ulps: the computed
        forward is constant there, its true derivative (the complex step's, ``1e-25`` for
        the label of a softmax whose ``p`` rounds to 1) lies below its own rounding, and 0
        is the exact derivative of what forward computes. Inaccurate, not wrong: a zeroed
        gradient at an entry the forward responds to (``x + 1e16`` moves by 2 when x moves
        by 1) stays wrong. At most ``most`` entries, and none after two whose forward
        moved at the first step (a zeroing bug: the rest are alike)."""
        out, moved = {}, 0
        for k, i in [c for c in order if g0[c[0]][c[1]] == 0 and numeric[c[0]][c[1]] != 0
                     ][:most]:
            if moved >= 2:
                break
            x = ev.inputs[k]
            xr = x.copy()
            flat = xr.reshape(-1)
            xi = float(flat[i])
            size = abs(xi) if xi != 0 else ev.scale[k]
            try:
                steps = (2.0 ** -10, -2.0 ** -10, 1 / 16, -1 / 16, 0.5, -0.5)
                for n, s in enumerate(steps):
                    flat[i] = xi + s * size
                    if flat[i] == xi or np.any(ev.call({k: xr}) != ev.f0):
                        moved += n == 0
                        break
                else:
                    # the move a correctly rounded forward would show: more than a few
                    # ulps of some output (x + 1e16 moved by 0.5 need not move: ulp 2)
                    e = np.zeros(x.size)
                    e[i] = 1.0
                    c = M.complex_direction_outputs(ev, {k: e})
                    seen = ev.v != 0
                    move = np.abs(c[seen] / ev.v[seen]) * 0.5 * size
                    if np.any(move > 4 * np.spacing(np.abs(ev.f0[seen]))):
                        d = float(numeric[k][i])
                        out[(k, i)] = ("inaccurate", f"every digit lost: forward itself does "
                                       f"not move when this entry moves by up to half its "
                                       f"size (outputs bitwise equal), so the true value "
                                       f"({d:.2g}) is below forward's own rounding and 0 is "
                                       "the derivative of what forward computes (e.g. p - 1 "
                                       "with p rounded to 1)")
            except (UserCodeError, ComplexUnsafe):
                continue
        return out
