"""Out-of-core operations: the matrix on disk is streamed under a memory budget by the
library's one engine, with the GIL released; Ctrl-C raises KeyboardInterrupt and leaves
no partial output; long runs show a progress line that updates in place."""

import sys
import time
import types

import numpy as np

from . import _mammoth

#: Module-wide defaults: progress display on long work, and after how many seconds it appears.
config = types.SimpleNamespace(progress=True, progress_after=1.0, budget="64MiB")


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
        n /= 1024


class TextProgress:
    """A one-line progress display on sys.stderr, redrawn in place with "\\r" (which
    Jupyter's stream output and terminals honour); silent for runs shorter than `after` s."""

    def __init__(self, stream=None, after=None):
        self.stream = stream
        self.after = config.progress_after if after is None else after
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, label, done, total, final):
        elapsed = time.monotonic() - self.start
        if not self.shown and (final or elapsed < self.after):
            return
        self.shown = True
        fraction = done / total if total else 1.0
        bar = "#" * int(fraction * 30)
        rate = done / elapsed if elapsed > 0 else 0.0
        tail = f"{elapsed:.2f} s" if final else (
            f"ETA {(total - done) / rate:.0f} s" if rate > 0 else "")
        stream = self.stream or sys.stderr
        stream.write(f"\r{label} [{bar:.<30}] {fraction:4.0%} {_fmt_bytes(rate)}/s {tail}   "
                     + ("\n" if final else ""))
        stream.flush()


def _progress(progress):
    if progress is False or (progress is None and not config.progress):
        return None
    if progress is None or progress is True:
        return TextProgress()
    return progress


def _budget(budget):
    return config.budget if budget is None else budget


def _vector(x):
    if isinstance(x, (_mammoth.Array, str)) or hasattr(x, "__fspath__"):
        return x
    return np.asarray(x)


def _into(result, out):
    """numpy's out=: an ndarray is filled in place; a path (str) was written by the library."""
    if out is None or isinstance(out, str) or hasattr(out, "__fspath__"):
        return result
    out[...] = result
    return out


def _out_spec(out):
    if out is None or isinstance(out, np.ndarray):
        return None
    return str(out) if isinstance(out, str) else __import__("os").fspath(out)


def matvec(A, x, out=None, budget=None, threads=0, progress=None):
    """y = A·x with A (m×n) on disk ("A.npy", "f.h5:/A", or an opened mm.Array) streamed once
    in blocks under `budget`; x a numpy array (or a vector on disk). Accumulates in float64
    (complex128). out: None (return a numpy array), a numpy array, or a path to write y to."""
    spec = _out_spec(out)
    y = _mammoth._matvec(A, _vector(x), spec, False, _budget(budget), int(threads), _progress(progress))
    return _into(y, out) if spec is None else None


def rmatvec(A, y, out=None, budget=None, threads=0, progress=None):
    """x = Aᵀ·y, reading A in the same row order as matvec (no transpose on disk)."""
    spec = _out_spec(out)
    x = _mammoth._matvec(A, _vector(y), spec, True, _budget(budget), int(threads), _progress(progress))
    return _into(x, out) if spec is None else None


def matmul(A, B, out=None, budget=None, threads=0, progress=None):
    """C = A·B with A on disk. B in memory (numpy) → C returned in memory; B on disk and
    `out` a path → C written tile by tile, nothing held whole."""
    spec = _out_spec(out)
    c = _mammoth._matmul(A, _vector(B), spec, _budget(budget), int(threads), _progress(progress))
    return _into(c, out) if spec is None else None


def reduce(A, op="sum", axis=None, budget=None, threads=0, progress=None):
    """sum, mean, min, max or norm of A on disk along axis 0, 1 or all (None), streaming it
    once; results as numpy's with float64 accumulation. A 0-d result is a numpy scalar."""
    if axis is not None:
        axis = int(axis)
    r = _mammoth._reduce(A, op, axis, _budget(budget), int(threads), _progress(progress))
    return r[()] if r.ndim == 0 else r
