"""mm.sparse: scipy's answers, scipy's files and dtypes, and scipy's own buffers.

- spmv on scipy matrices, and streamed from disk (GIL released, Ctrl-C, progress, out=);
- load/save of .npz, .mtx and HDF5 groups, read and written by scipy/h5py the same way;
- round trips of all seven formats; the arrays scipy gets are the library's buffers
  (their base is a mm.MappedBuffer) and save writes from scipy's arrays in place;
- random is the CLI's `mammoth random` matrix.
"""

import os
import signal
import subprocess
import threading
import time

import h5py
import numpy as np
import pytest
import scipy.io as sio
import scipy.sparse as sp

import mammoth as mm
from conftest import cli, ticks_while

FORMATS = ["csr", "csc", "coo", "bsr", "dia", "lil", "dok"]
LAYOUT = ["csr", "csc", "coo", "bsr", "dia"]  # formats whose arrays are the file's members


def arrays_of(S):
    """scipy's arrays of S, by member name."""
    names = {"csr": ("data", "indices", "indptr"), "csc": ("data", "indices", "indptr"),
             "bsr": ("data", "indices", "indptr"), "coo": ("data", "row", "col"), "dia": ("data", "offsets")}
    return {n: getattr(S, n) for n in names[S.format]}


def owner(a):
    """What finally owns an array's memory: the end of its .base chain."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a.obj if isinstance(a, memoryview) else a


def assert_library_buffers(S):
    for name, a in arrays_of(S).items():
        assert isinstance(owner(a), mm.MappedBuffer), f"{S.format}.{name} is not mammoth's buffer"


def same(A, B):
    assert A.shape == B.shape and A.dtype == B.dtype, (A.shape, B.shape, A.dtype, B.dtype)
    assert (A != B).nnz == 0


def example(fmt, dtype=np.float64, shape=(60, 48), density=0.1, seed=1):
    S = sp.random(*shape, density=density, format="csr", random_state=seed).astype(dtype)
    return S.asformat(fmt) if fmt != "bsr" else S.tobsr(blocksize=(3, 4))


# ---- spmv on scipy matrices ----

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


# ---- load: scipy's files and dtypes, the library's buffers ----

@pytest.mark.parametrize("fmt", LAYOUT)
@pytest.mark.parametrize("compressed", [True, False])
def test_load_reads_scipy_npz_as_load_npz(tmp_path, fmt, compressed):
    S = example(fmt)
    sp.save_npz(tmp_path / "S.npz", S, compressed=compressed)
    T, ref = mm.sparse.load(tmp_path / "S.npz"), sp.load_npz(tmp_path / "S.npz")
    assert T.format == ref.format == fmt
    same(T, ref)
    for name, a in arrays_of(T).items():
        assert a.dtype == arrays_of(ref)[name].dtype and np.array_equal(a, arrays_of(ref)[name]), name
    assert_library_buffers(T)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint16, np.int64, np.float32, np.complex64, ">f8"])
def test_load_keeps_the_value_dtype(tmp_path, dtype):
    S = example("csr", np.float64)
    S.data = (S.data * 100).astype(dtype)
    sp.save_npz(tmp_path / "S.npz", S)
    T, ref = mm.sparse.load(tmp_path / "S.npz"), sp.load_npz(tmp_path / "S.npz")
    assert T.dtype == ref.dtype and T.dtype.isnative
    same(T, ref)


@pytest.mark.parametrize("fmt", ["csr", "coo", "dia", "bsr"])
def test_int64_indices_that_fit_load_as_int32_as_scipy_does(tmp_path, fmt):
    S = example(fmt)
    wide = {n: (a.astype(np.int64) if n != "data" else a) for n, a in arrays_of(S).items()}
    np.savez(tmp_path / "S.npz", format=np.array(fmt.encode()), shape=np.array(S.shape), **wide)
    T, ref = mm.sparse.load(tmp_path / "S.npz"), sp.load_npz(tmp_path / "S.npz")
    for name, a in arrays_of(T).items():
        assert a.dtype == arrays_of(ref)[name].dtype, name
    assert T.format == fmt and arrays_of(T)[{"dia": "offsets", "coo": "row"}.get(fmt, "indices")].dtype == np.int32
    same(T, ref)
    assert_library_buffers(T)


def test_load_reads_matrix_market_as_mmread(tmp_path):
    for field, dtype in [("real", np.float64), ("integer", np.int64), ("complex", np.complex128)]:
        S = example("coo", np.float64)
        S.data = (S.data * 1000).astype(dtype) + (1j * S.data if field == "complex" else 0)
        sio.mmwrite(tmp_path / "S.mtx", S, field=field)
        T, ref = mm.sparse.load(tmp_path / "S.mtx"), sio.mmread(tmp_path / "S.mtx")
        assert T.format == "coo" and T.dtype == ref.dtype == dtype and T.row.dtype == ref.row.dtype
        same(T.tocsr(), ref.tocsr())
        assert_library_buffers(T)
    sym = sp.random(30, 30, density=0.1, random_state=5)
    sio.mmwrite(tmp_path / "sym.mtx", sym + sym.T)  # written as symmetric: one triangle
    same(mm.sparse.load(tmp_path / "sym.mtx").tocsr(), sio.mmread(tmp_path / "sym.mtx").tocsr())
    dense = np.array([[0, 1.5], [2.5, 0]])
    sio.mmwrite(tmp_path / "dense.mtx", dense)  # an 'array' file: its nonzeros
    assert np.array_equal(mm.sparse.load(tmp_path / "dense.mtx").toarray(), dense)


def test_load_reads_anndata_and_h5sparse_groups(tmp_path):
    S = example("csr", np.float32)
    with h5py.File(tmp_path / "f.h5ad", "w") as f:
        g = f.create_group("X")
        g.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0", "shape": S.shape})
        g["data"], g["indices"], g["indptr"] = S.data, S.indices.astype(np.int64), S.indptr.astype(np.int64)
        h = f.create_group("old")
        h.attrs.update({"h5sparse_format": "csc", "h5sparse_shape": S.shape})
        C = S.tocsc()
        h["data"], h["indices"], h["indptr"] = C.data, C.indices, C.indptr
    T = mm.sparse.load(f"{tmp_path}/f.h5ad:/X")
    assert T.format == "csr" and T.dtype == np.float32 and T.indices.dtype == np.int32
    same(T, S)
    assert_library_buffers(T)
    U = mm.sparse.load(f"{tmp_path}/f.h5ad:/old")
    assert U.format == "csc"
    same(U, C)


def test_load_format_converts_with_scipy(tmp_path):
    S = example("csr")
    sp.save_npz(tmp_path / "S.npz", S)
    for fmt in FORMATS:
        T = mm.sparse.load(tmp_path / "S.npz", format=fmt)
        assert T.format == fmt and (T != S).nnz == 0


# ---- save: read back by scipy and h5py, written from scipy's own arrays ----

@pytest.mark.parametrize("fmt", LAYOUT)
@pytest.mark.parametrize("compressed", [True, False])
def test_save_npz_is_what_save_npz_writes(tmp_path, fmt, compressed):
    S = example(fmt, np.float32)
    mm.sparse.save(tmp_path / "S.npz", S, compressed=compressed)
    sp.save_npz(tmp_path / "ref.npz", S, compressed=compressed)
    T = sp.load_npz(tmp_path / "S.npz")
    assert T.format == fmt
    same(T, S)
    with np.load(tmp_path / "S.npz") as ours, np.load(tmp_path / "ref.npz") as theirs:
        assert sorted(ours.files) == sorted(theirs.files)
        for name in theirs.files:
            assert ours[name].dtype == theirs[name].dtype and np.array_equal(ours[name], theirs[name]), name
    import zipfile
    kinds = {i.compress_type for i in zipfile.ZipFile(tmp_path / "S.npz").infolist()}
    assert kinds == {zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED}


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "bsr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.complex128, np.bool_])
def test_save_mtx_is_read_by_mmread(tmp_path, fmt, dtype):
    S = example(fmt, np.float64)
    S.data = (S.data * 50).astype(dtype) if dtype != np.complex128 else S.data * (1 + 2j)
    mm.sparse.save(tmp_path / "S.mtx", S)
    T = sio.mmread(tmp_path / "S.mtx")
    assert T.shape == S.shape and T.format == "coo"
    assert np.array_equal(T.toarray(), S.toarray().astype(T.dtype))
    expected = {np.float32: np.float64, np.int32: np.int64, np.bool_: np.int64}.get(dtype, dtype)
    assert T.dtype == expected and mm.sparse.load(tmp_path / "S.mtx").dtype == expected


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_save_group_is_anndata_for_h5py(tmp_path, fmt):
    S = example(fmt, np.float32)
    mm.sparse.save(f"{tmp_path}/f.h5:/X", S, chunks=64, compression="gzip", shuffle=True)
    with h5py.File(tmp_path / "f.h5") as f:
        g = f["X"]
        assert g.attrs["encoding-type"] == f"{fmt}_matrix" and g.attrs["encoding-version"] == "0.1.0"
        assert tuple(g.attrs["shape"]) == S.shape
        assert g["data"].compression == "gzip" and g["data"].chunks == (64,) and g["data"].shuffle
        cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
        T = cls((g["data"][:], g["indices"][:], g["indptr"][:]), shape=tuple(g.attrs["shape"]))
    same(T, S)
    # Beside other objects: the file keeps them, and saving again replaces the group whole.
    with h5py.File(tmp_path / "f.h5", "a") as f:
        f["other"] = np.arange(3)
    mm.sparse.save(f"{tmp_path}/f.h5:/X", S[:10])
    with h5py.File(tmp_path / "f.h5") as f:
        assert list(f["other"][:]) == [0, 1, 2] and tuple(f["X"].attrs["shape"]) == (10, S.shape[1])
        assert sorted(f.keys()) == ["X", "other"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("where", ["S.npz", "S.mtx", "f.h5:/S"])
def test_round_trip_of_every_format(tmp_path, fmt, where):
    S = example(fmt, np.float64, shape=(60, 48))
    mm.sparse.save(f"{tmp_path}/{where}", S)
    T = mm.sparse.load(f"{tmp_path}/{where}", format=fmt)
    assert T.format == fmt
    same(T.tocsr(), S.tocsr())


@pytest.mark.parametrize("fmt", LAYOUT)
def test_round_trip_keeps_the_format_and_shares_buffers(tmp_path, fmt):
    S = example(fmt)
    handed = mm.sparse._members(S)  # what save hands to the library: scipy's arrays themselves
    for name, a in arrays_of(S).items():
        assert np.shares_memory(handed[name], a), name
    mm.sparse.save(tmp_path / "S.npz", S)
    T = mm.sparse.load(tmp_path / "S.npz")
    assert T.format == fmt
    same(T, S)
    for name, a in arrays_of(T).items():
        assert np.array_equal(a, arrays_of(S)[name]), name
    assert_library_buffers(T)


def test_lil_and_dok_are_saved_as_csr(tmp_path):
    for fmt in ("lil", "dok"):
        S = example(fmt)
        mm.sparse.save(tmp_path / "S.npz", S)
        T = sp.load_npz(tmp_path / "S.npz")
        assert T.format == "csr"
        same(T, S.tocsr())


def test_save_does_not_copy_the_matrix(tmp_path):
    S = mm.sparse.random(2000, 100000, 0.05, format="csr", seed=2)  # 10M entries, 114 MiB
    nbytes = S.data.nbytes + S.indices.nbytes + S.indptr.nbytes
    run = mm.memit(lambda: mm.sparse.save(tmp_path / "S.npz", S, compressed=False))
    assert run.increment < 0.25 * nbytes, (run.increment, nbytes)
    same(sp.load_npz(tmp_path / "S.npz"), S)
    run = mm.memit(lambda: mm.sparse.save(f"{tmp_path}/f.h5:/S", S))
    assert run.increment < 0.25 * nbytes, (run.increment, nbytes)


def test_load_holds_the_matrix_once(tmp_path):
    S = mm.sparse.random(2000, 100000, 0.05, format="csr", seed=2)
    nbytes = S.data.nbytes + S.indices.nbytes + S.indptr.nbytes
    sp.save_npz(tmp_path / "S.npz", S, compressed=False)
    del S
    kept = []
    run = mm.memit(lambda: kept.append(mm.sparse.load(tmp_path / "S.npz")))
    assert run.increment < 1.25 * nbytes, (run.increment, nbytes)


def test_save_is_atomic(tmp_path):
    S = example("csr")
    mm.sparse.save(tmp_path / "S.mtx", S)
    before = (tmp_path / "S.mtx").read_bytes()
    bad = S.astype(np.uint64)  # Matrix Market integers are signed: fails while writing
    with pytest.raises(mm.DTypeError, match="uint64"):
        mm.sparse.save(tmp_path / "S.mtx", bad)
    assert (tmp_path / "S.mtx").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["S.mtx"]


# ---- random: the CLI's matrix, the generator's buffers ----

@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "dia"])
def test_random_is_the_cli_random(tmp_path, fmt):
    subprocess.run([cli(), "random", str(tmp_path / "R.npz"), "--shape", "300,200", "--density", "0.05", "--seed",
                    "7", "--format", fmt, "-q"], check=True)
    S = mm.sparse.random(300, 200, 0.05, format=fmt, seed=7)
    assert_library_buffers(S)
    ref = sp.load_npz(tmp_path / "R.npz")
    for name, a in arrays_of(S).items():
        assert a.dtype == arrays_of(ref)[name].dtype and np.array_equal(a, arrays_of(ref)[name]), name
    assert S.format == ref.format == fmt and S.count_nonzero() == ref.count_nonzero() == 3000


def test_random_formats_dtypes_and_seeds():
    for fmt in FORMATS:
        S = mm.sparse.random(40, 30, 0.2, format=fmt, seed=1)
        assert S.format == fmt and S.shape == (40, 30) and S.count_nonzero() == 240
    B = mm.sparse.random(40, 30, 0.2, format="bsr", blocksize=(2, 3), seed=1)
    assert B.blocksize == (2, 3)
    for dtype in (np.float32, np.int16, np.bool_, np.complex64):
        S = mm.sparse.random(40, 30, 0.2, format="csr", dtype=dtype, seed=1)
        assert S.dtype == dtype
    assert mm.sparse.random(40, 30, 0.2, format="csr", dtype=bool, seed=1).data.all()
    a, b = mm.sparse.random(40, 30, 0.2, seed=3), mm.sparse.random(40, 30, 0.2, seed=3)
    assert (a != b).nnz == 0 and (a != mm.sparse.random(40, 30, 0.2, seed=4)).nnz > 0
    vals = mm.sparse.random(100, 100, 0.5, format="csr", seed=1).data
    assert vals.min() >= 0 and vals.max() < 1


# ---- spmv of a file: streamed ----

@pytest.fixture
def stored(tmp_path):
    S = sp.random(400, 300, density=0.05, format="csr", random_state=6)
    mm.sparse.save(tmp_path / "S.npz", S, compressed=False)
    mm.sparse.save(tmp_path / "Sz.npz", S.tocsc())
    mm.sparse.save(f"{tmp_path}/f.h5:/S", S, chunks=100)
    return tmp_path, S


def test_spmv_of_a_file_matches_scipy(stored):
    tmp, S = stored
    x, y = np.random.default_rng(1).random(300), np.random.default_rng(2).random(400)
    for where in ("S.npz", "Sz.npz", "f.h5:/S"):
        budget = "4MiB" if where.startswith("f.h5") else "64KiB"  # the HDF5 chunk cache counts too
        assert np.allclose(mm.sparse.spmv(f"{tmp}/{where}", x, budget=budget), S @ x), where
        assert np.allclose(mm.sparse.spmv(f"{tmp}/{where}", y, transpose=True), S.T @ y), where
    mm.sparse.save(tmp / "S.mtx", S)  # text and coo files are loaded, then multiplied
    mm.sparse.save(tmp / "C.npz", S.tocoo())
    for where in ("S.mtx", "C.npz"):
        r = mm.sparse.spmv(tmp / where, x)
        assert r.dtype == np.float64 and np.allclose(r, S @ x)


def test_spmv_of_a_file_writes_out_and_reports_progress(stored):
    tmp, S = stored
    calls = []
    np.save(tmp / "x.npy", np.ones(300))
    assert mm.sparse.spmv(tmp / "S.npz", tmp / "x.npy", out=tmp / "y.npy", budget="64KiB",
                          progress=lambda *a: calls.append(a)) is None
    assert np.allclose(np.load(tmp / "y.npy"), S @ np.ones(300))
    assert calls and calls[-1][0] == "spmv" and calls[-1][3] and calls[-1][1] == calls[-1][2]


def test_spmv_of_a_file_checks_the_vector(stored):
    tmp, _ = stored
    with pytest.raises(mm.ShapeError):
        mm.sparse.spmv(tmp / "S.npz", np.ones(299))


@pytest.fixture(scope="module")
def long_matrix(tmp_path_factory):
    """A deflated .npz whose streamed spmv takes a while (inflating is the slow part: 6M
    entries, 0.6 s on a loaded 2-core machine; saving it takes 6 s)."""
    path = tmp_path_factory.mktemp("long") / "L.npz"
    mm.sparse.save(path, mm.sparse.random(3000, 100000, 0.02, format="csr", dtype=np.float32, seed=5))
    return path


def test_spmv_of_a_file_ctrl_c_leaves_no_output(long_matrix, tmp_path):
    sent = []

    def fire():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.05, fire)  # the product takes 0.1 s even inflating at 1 GB/s
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        mm.sparse.spmv(long_matrix, np.ones(100000), out=tmp_path / "y.npy", budget="8MiB", threads=1,
                       progress=False)
    stopped = time.monotonic()
    timer.join()
    assert stopped - sent[0] < 1.0
    assert os.listdir(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_spmv_of_a_file_releases_the_gil(long_matrix):
    took, ticks = ticks_while(lambda: mm.sparse.spmv(long_matrix, np.ones(100000), budget="8MiB", threads=1,
                                                     progress=False))
    assert took > 0.2
    assert ticks >= 0.25 * took / 0.01


# ---- errors, each of a fitting kind ----

def test_sparse_errors(tmp_path):
    with pytest.raises(mm.IoError) as e:
        mm.sparse.load(tmp_path / "missing.npz")
    assert e.value.errno == 2
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(mm.FormatError, match="plain.npz"):
        mm.sparse.load(tmp_path / "plain.npz")
    np.savez(tmp_path / "bad.npz", format=np.array(b"csr"), shape=np.array([2, 3]), data=np.ones(2),
             indices=np.array([0, 5], np.int32), indptr=np.array([0, 1, 2], np.int32))
    with pytest.raises(mm.FormatError, match=r"bad.npz: .*indices\[1\] = 5 is outside \[0, 3\)"):
        mm.sparse.load(tmp_path / "bad.npz")
    broken = sp.csr_matrix((np.ones(2), np.array([0, 7], np.int32), np.array([0, 1, 2], np.int32)), shape=(2, 3))
    with pytest.raises(mm.ShapeError, match=r"indices\[1\] = 7"):
        mm.sparse.save(tmp_path / "out.npz", broken)
    with pytest.raises(mm.DTypeError):
        mm.sparse.save(tmp_path / "out.npz", np.ones((2, 2)))
    with pytest.raises(mm.Error, match="unknown sparse format"):
        mm.sparse.random(3, 3, 0.5, format="xyz")
    with pytest.raises(mm.Error, match="density"):
        mm.sparse.random(3, 3, 1.5)
    assert not (tmp_path / "out.npz").exists()
