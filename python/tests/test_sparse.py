"""mm.sparse.spmv on scipy matrices: scipy's answers, without copying the matrix."""

import numpy as np
import pytest
import scipy.sparse as sp

import mammoth as mm


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_spmv_matches_scipy(fmt, dtype):
    S = sp.random(500, 300, density=0.05, format=fmt, dtype=np.float64, random_state=1).astype(dtype)
    x = np.random.default_rng(2).random(300).astype(dtype)
    y = mm.sparse.spmv(S, x)
    assert y.dtype == dtype and np.allclose(y, S @ x, rtol=1e-5)


def test_spmv_int64_indices():
    S = sp.random(100, 80, density=0.1, format="csr", random_state=3)
    S.indptr, S.indices = S.indptr.astype(np.int64), S.indices.astype(np.int64)
    assert np.allclose(mm.sparse.spmv(S, np.ones(80)), S @ np.ones(80))


def test_spmv_checks_the_vector():
    S = sp.random(10, 8, density=0.5, format="csr", random_state=4)
    with pytest.raises(mm.ShapeError, match="x needs 8"):
        mm.sparse.spmv(S, np.ones(7))
