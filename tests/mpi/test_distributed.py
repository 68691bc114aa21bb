"""The MPI build's distributed subcommands under `mpirun -n P` (P = 1..4) against numpy and
against the one-process result: matvec, rmatvec, spmv (x split among the ranks, ghosts
exchanged), reduce (both axes and all), random and convert over .npy, contiguous, chunked
and gzip HDF5; uneven splits; h5py reads every output; a failure on one rank ends every
rank with one message and no output."""
import os
import signal
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from interop_support import TempDirCase  # noqa: E402

CLI = os.environ["MAMMOTH_CLI"]
MPIRUN = os.environ.get("MPIEXEC", "mpirun")
# A one-process build of mammoth, when given: random must write the very same file.
SERIAL_CLI = os.environ.get("MAMMOTH_SERIAL_CLI", "")
RANKS = (1, 2, 3, 4)
ENV = dict(os.environ, OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1",
           OMP_NUM_THREADS="1")


def mpirun(ranks, *args, timeout=120):
    cmd = [MPIRUN, "--oversubscribe", "--allow-run-as-root", "-n", str(ranks), CLI, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)


def mpmd(*programs, timeout=120):
    """mpirun -n 1 mammoth ARGS0 : -n 1 mammoth ARGS1 …: a different command line per rank."""
    cmd = [MPIRUN, "--oversubscribe", "--allow-run-as-root"]
    for i, args in enumerate(programs):
        cmd += ([":"] if i else []) + ["-n", "1", CLI, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)


def quarters(rng, shape):
    """Small multiples of 1/4: every float64 sum of them is exact, in any order."""
    return rng.integers(-40, 40, size=shape).astype(np.float64) / 4


def read(spec):
    if ":" in spec:
        f, inner = spec.split(":", 1)
        with h5py.File(f, "r") as h:
            return h[inner][()]
    return np.load(spec)


class DistributedCase(TempDirCase):
    def run_ok(self, ranks, *args):
        r = mpirun(ranks, *args)
        self.assertEqual(r.returncode, 0, f"-n {ranks} {' '.join(args)}\n{r.stdout}\n{r.stderr}")
        return r

    def assert_refused(self, r, text):
        """Exit 1, one error line holding `text`, and no output (y…) left."""
        self.assertEqual(r.returncode, 1, r.stderr)
        errors = [line for line in r.stderr.splitlines() if line.startswith("mammoth: error:")]
        self.assertEqual(len(errors), 1, r.stderr)
        self.assertIn(text, errors[0])
        self.assertFalse(any(f.startswith(("y", ".y")) for f in os.listdir(self.dir)), os.listdir(self.dir))

    def inputs(self, shape=(37, 23), chunks=(8, 23), peak=False):
        """A as .npy, contiguous, chunked and gzip HDF5; the specs and the array (with one
        clear maximum when `peak`)."""
        rng = np.random.default_rng(7)
        a = quarters(rng, shape)
        if peak:
            a[5, 3] = 1e3
        np.save(self.path("A.npy"), a)
        with h5py.File(self.path("A.h5"), "w") as f:
            f["contiguous"] = a
            f.create_dataset("chunked", data=a, chunks=chunks)
            f.create_dataset("gzip", data=a.astype(np.float32), chunks=chunks, compression="gzip")
        specs = [self.path("A.npy")] + [self.path("A.h5") + ":/" + n for n in ("contiguous", "chunked", "gzip")]
        return specs, a


