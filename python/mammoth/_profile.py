"""Memory profiling where the work happens: memit, memscope, footprint."""

import sys

import numpy as np

from . import _mammoth


def memit(fn, repeat=1, timeout=0.0, interval=0.1, include_children=False, quiet=False, file=None):
    """Runs fn() `repeat` times and reports the exact peak (VmHWM, so a spike between samples
    is still caught), the increment and its anon/file split, as %memit does.
    Returns a MemitResult (peak and increment in bytes)."""
    result = _mammoth._memit(fn, int(repeat), float(timeout or 0), float(interval), bool(include_children))
    if not quiet:
        print(result, file=file or sys.stdout)
    return result


class memscope:
    """`with mm.memscope("fill") as m:` measures the block; m.run is the MemitRun after it
    ("fill: peak memory: …, increment: … (anon +…, file +…)" is printed unless quiet)."""

    def __init__(self, label=None, quiet=False, interval=0.1, include_children=False, file=None):
        self.label, self.quiet, self.file = label, quiet, file
        self.interval, self.include_children = interval, include_children
        self.run = None

    def __enter__(self):
        self._measurement = _mammoth.Measurement(self.interval, self.include_children)
        return self

    def __exit__(self, *exc):
        self.run = self._measurement.finish()
        del self._measurement
        if not self.quiet:
            prefix = f"{self.label}: " if self.label else ""
            print(prefix + str(self.run), file=self.file or sys.stdout)
        return False

    def __getattr__(self, name):
        run = self.__dict__.get("run")
        if run is None:
            raise AttributeError(name)
        return getattr(run, name)


def _sparse_members(obj):
    names = {"csr": ("data", "indices", "indptr"), "csc": ("data", "indices", "indptr"),
             "bsr": ("data", "indices", "indptr"), "coo": ("data", "row", "col"),
             "dia": ("data", "offsets")}
    fmt = getattr(obj, "format", None)
    if fmt in names:
        return [getattr(obj, n) for n in names[fmt]]
    if fmt == "lil":
        return [obj.rows, obj.data] + list(obj.rows) + list(obj.data)
    return None


def _add(counter, obj, seen):
    if isinstance(obj, _mammoth.Array):
        counter.add_array(obj)
        return
    if isinstance(obj, _mammoth.MappedBuffer):
        counter.add_buffer(obj)
        return
    members = _sparse_members(obj) if hasattr(obj, "format") and hasattr(obj, "nnz") else None
    if members is not None:
        for m in members:
            _add(counter, m, seen)
        return
    if getattr(obj, "format", None) == "dok":
        counter.add_heap(sys.getsizeof(obj) + obj.nnz * 2 * sys.getsizeof(0), obj.nnz * obj.dtype.itemsize)
        return
    if isinstance(obj, (list, tuple)):
        for o in obj:
            _add(counter, o, seen)
        return
    a = obj if isinstance(obj, np.ndarray) else np.asarray(obj)
    owner = a
    while isinstance(owner, np.ndarray) and owner.base is not None:
        owner = owner.base
    if isinstance(owner, memoryview) and isinstance(owner.obj, _mammoth.MappedBuffer):
        counter.add_buffer(owner.obj)
        return
    if isinstance(owner, _mammoth.MappedBuffer):
        counter.add_buffer(owner)
        return
    if id(owner) in seen:
        counter.add_heap(0, a.nbytes)
        return
    seen[id(owner)] = owner
    held = owner.nbytes if isinstance(owner, np.ndarray) else memoryview(owner).nbytes if _buffer(owner) else a.nbytes
    counter.add_heap(held, a.nbytes)


def _buffer(obj):
    try:
        memoryview(obj)
        return True
    except TypeError:
        return False


def footprint(*objs):
    """The bytes numpy arrays, mammoth arrays and scipy sparse matrices hold (their data,
    index and pointer buffers), each buffer counted once; mapped files count what is
    resident. str() gives "… held (heap …; mapped …, resident …)"."""
    counter = _mammoth.FootprintCounter()
    seen = {}
    for obj in objs:
        _add(counter, obj, seen)
    return counter.total()
