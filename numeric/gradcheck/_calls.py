"""The boundary with the user's code: every call on fresh copies, outputs flattened.

Private module of :mod:`numeric.gradcheck`. :class:`Layer` owns the user's ``forward`` and
``backward``. It

* prepares the inputs once (a C-ordered float64/int copy of each, whatever the caller's
  layout, views or strides: the same values give the same verdict);
* calls ``forward`` and ``backward`` on fresh copies every time (a forward that scales its
  input in place, or a backward that does ``dnext_c += ...`` on its ``grad_output``, does
  not drift the probes, and the caller's arrays never change), and records which of them
  mutated what, to say so;
* flattens several outputs (a tuple of arrays of any shapes) into one vector and splits a
  cotangent vector back into a tuple of ``grad_output`` arrays;
* turns anything the user's code raises into :class:`UserCodeError`, carrying the stage.

>>> import numpy as np
>>> layer = Layer(lambda x: (2 * x, x.sum()), lambda g, x: (2 * g[0] + g[1],), [np.ones((2, 2))])
>>> layer.forward(layer.inputs).tolist()
[2.0, 2.0, 2.0, 2.0, 4.0]
>>> [np.shape(g) for g in layer.split(np.arange(5.0))]
[(2, 2), ()]
"""

from __future__ import annotations

import contextlib
import time
import warnings

import numpy as np

from numeric.gradcheck import _holo
from numeric.gradcheck._holo import step_view

__all__ = ["Layer", "Progress", "UserCodeError", "ComplexUnsafe"]

_WATCHED_CALLS = 4  # backward calls whose in-place changes are recorded


class UserCodeError(Exception):
    """The user's forward or backward raised (the message names the stage)."""


class ComplexUnsafe(Exception):
    """``forward`` cannot be evaluated at complex inputs (or visibly drops the imaginary part)."""


def _prepare(k, name, x):
    a = np.asarray(x)
    if a.dtype == object or a.dtype.kind not in "biufc":
        raise TypeError(f"inputs[{k}] ({name}): expected a numeric array, got dtype {a.dtype}")
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[:3].tolist()
        raise ValueError(f"inputs[{k}] ({name}): expected finite values, got non-finite "
                         f"entries at {bad}")
    return np.array(a, order="C", copy=True)


def _describe_exc(stage, exc):
    return f"{stage} raised {type(exc).__name__}: {exc}"


