"""Arrays: zero-copy views with a base that keeps the mapping alive, slicing that reads
just the hyperslab, numpy's memmap words, h5py interop, random and convert."""

import gc
import os

import h5py
import numpy as np
import pytest

import mammoth as mm
from conftest import maps_mentioning, run_cli, sparse_npy, status_kib


def test_npy_view_is_zero_copy(tmp_path):
    path = tmp_path / "A.npy"
    np.save(path, np.arange(20.0).reshape(4, 5))
    a = mm.open(path, mode="r+")
    v, w = np.asarray(a), np.asarray(a)
    assert np.shares_memory(v, w)
    assert isinstance(v.base.obj, mm.MappedBuffer) and v.base.obj.mapped
    v[1, 2] = -1.0
    a.flush()
    assert np.load(path)[1, 2] == -1.0


def test_read_only_mode_gives_read_only_views(tmp_path):
    np.save(tmp_path / "A.npy", np.zeros(3))
    v = np.asarray(mm.open(tmp_path / "A.npy"))
    assert not v.flags.writeable
    with pytest.raises(ValueError):
        v[0] = 1


def test_viewing_1gib_does_not_grow_rss(tmp_path):
    path = sparse_npy(tmp_path / "big.npy", (1 << 28,))
    before = status_kib("VmRSS")
    a = mm.open(path)
    v = np.asarray(a)
    assert v.nbytes == 1 << 30
    assert v[12345] == 0.0
    assert status_kib("VmRSS") - before < 16 * 1024


def test_views_outlive_the_closed_file_and_then_unmap(tmp_path):
    path = tmp_path / "A.npy"
    np.save(path, np.arange(1000.0))
    a = mm.open(path)
    v = np.asarray(a)[10:20]
    a.close()
    del a
    gc.collect()
    assert maps_mentioning(path), "the view must keep the mapping"
    assert v[0] == 10.0 and v.sum() == sum(range(10, 20))
    del v
    gc.collect()
    assert not maps_mentioning(path), "the mapping must go with the last view"


def test_closed_array_raises(tmp_path):
    np.save(tmp_path / "A.npy", np.zeros(3))
    a = mm.open(tmp_path / "A.npy")
    a.close()
    with pytest.raises(mm.Error, match="closed"):
        a.shape


def test_memmap_modes_as_numpy(tmp_path):
    path = tmp_path / "x.raw"
    m = mm.memmap(path, dtype="float32", mode="w+", shape=(4, 3))
    m[1] = 7
    m.flush()
    assert np.array_equal(np.memmap(path, dtype="float32", mode="r", shape=(4, 3))[1], [7, 7, 7])
    c = mm.memmap(path, dtype="float32", mode="copyonwrite", shape=(4, 3))
    c[1, 0] = 99  # copy-on-write: never reaches the file
    assert np.fromfile(path, dtype="float32")[3] == 7
    r = mm.memmap(path, dtype="float32", mode="r", offset=12)
    assert r.shape == (9,) and np.asarray(r)[0] == 7


def test_open_memmap_writes_a_numpy_readable_file(tmp_path):
    path = tmp_path / "B.npy"
    a = mm.open_memmap(path, mode="w+", dtype="int32", shape=(3, 2), fortran_order=True)
    np.asarray(a)[:] = [[1, 2], [3, 4], [5, 6]]
    a.close()
    b = np.load(path)
    assert b.flags.f_contiguous and b.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert mm.open_memmap(path, mode="r")[2, 1] == 6


def test_chunked_hdf5_slices_read_the_hyperslab(tmp_path):
    data = np.arange(60.0 * 70).reshape(60, 70)
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f.create_dataset("g/A", data=data, chunks=(16, 16), compression="gzip")
    a = mm.open(f"{tmp_path}/f.h5:/g/A")
    assert not a.mapped and a.chunks == (16, 16)
    assert np.array_equal(a[5:40:3, 7], data[5:40:3, 7])
    assert np.array_equal(a[..., -2], data[..., -2])
    assert np.array_equal(a[[1, 5], 3:9], data[[1, 5], 3:9])
    # Fancy keys: rows and points through the library's chunk-merged reads, in the caller's order.
    assert np.array_equal(a[[40, 3, -1, 3]], data[[40, 3, -1, 3]])
    assert np.array_equal(a[[40, 3, 17], ...], data[[40, 3, 17]])
    assert np.array_equal(a[[9, 2], 3:60:7], data[[9, 2], 3:60:7])
    assert np.array_equal(a[np.array([5, 59, 0]), np.array([69, 0, 33])], data[[5, 59, 0], [69, 0, 33]])
    assert np.array_equal(np.asarray(a), data)


def test_contiguous_hdf5_is_zero_copy_and_h5py_reads_our_writes(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f["A"] = np.arange(12, dtype="<i8").reshape(3, 4)
    r = mm.open(f"{tmp_path}/f.h5:/A")
    assert r.mapped and np.shares_memory(np.asarray(r), np.asarray(r))
    r.close()
    a = mm.open(f"{tmp_path}/f.h5:/A", mode="r+")  # a writer goes through libhdf5 (its sieve buffer)
    a[2, 3] = -5
    a.close()
    with h5py.File(tmp_path / "f.h5", "r") as f:
        assert f["A"][2, 3] == -5
    c = mm.create(f"{tmp_path}/f.h5:/C", (8, 8), "float32", chunks=(4, 4), compression="gzip")
    c[2:6, 1] = 3.5
    c.close()
    with h5py.File(tmp_path / "f.h5", "r") as f:
        assert f["C"].chunks == (4, 4) and f["C"][2:6, 1].tolist() == [3.5] * 4 and f["C"][0, 0] == 0


def test_random_matches_the_cli(tmp_path):
    a = mm.random(tmp_path / "py.npy", (50, 40), "float32", seed=7)
    run_cli("random", tmp_path / "cli.npy", "--shape", "50,40", "--dtype", "float32", "--seed", 7, "-q")
    assert np.array_equal(np.asarray(a), np.load(tmp_path / "cli.npy"))


def test_convert_between_formats(tmp_path):
    data = np.random.default_rng(1).random((30, 20))
    np.save(tmp_path / "A.npy", data)
    mm.convert(tmp_path / "A.npy", f"{tmp_path}/f.h5:/A", dtype="float32", chunks=(10, 10), compression="gzip",
               progress=False)
    with h5py.File(tmp_path / "f.h5", "r") as f:
        assert f["A"].dtype == np.float32 and f["A"].chunks == (10, 10)
        assert np.allclose(f["A"][:], data.astype(np.float32))
    mm.convert(f"{tmp_path}/f.h5:/A", tmp_path / "B.npy", progress=False)
    assert np.array_equal(np.load(tmp_path / "B.npy"), data.astype(np.float32))
