"""mm.sparse: mammoth's sparse kernels on scipy.sparse matrices, run on scipy's own
data/indices/indptr arrays (no copy of the matrix), in parallel, with the GIL released.
File-level sparse I/O (load/save .npz/.mtx/HDF5 groups, spmv streamed from disk) comes
with the sparse file layer's rewrite; use scipy.sparse.load_npz/save_npz meanwhile."""

import numpy as np

from . import _mammoth

_KERNEL_TYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _native(a, dtype=None):
    a = np.asarray(a, dtype=dtype)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return np.ascontiguousarray(a)


def spmv(S, x):
    """y = S·x for a scipy.sparse matrix S (CSR and CSC natively; other formats go through
    scipy's tocsr()) and a numpy vector x, computed by the library's parallel kernels.
    The result has S's dtype (float32/float64/complex64/complex128; others as float64)."""
    if S.format not in ("csr", "csc"):
        S = S.tocsr()
    dtype = S.dtype if S.dtype.type in _KERNEL_TYPES else np.dtype(np.float64)
    data = _native(S.data, dtype)
    index = np.int64 if S.indptr.dtype == np.int64 or S.indices.dtype == np.int64 else np.int32
    rows, cols = S.shape
    return _mammoth._spmv(S.format, rows, cols, _native(S.indptr, index), _native(S.indices, index), data,
                          _native(x, dtype))