class Layer:
    """The user's ``forward``/``backward`` over prepared inputs; counts calls.

    ``inputs`` are prepared (:func:`_prepare`) C-ordered copies; ``self.spec`` is the
    output structure learnt from the first :meth:`forward` call: ``None`` for a single
    array, else the list of shapes of a tuple of outputs.
    """

    def __init__(self, forward, backward, inputs, names=None):
        if not callable(forward) or not callable(backward):
            raise TypeError("forward, backward: expected callables, got "
                            f"{type(forward).__name__}, {type(backward).__name__}")
        self._forward, self._backward = forward, backward
        names = names or [f"inputs[{k}]" for k in range(len(inputs))]
        self.names = list(names)
        self.inputs = [_prepare(k, n, x) for k, (n, x) in enumerate(zip(self.names, inputs))]
        self.n_forward = 0
        self.n_backward = 0
        self.spec = None        # output structure (set by the first forward call)
        self.shapes = None      # shapes of the outputs
        self.mutated = set()    # names of inputs forward/backward changed in place
        self.mutated_grad = False
        # complex calls through StepArray (None: not known yet; False: forward calls none
        # of NumPy's non-holomorphic functions, plain complex arrays are faster)
        self.holomorphic = None
        self._guarded = False   # inside complex_calls(): the warning filter is set

    # ------------------------------------------------------------ forward
    def _call_forward(self, args, check=False, step=False):
        copies = [np.array(a, copy=True) for a in args]
        if step:  # complex step: NumPy's var, abs, norm, ... as holomorphic extensions
            copies = [step_view(c) for c in copies]
        self.n_forward += 1
        try:
            out = self._forward(*copies)
        except Exception as exc:  # the user's code is what is checked: report, never crash
            raise UserCodeError(_describe_exc("forward(*inputs)", exc)) from None
        if check:
            for name, a, c in zip(self.names, args, copies):
                if a.shape == c.shape and not np.array_equal(a, c):
                    self.mutated.add(name)
        return out

    def _flatten(self, out):
        if isinstance(out, (tuple, list)):
            parts = [np.asarray(o) for o in out]
            shapes = [p.shape for p in parts]
            spec = "tuple"
        else:
            parts = [np.asarray(out)]
            shapes = [parts[0].shape]
            spec = "array"
        if self.spec is None:
            self.spec, self.shapes = spec, shapes
        elif (spec, shapes) != (self.spec, self.shapes):
            raise UserCodeError(f"forward returned outputs of shapes {shapes}, but "
                                f"{self.shapes} at the first call")
        for p in parts:
            if p.dtype == object or p.dtype.kind not in "biufc":
                raise UserCodeError(f"forward returned an output of dtype {p.dtype}")
        if len(parts) == 1:
            return parts[0].reshape(-1)
        return np.concatenate([p.reshape(-1) for p in parts])

    def forward(self, args, check=False):
        """``forward(*copies of args)`` as one flat vector (real or complex)."""
        return self._flatten(self._call_forward(args, check=check))

    def forward_complex(self, args):
        """Forward at complex inputs, handed over as :class:`~numeric.gradcheck._holo.StepArray`
        (NumPy's ``var``, ``abs``, ``norm``... as holomorphic extensions);
        :class:`ComplexUnsafe` when it cannot be done."""
        if self._guarded:
            out = self._forward_complex(args)
        else:
            with self.complex_calls():
                out = self._forward_complex(args)
        if not np.iscomplexobj(out):
            raise ComplexUnsafe(f"forward returned {out.dtype} for a complex input")
        return out

    def _forward_complex(self, args):
        try:
            if self.holomorphic is None:  # first call: does the subclass matter?
                before = _holo.hits()
                out = self._flatten(self._call_forward(args, step=True))
                self.holomorphic = _holo.hits() > before
                return out
            return self._flatten(self._call_forward(args, step=self.holomorphic))
        except UserCodeError as exc:
            raise ComplexUnsafe(str(exc).replace("forward(*inputs) raised",
                                                 "forward raised")) from None
        except np.exceptions.ComplexWarning as exc:
            raise ComplexUnsafe(f"forward drops the imaginary part ({exc})") from None

    @contextlib.contextmanager
    def complex_calls(self):
        """NumPy's ComplexWarning (an imaginary part cast away) raised as an error, for a
        run of complex calls (a complex-step sweep) under one filter, not one a call."""
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            self._guarded = True
            try:
                yield
            finally:
                self._guarded = False

    # ------------------------------------------------------------ cotangents
    def split(self, v):
        """A flat cotangent as ``grad_output``: an array, or a tuple for tuple outputs."""
        if self.spec == "array":
            return v.reshape(self.shapes[0]).copy()
        parts, start = [], 0
        for s in self.shapes:
            n = int(np.prod(s, dtype=int))
            parts.append(v[start:start + n].reshape(s).copy())
            start += n
        return tuple(parts)

    def backward(self, v, args=None):
        """``backward(grad_output, *copies)``; raises :class:`UserCodeError` when it raises."""
        args = self.inputs if args is None else args
        gout = self.split(np.asarray(v, dtype=np.float64))
        copies = [np.array(a, copy=True) for a in args]
        self.n_backward += 1
        # what backward changes in place is recorded on the first calls (v, v, 2v, -v);
        # every call gets fresh copies all the same
        watch = self.n_backward <= _WATCHED_CALLS
        if watch:
            given = [np.array(g, copy=True)
                     for g in (gout if isinstance(gout, tuple) else (gout,))]
        try:
            grads = self._backward(gout, *copies)
        except Exception as exc:
            raise UserCodeError(_describe_exc("backward(grad_output, *inputs)", exc)) from None
        if watch:
            now = gout if isinstance(gout, tuple) else (gout,)
            if any(not np.array_equal(a, b) for a, b in zip(given, now)):
                self.mutated_grad = True
            for name, a, c in zip(self.names, args, copies):
                if not np.array_equal(a, c):
                    self.mutated.add(name)
        return grads


class Progress:
    """Progress on stderr for checks that run longer than ``after`` seconds.

    ``enabled``: ``None`` (auto: only after ``after`` seconds), ``True`` (from the start),
    ``False`` (never), or a callable ``f(message)`` that receives each line.
    """

    def __init__(self, enabled=None, after=2.0):
        self.enabled, self.after = enabled, after
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, message):
        if self.enabled is False:
            return
        now = time.monotonic() - self.start
        if self.enabled is None and now < self.after:
            return
        if now - self.last < 1.0 and self.last:
            return
        self.last = now
        line = f"gradcheck: {message} ({now:.1f} s)"
        if callable(self.enabled) and self.enabled is not True:
            self.enabled(line)
        else:
            import sys

            print(line, file=sys.stderr, flush=True)