class TestMatvec(DistributedCase):
    def test_matvec_every_input_and_rank_count(self):
        specs, a = self.inputs()
        x = quarters(np.random.default_rng(1), a.shape[1])
        np.save(self.path("x.npy"), x)
        for spec in specs:
            want = a.astype(np.float32).astype(np.float64) @ x if spec.endswith("gzip") else a @ x
            for p in RANKS:
                for out in (self.path(f"y{p}.npy"), self.path(f"y{p}.h5") + ":/group/y"):
                    with self.subTest(spec=spec, ranks=p, out=out):
                        self.run_ok(p, "matvec", spec, self.path("x.npy"), "-o", out, "-q")
                        np.testing.assert_array_equal(read(out), want)  # quarters: exact in any order
                for f in os.listdir(self.dir):
                    if f.startswith("y"):
                        os.remove(self.path(f))

    def test_rmatvec_and_printed_results(self):
        specs, a = self.inputs()
        v = quarters(np.random.default_rng(2), a.shape[0])
        np.save(self.path("v.npy"), v)
        for p in RANKS:
            with self.subTest(ranks=p):
                self.run_ok(p, "matvec", "-t", specs[2], self.path("v.npy"), "-o", self.path(f"r{p}.h5") + ":/r", "-q")
                np.testing.assert_array_equal(read(self.path(f"r{p}.h5") + ":/r"), a.T @ v)
                printed = self.run_ok(p, "matvec", "-t", specs[0], self.path("v.npy"), "-q").stdout.split()
                np.testing.assert_array_equal(np.array(printed, dtype=np.float64), a.T @ v)

    def test_random_floats_within_1e_12(self):
        rng = np.random.default_rng(3)
        a = rng.standard_normal((101, 57))
        x = rng.standard_normal(57)
        np.save(self.path("A.npy"), a)
        np.save(self.path("x.npy"), x)
        for p in RANKS:
            with self.subTest(ranks=p):
                self.run_ok(p, "matvec", self.path("A.npy"), self.path("x.npy"), "-o", self.path("y.npy"), "-q")
                np.testing.assert_allclose(np.load(self.path("y.npy")), a @ x, rtol=1e-12, atol=1e-12)

    def test_more_ranks_than_rows_and_existing_h5_file(self):
        a = quarters(np.random.default_rng(4), (3, 5))
        np.save(self.path("A.npy"), a)
        np.save(self.path("x.npy"), np.ones(5))
        with h5py.File(self.path("out.h5"), "w") as f:
            f["keep"] = np.arange(4)
            f["y"] = np.zeros(9)  # replaced whole
        for p in RANKS:  # 3 rows: with 4 ranks one has none
            with self.subTest(ranks=p):
                self.run_ok(p, "matvec", self.path("A.npy"), self.path("x.npy"), "-o", self.path("out.h5") + ":/y", "-q")
                with h5py.File(self.path("out.h5"), "r") as f:
                    np.testing.assert_array_equal(f["y"][()], a.sum(axis=1))
                    np.testing.assert_array_equal(f["keep"][()], np.arange(4))
                    self.assertEqual(sorted(f.keys()), ["keep", "y"])


class TestMatmul(DistributedCase):
    def test_matmul_rows_of_a_and_c_per_rank(self):
        specs, a = self.inputs()
        b = quarters(np.random.default_rng(6), (a.shape[1], 11))
        np.save(self.path("B.npy"), b)
        with h5py.File(self.path("B.h5"), "w") as f:
            f.create_dataset("B", data=b, chunks=(5, 11))
        for p in RANKS:
            for spec, bspec, out in ((specs[0], self.path("B.npy"), self.path(f"C{p}.npy")),
                                     (specs[2], self.path("B.h5") + ":/B", self.path(f"C{p}.h5") + ":/C")):
                with self.subTest(ranks=p, a=spec, out=out):
                    self.run_ok(p, "matmul", spec, bspec, "-o", out, "--block", "1KiB", "-q")  # many blocks
                    np.testing.assert_array_equal(read(out), a @ b)  # quarters: exact in any order


