"""mm.sparse: scipy.sparse matrices on mammoth's sparse file layer and kernels.

    S = mm.sparse.load("S.npz")                 # also "S.mtx", "f.h5:/X" (anndata / h5sparse groups)
    mm.sparse.save("S.h5:/X", S)                # written from scipy's own arrays, atomically
    R = mm.sparse.random(1000, 100000, 0.1, format="csr", seed=1)
    y = mm.sparse.spmv("S.npz", x, budget="64MiB")   # streamed from disk, GIL released
    y = mm.sparse.spmv(S, x)                          # scipy's arrays, parallel kernel

No index or value array is copied where scipy's layout is the file's: the arrays scipy gets
from load/random are the buffers the library filled (their numpy base holds them), and save
writes from the arrays scipy holds. lil and dok have no array layout; they go through
scipy's tocsr()/tocoo() (see save) and asformat() (load/random with format=).
"""

import os

import numpy as np
import scipy.sparse as sp

from . import _mammoth
from ._arrays import open as _open
from .errors import DTypeError, Error
from ._ooc import _budget, _progress, _vector

__all__ = ["info", "load", "random", "save", "spmv"]

FORMATS = ("csr", "csc", "coo", "bsr", "dia", "lil", "dok")
_KERNEL_TYPES = (np.float32, np.float64, np.complex64, np.complex128)
# What each kind of file holds natively; other formats are converted by scipy first.
_NATIVE = {"npz": ("csr", "csc", "coo", "bsr", "dia"), "mtx": ("csr", "csc", "coo"), "h5": ("csr", "csc")}
_FALLBACK = {"npz": "csr", "mtx": "coo", "h5": "csr"}


def _spec(path):
    return path if isinstance(path, str) else os.fspath(path)


def _is_path(obj):
    return isinstance(obj, str) or hasattr(obj, "__fspath__")


def _kind(spec):
    """Which sparse file a spec names, as the library's path registry decides."""
    return {"hdf5": "h5", "mtx": "mtx"}.get(_mammoth._spec_format(spec), "npz")


def _native(a, dtype=None):
    a = np.asarray(a, dtype=dtype)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return np.ascontiguousarray(a)


def _to_scipy(fmt, shape, m):
    """A scipy matrix over the given arrays; scipy's constructors keep them (the dtypes are
    already the ones they would choose, so nothing is cast or copied)."""
    if fmt == "csr":
        return sp.csr_matrix((m["data"], m["indices"], m["indptr"]), shape=shape)
    if fmt == "csc":
        return sp.csc_matrix((m["data"], m["indices"], m["indptr"]), shape=shape)
    if fmt == "coo":
        return sp.coo_matrix((m["data"], (m["row"], m["col"])), shape=shape)
    if fmt == "bsr":
        return sp.bsr_matrix((m["data"], m["indices"], m["indptr"]), shape=shape)
    if fmt == "dia":
        return sp.dia_matrix((m["data"], m["offsets"]), shape=shape)
    raise Error(f"no array layout for {fmt} matrices")


def _members(S):
    """scipy's own arrays of S under the file's member names (native, contiguous: as they are)."""
    if S.format in ("csr", "csc", "bsr"):
        return {"indices": _native(S.indices), "indptr": _native(S.indptr), "data": _native(S.data)}
    if S.format == "coo":
        return {"row": _native(S.row), "col": _native(S.col), "data": _native(S.data)}
    if S.format == "dia":
        return {"offsets": _native(S.offsets), "data": _native(S.data)}
    raise Error(f"no array layout for {S.format} matrices")


def _asformat(S, format):
    if format is None or format == S.format:
        return S
    if format not in FORMATS:
        raise Error(f"unknown sparse format '{format}'; expected one of {', '.join(FORMATS)}")
    return S.asformat(format)


def info(path):
    """What a sparse file holds, from its headers only (as `mammoth info`): kind, format,
    shape, nnz, dtype (as stored), index_dtype (as loaded), detail."""
    return _mammoth._sparse_info(_spec(path))


def load(path, format=None):
    """The sparse matrix in `path` as a scipy.sparse matrix of the format stored: a scipy
    .npz (csr, csc, coo, bsr, dia, as scipy.sparse.load_npz), a Matrix Market file (coo, as
    scipy.io.mmread; an 'array' file gives its nonzeros) or an HDF5 group "f.h5:/X" (csr or
    csc; anndata's and h5sparse's layouts). dtypes are the ones scipy gives: values as
    stored, indices int32 while they fit. The arrays are the buffers mammoth read into, not
    copies. `format=` converts the result with scipy's asformat (lil, dok ...)."""
    fmt, shape, members = _mammoth._sparse_load(_spec(path))
    return _asformat(_to_scipy(fmt, shape, members), format)


