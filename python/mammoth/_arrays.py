"""Opening and creating arrays on disk with numpy's and h5py's words, and indexing them."""

import os
import operator

import numpy as np

from . import _mammoth
from ._mammoth import Array


# numpy.memmap's long spellings of its modes.
_MODES = {"readonly": "r", "copyonwrite": "c", "readwrite": "r+", "write": "w+"}


def _mode(mode):
    return _MODES.get(mode, mode)


def _spec(path):
    return os.fspath(path)


def _shape(shape):
    if shape is None:
        return []
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    return [int(n) for n in shape]


def open(spec, mode="r", dtype=None, shape=None, offset=0, order="C"):
    """Opens an existing array: "A.npy", "file.h5:/group/A", or a raw file with `dtype`
    (and `shape`, `offset`, `order` as numpy.memmap). Modes as numpy/h5py: r, r+, c, a."""
    return _mammoth._open(_spec(spec), _mode(mode), dtype, _shape(shape), int(offset), order)


def memmap(filename, dtype=np.uint8, mode="r+", offset=0, shape=None, order="C"):
    """numpy.memmap's signature: a raw file as an array. Modes r, r+, w+, c (or numpy's
    readonly, readwrite, write, copyonwrite)."""
    mode = _mode(mode)
    if mode in ("w+", "w", "x") and shape is None:
        raise ValueError("shape must be given if mode == 'w+'")
    return _mammoth._memmap(_spec(filename), dtype, mode, int(offset), _shape(shape), order)


def open_memmap(filename, mode="r+", dtype=None, shape=None, fortran_order=False, version=None):
    """numpy.lib.format.open_memmap's signature: a .npy file as an array."""
    mode = _mode(mode)
    if mode in ("w+", "w", "x"):
        if shape is None:
            raise ValueError("shape must be given if mode == 'w+'")
        dtype = np.float64 if dtype is None else dtype
    v = 0 if version is None else (version[0] if isinstance(version, tuple) else int(version))
    return _mammoth._open_memmap(_spec(filename), mode, dtype, _shape(shape), bool(fortran_order), v)


def create(spec, shape, dtype=np.float64, chunks=None, compression=None, compression_opts=None,
           shuffle=False, order="C", preallocate=True):
    """A new array on disk, as h5py's create_dataset: .npy, raw, or "file.h5:/group/A"
    (chunks, compression="gzip", compression_opts=level, shuffle for HDF5)."""
    if compression not in (None, "gzip"):
        raise ValueError(f"compression must be 'gzip' or None, not {compression!r}")
    level = -1 if compression is None else (4 if compression_opts is None else int(compression_opts))
    chunk_shape = [] if chunks in (None, False) else _shape(chunks)
    return _mammoth._create(_spec(spec), _shape(shape), dtype, chunk_shape, level, bool(shuffle), order,
                            bool(preallocate))


def random(path, shape, dtype=np.float64, seed=0, dist="uniform", low=0.0, high=1.0, mean=0.0, std=1.0,
           **create_options):
    """A seeded random array written to disk block by block (as `mammoth random`): the same
    seed gives the same array. dist: uniform [low, high), normal (mean, std), integers."""
    a = create(path, shape, dtype, **create_options)
    _mammoth._fill_random(a, dist, int(seed), float(low), float(high), float(mean), float(std))
    return a


def convert(src, dst, dtype=None, chunks=None, compression=None, compression_opts=None, shuffle=False,
            preallocate=True, budget="64MiB", progress=None):
    """Copies an array between .npy, raw and HDF5 (as `mammoth convert`): any size in bounded
    memory, converting dtype and re-chunking; `dst` appears only when complete."""
    from ._ooc import _progress
    level = -1 if compression is None else (4 if compression_opts is None else int(compression_opts))
    chunk_shape = [] if chunks in (None, False) else _shape(chunks)
    _mammoth._convert(src, _spec(dst), dtype, chunk_shape, level, bool(shuffle), bool(preallocate), budget,
                      _progress(progress))