class TestSpmv(DistributedCase):
    def test_csr_rows_split_by_nonzeros(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(8)
        m = sp.random(53, 31, density=0.2, format="csr", random_state=1, dtype=np.float64)
        m.data = quarters(rng, m.nnz)
        m = m.tolil()
        m[3, :] = 1.5  # a heavy row: the split by nonzeros differs from the even one
        m[40:, :] = 0  # empty rows: ranks past them may get none
        m = m.tocsr()
        m.eliminate_zeros()
        sp.save_npz(self.path("M.npz"), m, compressed=False)
        sp.save_npz(self.path("Mz.npz"), m, compressed=True)
        with h5py.File(self.path("M.h5"), "w") as f:  # anndata's CSR group
            g = f.create_group("M")
            g.attrs["encoding-type"] = "csr_matrix"
            g.attrs["encoding-version"] = "0.1.0"
            g.attrs["shape"] = m.shape
            g["data"], g["indices"], g["indptr"] = m.data, m.indices, m.indptr
        x = quarters(rng, 31)
        np.save(self.path("x.npy"), x)
        for p in RANKS:
            for spec in (self.path("M.npz"), self.path("Mz.npz"), self.path("M.h5") + ":/M"):
                for out in (self.path(f"y{p}.npy"), self.path(f"y{p}.h5") + ":/y"):
                    with self.subTest(ranks=p, matrix=spec, out=out):
                        self.run_ok(p, "spmv", spec, self.path("x.npy"), "-o", out, "--block", "64", "-q")
                        np.testing.assert_array_equal(read(out), m @ x)  # quarters: exact in any order
            with self.subTest(ranks=p, fallback="coo on rank 0"):
                sp.save_npz(self.path("C.npz"), m.tocoo())
                self.run_ok(p, "spmv", self.path("C.npz"), self.path("x.npy"), "-o", self.path("c.npy"), "-q")
                np.testing.assert_array_equal(np.load(self.path("c.npy")), m @ x)


class TestSpmvTransposedAndCsc(DistributedCase):
    """CSR's Aᵀ·x and CSC's A·x (each rank scatters its rows' or columns' products, rank 0
    sums), CSC's Aᵀ·x (the CSR of Aᵀ, ghosts exchanged): the serial result, bit for bit
    where every sum runs in the same order, and numpy's exactly (quarters)."""

    def test_every_direction_and_format(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(17)
        m = sp.random(47, 29, density=0.15, format="lil", random_state=5, dtype=np.float64)
        m[4, :] = 1.25  # a heavy row and a heavy column: splits by nonzeros differ from even ones
        m[:, 7] = -0.5
        m[30:, :] = 0  # empty rows and columns: some ranks get none with 4 ranks
        m[:, 20:] = 0
        m = m.tocsr()
        m.eliminate_zeros()
        m.data = quarters(rng, m.nnz)
        x, xt = quarters(rng, 29), quarters(rng, 47)
        np.save(self.path("x.npy"), x)
        np.save(self.path("xt.npy"), xt)
        for name, stored in (("csr", m), ("csc", m.tocsc())):
            sp.save_npz(self.path(f"{name}.npz"), stored, compressed=False)
            with h5py.File(self.path(f"{name}.h5"), "w") as f:
                g = f.create_group("M")
                g.attrs["encoding-type"], g.attrs["encoding-version"] = f"{name}_matrix", "0.1.0"
                g.attrs["shape"] = stored.shape
                g.create_dataset("data", data=stored.data, chunks=(16,), compression="gzip")
                g["indices"], g["indptr"] = stored.indices, stored.indptr
        for name in ("csr", "csc"):
            for transpose, vector, want in ((False, "x.npy", m @ x), (True, "xt.npy", m.T @ xt)):
                flag = ("--transpose",) if transpose else ()
                serial = None
                if SERIAL_CLI:
                    r = subprocess.run([SERIAL_CLI, "spmv", self.path(f"{name}.npz"), self.path(vector), "-o",
                                        self.path("serial.npy"), "--budget", "1MiB", "-q", *flag],
                                       capture_output=True, text=True)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    serial = np.load(self.path("serial.npy"))
                for spec in (self.path(f"{name}.npz"), self.path(f"{name}.h5") + ":/M"):
                    for p in RANKS:
                        with self.subTest(format=name, transpose=transpose, matrix=spec, ranks=p):
                            out = self.path("y.h5") + ":/y" if p == 3 else self.path("y.npy")
                            self.run_ok(p, "spmv", spec, self.path(vector), "-o", out, "--block", "64", "-q", *flag)
                            y = read(out)
                            np.testing.assert_array_equal(y, want)  # quarters: exact in any order
                            if serial is not None:
                                np.testing.assert_array_equal(y, serial)

    def test_shapes_checked_and_bad_index_named(self):
        import scipy.sparse as sp
        m = sp.csc_matrix(np.eye(40))
        sp.save_npz(self.path("C.npz"), m, compressed=False)
        np.save(self.path("x.npy"), np.ones(39))
        r = mpirun(3, "spmv", self.path("C.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q", "--transpose")
        self.assert_refused(r, "Aᵀ·x with A of shape (40, 40) needs a vector of shape (40)")
        bad = m.copy()
        bad.indices = bad.indices.copy()
        bad.indices[-1] = 40  # the last column: the last rank's, in both directions
        sp.save_npz(self.path("B.npz"), bad, compressed=False)
        np.save(self.path("x.npy"), np.ones(40))
        for flag in ((), ("--transpose",)):
            with self.subTest(transpose=bool(flag)):
                r = mpirun(3, "spmv", self.path("B.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q", *flag)
                self.assert_refused(r, "rank 2: ")
                self.assertIn("indices[13] = 40 is outside [0, 40) (entry 26 of the file is this rank's entry 0)",
                              r.stderr)


def save_csr(path, m, index_dtype=np.int32):
    """`m` as an uncompressed .npz with indices and indptr of `index_dtype`."""
    import scipy.sparse as sp
    m = sp.csr_matrix(m)
    m.indices = m.indices.astype(index_dtype)
    m.indptr = m.indptr.astype(index_dtype)
    np.savez(path, data=m.data, indices=m.indices, indptr=m.indptr, format=np.array(b"csr"),
             shape=np.array(m.shape))


class TestSpmvAcrossRanks(DistributedCase):
    """x split among the ranks, each with a compact x (its touched entries) and its ghosts
    from their owners, multiplied while they travel: the one-process result, bit for bit
    (every row is summed alike, whenever its ghosts came)."""

    def check(self, m, x, ranks=RANKS, index_dtypes=(np.int32, np.int64), extra=()):
        np.save(self.path("x.npy"), x)
        want = m @ x
        serial = None
        if SERIAL_CLI:
            save_csr(self.path("S.npz"), m)
            r = subprocess.run([SERIAL_CLI, "spmv", self.path("S.npz"), self.path("x.npy"), "-o",
                                self.path("serial.npy")], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            serial = np.load(self.path("serial.npy"))
            np.testing.assert_allclose(serial, want, rtol=1e-12, atol=1e-12)
        for index_dtype in index_dtypes:
            save_csr(self.path("M.npz"), m, index_dtype)
            for p in ranks:
                with self.subTest(shape=m.shape, index=np.dtype(index_dtype).name, ranks=p):
                    self.run_ok(p, "spmv", self.path("M.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q",
                                *extra)
                    y = np.load(self.path("y.npy"))
                    if serial is not None:
                        np.testing.assert_array_equal(y, serial)
                    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)

    def test_square_wide_and_tall(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(11)
        for shape, density in (((300, 300), 0.05), ((120, 5000), 0.02), ((800, 40), 0.1)):
            m = sp.random(*shape, density=density, format="csr", random_state=2, dtype=np.float64)
            m.data = rng.standard_normal(m.nnz)
            self.check(m, rng.standard_normal(shape[1]))

    def test_many_blocks_and_a_small_budget(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(12)
        m = sp.random(400, 3000, density=0.01, format="csr", random_state=3, dtype=np.float64)
        m.data = quarters(rng, m.nnz)  # rows may be cut across blocks: quarters sum exactly in any order
        self.check(m, quarters(rng, 3000), index_dtypes=(np.int64,), extra=("--block", "256", "--budget", "1MiB"))

    def test_no_ghosts_and_all_ghosts(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(13)
        n = 200
        diagonal = sp.diags(rng.standard_normal(n), format="csr")  # every column its row's rank's own
        self.check(diagonal, rng.standard_normal(n), index_dtypes=(np.int32,))
        full = sp.csr_matrix(rng.standard_normal((40, n)))  # every rank needs every column
        self.check(full, rng.standard_normal(n), index_dtypes=(np.int32,))
        first = sp.lil_matrix((n, n))
        first[:, 0] = 1.5  # column 0 only: every rank but the first has one ghost
        self.check(first.tocsr(), rng.standard_normal(n), index_dtypes=(np.int64,))

    def test_ranks_with_no_rows_still_serve_their_x(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(14)
        m = sp.csr_matrix(rng.standard_normal((3, 10)))  # 4 ranks: one has no row, all hold some of x
        self.check(m, rng.standard_normal(10), ranks=(4,))
        heavy = sp.lil_matrix((6, 6))
        heavy[0, :] = 2.0  # row 0 outweighs the rest: ranks past it may get few or no rows
        heavy[5, 5] = 1.0
        self.check(heavy.tocsr(), rng.standard_normal(6), ranks=(3, 4))
        empty = sp.csr_matrix((5, 7))  # no nonzero at all
        self.check(empty, rng.standard_normal(7), ranks=(1, 3))

    def test_ghost_sums_do_not_depend_on_timing(self):
        """Rows multiplied before their ghosts arrive (up to the first ghost, the rest kept)
        and rows multiplied after give the same bits: runs whose ghosts come at other times,
        and whose room for waiting rows differs (1 MiB budget: it fills), agree, and agree
        with one rank."""
        import scipy.sparse as sp
        rng = np.random.default_rng(16)
        m = sp.random(2000, 20000, density=0.005, format="lil", random_state=6, dtype=np.float64)
        m[5, ::2] = 1.0  # a row longer than a block: its pieces must reach y in order
        m = m.tocsr()
        m.data = rng.standard_normal(m.nnz)
        x = rng.standard_normal(20000)
        save_csr(self.path("M.npz"), m)
        np.save(self.path("x.npy"), x)
        first = None
        for p in (1, 2, 3):
            for budget in ("1MiB", "64MiB", "1MiB", "64MiB"):
                with self.subTest(ranks=p, budget=budget):
                    self.run_ok(p, "spmv", self.path("M.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q",
                                "--block", "64", "--budget", budget)
                    y = np.load(self.path("y.npy"))
                    np.testing.assert_allclose(y, m @ x, rtol=1e-12, atol=1e-12)
                    if first is None:
                        first = y
                    np.testing.assert_array_equal(y, first)

    def test_complex_x_and_x_in_hdf5(self):
        import scipy.sparse as sp
        rng = np.random.default_rng(15)
        m = sp.random(90, 70, density=0.1, format="csr", random_state=4, dtype=np.float64)
        save_csr(self.path("M.npz"), m)
        x = rng.standard_normal(70) + 1j * rng.standard_normal(70)
        np.save(self.path("x.npy"), x)
        with h5py.File(self.path("x.h5"), "w") as f:
            f.create_dataset("x", data=x.real, chunks=(16,))
        for p in (2, 3):
            with self.subTest(ranks=p, x="complex"):
                self.run_ok(p, "spmv", self.path("M.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q")
                np.testing.assert_allclose(np.load(self.path("y.npy")), m @ x, rtol=1e-12, atol=1e-12)
            with self.subTest(ranks=p, x="chunked hdf5"):
                self.run_ok(p, "spmv", self.path("M.npz"), self.path("x.h5") + ":/x", "-o", self.path("y.npy"), "-q")
                np.testing.assert_allclose(np.load(self.path("y.npy")), m @ x.real, rtol=1e-12, atol=1e-12)

    def test_bad_index_and_bad_x_refused_on_every_rank(self):
        import scipy.sparse as sp
        m = sp.csr_matrix(np.eye(40))
        for index_dtype in (np.int32, np.int64):
            bad = m.copy()
            bad.indices = bad.indices.astype(index_dtype)
            bad.indices[-1] = 40  # the last row: the last rank's
            save_csr(self.path("B.npz"), bad, index_dtype)
            np.save(self.path("x.npy"), np.ones(40))
            with self.subTest(index=np.dtype(index_dtype).name):
                r = mpirun(3, "spmv", self.path("B.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q")
                self.assert_refused(r, "rank 2: ")
                self.assertIn("= 40 is outside [0, 40)", r.stderr)
                # rank 2's rows start at row 26 of the identity: its entry 0 is the file's 26
                self.assertIn("indices[13] = 40 is outside [0, 40) (entry 26 of the file is this rank's entry 0)",
                              r.stderr)
        save_csr(self.path("M.npz"), m)
        np.save(self.path("x.npy"), np.ones(39))
        r = mpirun(3, "spmv", self.path("M.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q")
        self.assert_refused(r, "needs a vector of shape (40)")

    def test_falling_indptr_refused_once(self):
        # No rank reads indptr whole; each checks its own rows of it, and the cuts must tile.
        import scipy.sparse as sp
        m = sp.csr_matrix(np.eye(40))
        np.save(self.path("x.npy"), np.ones(40))
        for at, value in ((35, 30), (1, 39), (39, 41)):
            bad = m.copy()
            bad.indptr = bad.indptr.copy()
            bad.indptr[at] = value
            save_csr(self.path("B.npz"), bad, np.int32)
            with self.subTest(at=at, value=value):
                r = mpirun(3, "spmv", self.path("B.npz"), self.path("x.npy"), "-o", self.path("y.npy"), "-q")
                self.assert_refused(r, "indptr must rise from 0 to nnz = 40")

    def test_memory_per_rank_is_far_below_x_whole(self):
        # 10^8 columns, 10^4 nonzeros: x whole would be 800 MB per rank; each rank holds its
        # touched entries, 2 bits per column (25 MB) and reads only the blocks of x it needs.
        import scipy.sparse as sp
        rng = np.random.default_rng(16)
        rows, cols, per_row = 1000, 100_000_000, 10
        indices = np.sort(rng.integers(0, cols, size=(rows, per_row)), axis=1).ravel()
        m = sp.csr_matrix((rng.standard_normal(rows * per_row), indices, np.arange(0, rows * per_row + 1, per_row)),
                          shape=(rows, cols))
        save_csr(self.path("W.npz"), m)
        x = np.lib.format.open_memmap(self.path("x.npy"), mode="w+", dtype=np.float64, shape=(cols,))  # sparse file
        x[indices] = rng.standard_normal(indices.size)
        want = m @ x
        del x
        r = self.run_ok(2, "--rank-memory", "spmv", self.path("W.npz"), self.path("x.npy"), "-o", self.path("y.npy"),
                        "-q")
        np.testing.assert_allclose(np.load(self.path("y.npy")), want, rtol=1e-12, atol=1e-12)
        line = [line for line in r.stderr.splitlines() if line.startswith("peak memory by rank:")][0]
        peak = float(line.split("max ")[1].split(" MiB")[0]) * 2**20
        self.assertLess(peak, 8 * cols / 4, line)  # x whole: 8 * cols bytes per rank


class TestReduce(DistributedCase):
    def test_reduce_both_axes_and_all(self):
        specs, a = self.inputs(shape=(37, 23), chunks=(16, 23), peak=True)  # 3 chunk rows: with 4 ranks one has none
        ops = {"sum": np.sum, "mean": np.mean, "min": np.min, "max": np.max,
               "norm": lambda v, axis=None: np.sqrt(np.sum(v * v, axis=axis))}
        for p in RANKS:
            for op, f in ops.items():
                for axis in ("0", "1", "all"):
                    with self.subTest(ranks=p, op=op, axis=axis):
                        want = f(a, axis=None if axis == "all" else int(axis))
                        out = self.path(f"r_{p}_{op}_{axis}.npy")
                        self.run_ok(p, "reduce", specs[0], "--op", op, "--axis", axis, "-o", out, "-q")
                        np.testing.assert_allclose(np.load(out), want, rtol=1e-12)
            with self.subTest(ranks=p, input="1-d"):
                v = a[:, 0].copy()
                np.save(self.path("v.npy"), v)
                for axis in ("0", "all"):
                    self.run_ok(p, "reduce", self.path("v.npy"), "--op", "max", "--axis", axis, "-o", self.path("m.npy"),
                                "-q")
                    self.assertEqual(np.load(self.path("m.npy")).shape, ())
                    self.assertEqual(np.load(self.path("m.npy")), v.max())
            with self.subTest(ranks=p, input="chunked h5, printed"):
                printed = self.run_ok(p, "reduce", specs[2], "--op", "sum", "--axis", "0", "-q").stdout.split()
                np.testing.assert_array_equal(np.array(printed, dtype=np.float64), a.sum(axis=0))
            with self.subTest(ranks=p, input="gzip h5, axis 1 into h5"):
                out = self.path(f"rows{p}.h5") + ":/rows"
                self.run_ok(p, "reduce", specs[3], "--op", "max", "--axis", "1", "-o", out, "-q")
                np.testing.assert_array_equal(read(out), a.astype(np.float32).max(axis=1))


class TestRandomAndConvert(DistributedCase):
    def test_random_is_the_one_process_file(self):
        outs = {}
        for p in RANKS:
            for name, extra in (("r.npy", []), ("r.h5:/d", []), ("c.h5:/d", ["--chunks", "8,10", "--compression", "gzip"])):
                spec = self.path(f"{p}_{name}")
                self.run_ok(p, "random", spec, "--shape", "45,10", "--dtype", "float32", "--seed", "9", *extra, "-q")
                outs.setdefault(name, []).append(read(spec))
        for name, arrays in outs.items():
            for p, arr in zip(RANKS, arrays):
                with self.subTest(out=name, ranks=p):
                    self.assertEqual(arr.dtype, np.float32)
                    self.assertEqual(arr.shape, (45, 10))
                    np.testing.assert_array_equal(arr, arrays[0])
            self.assertTrue(np.all((arrays[0] >= 0) & (arrays[0] < 1)))
        np.testing.assert_array_equal(outs["r.npy"][0], outs["r.h5:/d"][0])
        if SERIAL_CLI:
            subprocess.run([SERIAL_CLI, "random", self.path("s.npy"), "--shape", "45,10", "--dtype", "float32",
                            "--seed", "9", "-q"], check=True)
            with open(self.path("s.npy"), "rb") as s, open(self.path("4_r.npy"), "rb") as m:
                self.assertEqual(s.read(), m.read())

    def test_alignment_for_striped_file_systems(self):
        # MAMMOTH_HDF5_ALIGNMENT (a stripe size) reaches the MPI-IO files as the serial ones.
        env = dict(ENV, MAMMOTH_HDF5_ALIGNMENT="64KiB")
        cmd = [MPIRUN, "--oversubscribe", "--allow-run-as-root", "-n", "2", CLI, "random", self.path("a.h5") + ":/d",
               "--shape", "300,1000", "--dtype", "float32", "-q"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(self.path("a.h5"), "r") as f:
            self.assertEqual(f["d"].id.get_offset() % 65536, 0)
            self.assertEqual(f["d"].shape, (300, 1000))

    def test_convert_every_pair(self):
        specs, a = self.inputs()
        for p in RANKS:
            for src in specs[:3]:
                for dst, extra in (("c.npy", []), ("c.h5:/x/c", ["--chunks", "5,23", "--compression", "gzip"]),
                                   ("d.h5:/c", ["--to-dtype", "float32"])):
                    with self.subTest(ranks=p, src=src, dst=dst):
                        out = self.path(f"{p}_{dst}")
                        self.run_ok(p, "convert", src, out, *extra, "-q")
                        got = read(out)
                        want = a.astype(np.float32) if "float32" in extra else a
                        self.assertEqual(got.dtype, want.dtype)
                        np.testing.assert_array_equal(got, want)
        with h5py.File(self.path("4_c.h5"), "r") as f:
            self.assertEqual(f["x/c"].compression, "gzip")
            self.assertEqual(f["x/c"].chunks, (5, 23))


class TestFailures(DistributedCase):
    def assert_failed_once(self, r, started, text):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertLess(time.monotonic() - started, 60)
        errors = [line for line in r.stderr.splitlines() if line.startswith("mammoth: error:")]
        self.assertEqual(len(errors), 1, r.stderr)
        self.assertIn(text, errors[0])

    def test_unreadable_input_on_one_rank(self):
        specs, a = self.inputs()
        np.save(self.path("x.npy"), np.ones(a.shape[1]))
        out = self.path("y.npy")
        good = ["matvec", specs[0], self.path("x.npy"), "-o", out, "-q"]
        bad = ["matvec", specs[0], self.path("missing.npy"), "-o", out, "-q"]
        started = time.monotonic()
        r = mpmd(good, bad, good)
        self.assert_failed_once(r, started, "rank 1: ")
        self.assertIn("missing.npy", r.stderr)
        self.assertFalse(any(f.startswith(("y", ".y")) for f in os.listdir(self.dir)), os.listdir(self.dir))

    def test_bad_output_path_fails_everywhere_once(self):
        specs, a = self.inputs()
        np.save(self.path("x.npy"), np.ones(a.shape[1]))
        for out in (self.path("no/such/dir/y.npy"), self.path("no/such/dir/y.h5") + ":/y"):
            with self.subTest(out=out):
                started = time.monotonic()
                r = mpirun(3, "matvec", specs[0], self.path("x.npy"), "-o", out, "-q")
                self.assert_failed_once(r, started, "rank 0: ")

    def test_corrupt_chunk_read_by_one_rank_mid_stream(self):
        a = quarters(np.random.default_rng(5), (64, 512))
        with h5py.File(self.path("A.h5"), "w") as f:
            d = f.create_dataset("A", data=a, chunks=(4, 512), compression="gzip")
            info = d.id.get_chunk_info_by_coord((60, 0))  # the last chunk: the last rank's rows
        with open(self.path("A.h5"), "r+b") as f:
            f.seek(info.byte_offset)
            f.write(b"\xff" * info.size)
        np.save(self.path("x.npy"), np.ones(512))
        for out in (self.path("y.npy"), self.path("y.h5") + ":/y"):
            with self.subTest(out=out):
                started = time.monotonic()
                r = mpirun(3, "matvec", self.path("A.h5") + ":/A", self.path("x.npy"), "-o", out, "--block", "8KiB",
                           "--budget", "4MiB", "-q")
                self.assert_failed_once(r, started, "rank 2: ")
                self.assertFalse(any(f.startswith(("y", ".y")) for f in os.listdir(self.dir)), os.listdir(self.dir))

    def test_ctrl_c_stops_every_rank_and_commits_nothing(self):
        # Ctrl-C at a terminal: SIGINT to mpirun and the ranks (one process group).
        # Random data compressed with gzip: seconds of work, so the signal comes mid-stream.
        cmd = [MPIRUN, "--oversubscribe", "--allow-run-as-root", "-n", "2", CLI, "random", self.path("R.h5") + ":/R",
               "--shape", "2000,20000", "--dtype", "float32", "--chunks", "10,20000", "--compression", "gzip", "-q"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                                start_new_session=True)
        deadline = time.monotonic() + 60
        while not os.listdir(self.dir) and time.monotonic() < deadline:
            time.sleep(0.01)  # the temporary output exists: the ranks are writing
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        started = time.monotonic()
        _, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0, err)
        self.assertLess(time.monotonic() - started, 30)
        # mpirun may stop forwarding output once signalled: the message is there at most once.
        errors = [line for line in err.splitlines() if line.startswith("mammoth: error:")]
        self.assertLessEqual(len(errors), 1, err)
        for line in errors:
            self.assertRegex(line, r"^mammoth: error: rank \d: cancelled$")
        # Never the destination. The temporary is gone unless mpirun's SIGKILL (1 s after its
        # SIGTERM) came before rank 0 had finished its block in flight: the next run removes it.
        left = os.listdir(self.dir)
        self.assertTrue(all(f.startswith(".R.h5.mammoth-tmp-") for f in left), left)
        for f in left:  # a temporary is stale once its writer is gone (and reaped)
            pid = int(f.split("mammoth-tmp-")[1].split("-")[0])
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                time.sleep(0.05)
        self.run_ok(2, "random", self.path("R.h5") + ":/R", "--shape", "4,4", "-q")
        self.assertEqual(os.listdir(self.dir), ["R.h5"])

    def test_usage_error_printed_once(self):
        r = mpirun(3, "reduce", self.path("A.npy"), "--op", "bogus")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("bogus not in"), 1, r.stderr)

    def test_rank_memory_report(self):
        specs, a = self.inputs()
        np.save(self.path("x.npy"), np.ones(a.shape[1]))
        r = self.run_ok(3, "--rank-memory", "matvec", specs[0], self.path("x.npy"), "-q")
        lines = [line for line in r.stderr.splitlines() if line.startswith("peak memory by rank:")]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertRegex(lines[0], r"0: [\d.]+ MiB, 1: [\d.]+ MiB, 2: [\d.]+ MiB; max [\d.]+ MiB, sum [\d.]+ MiB")


if __name__ == "__main__":
    unittest.main()