def save(path, S, compressed=True, format=None, chunks=None, compression=None, compression_opts=None,
         shuffle=False):
    """Writes the scipy.sparse matrix S to `path` from scipy's own arrays (no copy), through
    mammoth's output commit: the file (or HDF5 group) appears complete or not at all.

    - FILE.npz: as scipy.sparse.save_npz (compressed=True deflates, as savez_compressed);
      csr, csc, coo, bsr and dia as they are; lil and dok as csr (scipy's tocsr()).
    - FILE.mtx: coordinate/general text, as scipy.io.mmwrite reads it; csr, csc and coo as
      they are, other formats through tocoo(); bool and unsigned values as integers.
    - FILE.h5:/group: anndata's csr_matrix/csc_matrix layout; other formats as csr. h5py's
      words: chunks (an int: the datasets' chunk length), compression="gzip" with
      compression_opts (level, default 4), shuffle.
    `format=` converts with scipy's asformat first."""
    spec = _spec(path)
    if not sp.issparse(S):
        raise DTypeError(f"{spec}: save needs a scipy.sparse matrix, not {type(S).__name__}")
    S = _asformat(S, format)
    kind = _kind(spec)
    if S.format not in _NATIVE[kind]:
        S = S.asformat(_FALLBACK[kind])
    if compression not in (None, "gzip"):
        raise Error(f"{spec}: compression '{compression}'; sparse groups take 'gzip'")
    level = -1 if compression is None else (4 if compression_opts is None else int(compression_opts))
    chunk_shape = [] if chunks is None else [int(np.prod(chunks))]
    rows, cols = S.shape
    _mammoth._sparse_save(spec, S.format, rows, cols, _members(S), bool(compressed), chunk_shape, level,
                          bool(shuffle))


def random(m, n, density=0.01, format="coo", dtype=None, seed=None, blocksize=None):
    """scipy.sparse.random's call on mammoth's generator: exactly round(density·m·n) distinct
    positions, uniform; values uniform in [0, 1) (floats, each part of a complex), the full
    range (integers) or True (bool). The same matrix as `mammoth random S.npz --shape m,n
    --density d --seed s --format f`. seed=None draws a fresh seed. The arrays are the
    generator's buffers (lil/dok: converted by scipy from csr). bsr blocks are `blocksize`
    (default (1, 1))."""
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    if format not in FORMATS:
        raise Error(f"random: unknown sparse format '{format}'; expected one of {', '.join(FORMATS)}")
    R, C = (1, 1) if blocksize is None else blocksize
    made = format if format in _NATIVE["npz"] else "csr"
    fmt, shape, members = _mammoth._sparse_random(int(m), int(n), float(density), made, dtype, int(seed), int(R),
                                                  int(C))
    return _asformat(_to_scipy(fmt, shape, members), format)


def spmv(S, x, budget=None, threads=0, progress=None, transpose=False, out=None):
    """y = S·x (transpose=True: Sᵀ·x).

    S a scipy.sparse matrix: the library's parallel CSR/CSC kernels on scipy's own arrays
    (other formats through tocsr()), GIL released; y has S's dtype (float32/64, complex64/128;
    others as float64).

    S a path ("S.npz", "f.h5:/X") holding csr or csc: streamed from disk by the out-of-core
    engine under `budget` (x, y, indptr and the blocks of indices and data), as `mammoth spmv
    --budget`; GIL released, Ctrl-C raises KeyboardInterrupt, a progress line on long runs
    (progress= as mm.matvec's). y is float64 (complex128); out= a path ("y.npy") writes it
    there through the output commit instead (nothing appears if the run fails or is
    interrupted). Other files (.mtx, coo/bsr/dia .npz) are loaded and multiplied in memory."""
    if _is_path(S):
        spec = _spec(S)
        held = info(spec)
        if held["kind"] in ("npz", "h5") and held["format"] in ("csr", "csc"):
            target = None if out is None else _spec(out)
            return _mammoth._sparse_spmv_file(spec, _vector(x), target, bool(transpose), _budget(budget),
                                              int(threads), _progress(progress))
        S = load(spec)
        x = np.asarray(_open(x)) if _is_path(x) else np.asarray(x)
        y = spmv(S.T if transpose else S, x)
        y = y.astype(np.result_type(y.dtype, np.float64), copy=False)
        if out is None:
            return y
        _mammoth._write_result(_spec(out), y)
        return None
    if transpose:
        S = S.T
    if S.format not in ("csr", "csc"):
        S = S.tocsr()
    dtype = S.dtype if S.dtype.type in _KERNEL_TYPES else np.dtype(np.float64)
    data = _native(S.data, dtype)
    index = np.int64 if S.indptr.dtype == np.int64 or S.indices.dtype == np.int64 else np.int32
    rows, cols = S.shape
    return _mammoth._spmv(S.format, rows, cols, _native(S.indptr, index), _native(S.indices, index), data,
                          _native(x, dtype))