# ---- indexing -------------------------------------------------------------------------

def _box(key, shape):
    """A basic numpy key as (offset, count, step, drop): the bounding box on disk, the
    step to apply to it in memory, and the axes an integer index removes. None when
    the key is not basic (fancy or boolean indexing)."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - len(key) + 1) + key[i + 1:]
    if len(key) > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, "
                         f"but {len(key)} were indexed")
    key = key + (slice(None),) * (len(shape) - len(key))
    offset, count, step, drop = [], [], [], []
    for axis, (k, n) in enumerate(zip(key, shape)):
        if isinstance(k, slice):
            start, stop, s = k.indices(n)
            if s < 0:
                return None
            size = len(range(start, stop, s))
            offset.append(start)
            count.append(0 if size == 0 else (size - 1) * s + 1)
            step.append(slice(None, None, s))
        else:
            try:
                i = operator.index(k)
            except TypeError:
                return None
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            offset.append(i % n)
            count.append(1)
            step.append(0)
    return offset, count, tuple(step)


def _integers(k):
    if isinstance(k, slice) or k is Ellipsis or k is None:
        return None
    a = np.asarray(k)
    return a if a.dtype.kind in "iu" and a.ndim >= 1 else None


def _fancy(self, key):
    """Rows (an integer list on axis 0, slices on the others) or points (one integer array
    per axis) of an HDF5 dataset, read by the library sorted and merged by chunk; None for
    other keys."""
    if ":/" not in self.name:
        return None
    key = key if isinstance(key, tuple) else (key,)
    rows = _integers(key[0])
    if rows is not None and rows.ndim == 1 and all(k is Ellipsis or isinstance(k, slice) for k in key[1:]):
        # Whole rows, then the slices of the other axes in memory.
        rows = np.where(rows < 0, rows + self.shape[0], rows).astype(np.int64)
        return self._read_fancy(rows.tolist(), False)[(slice(None),) + key[1:]]
    arrays = [_integers(k) for k in key]
    if len(key) == self.ndim and all(a is not None for a in arrays):
        coords = np.broadcast_arrays(*arrays)
        pts = np.stack([np.where(c < 0, c + n, c).ravel() for c, n in zip(coords, self.shape)], axis=1)
        return self._read_fancy(pts.astype(np.int64).ravel().tolist(), True).reshape(coords[0].shape)
    return None


def _getitem(self, key):
    view = self._view()
    if view is not None:
        return view[key]
    box = _box(key, self.shape)
    if box is None:
        fancy = _fancy(self, key)
        return np.asarray(self)[key] if fancy is None else fancy
    offset, count, step = box
    return self._read_box(offset, count)[step]


def _setitem(self, key, value):
    view = self._view()
    if view is not None:
        view[key] = value
        return
    box = _box(key, self.shape)
    if box is None or any(isinstance(s, slice) and s.step != 1 for s in box[2]):
        raise IndexError("writing to an unmapped array takes integers and contiguous slices only")
    offset, count, step = box
    block = np.empty(count, dtype=self.dtype)
    block[step] = value
    self._write_box(offset, block)


def _array(self, dtype=None, copy=None):
    view = self._view()
    if view is None:
        view = self._read_box([0] * self.ndim, list(self.shape))
    return view if dtype is None else view.astype(dtype, copy=False)


def _len(self):
    if self.ndim == 0:
        raise TypeError("len() of unsized object")
    return self.shape[0]


def _repr(self):
    if self.closed:
        return "<mammoth.Array (closed)>"
    return f"<mammoth.Array {self.name} shape={self.shape} dtype={self.dtype}>"


def _exit(self, *exc):
    self.close()


Array.__getitem__ = _getitem
Array.__setitem__ = _setitem
Array.__array__ = _array
Array.__len__ = _len
Array.__repr__ = _repr
Array.__enter__ = lambda self: self
Array.__exit__ = _exit
