"""numpy (Debian's python3-numpy) reads every .npy and raw file mammoth writes, and mammoth
reads every .npy numpy writes: dtypes, byte orders, C and Fortran order, 0-d, empty,
format versions 1.0/2.0/3.0. mammoth is driven through its CLI."""
import io, json, os, shutil, subprocess, tempfile, unittest

import h5py
import numpy as np

MAMMOTH = os.environ.get("MAMMOTH_CLI", "mammoth")
DTYPES = ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f4", "<f8", "<c8", "<c16",
          ">i2", ">i4", ">i8", ">u4", ">f4", ">f8", ">c8", ">c16"]


def mammoth(*args, check=True):
    p = subprocess.run([MAMMOTH, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"mammoth {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def sample(descr, shape, order="C", seed=0):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    dt = np.dtype(descr)
    if dt.kind == "b":
        flat = rng.integers(0, 2, n).astype(bool)
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        flat = rng.integers(info.min, info.max, n, dtype=dt.newbyteorder("="), endpoint=True)
    elif dt.kind == "c":
        flat = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    else:
        flat = rng.standard_normal(n) * 1e3
    return np.array(flat.astype(dt).reshape(shape), order=order)


class NpyInterop(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mammoth-npy-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def info(self, path, *extra):
        return json.loads(mammoth("info", "--json", path, *extra).stdout)

    def test_round_trip_every_dtype_order_and_shape(self):
        shapes = [(3, 5), (7,), (), (0,), (0, 4), (2, 3, 4)]
        for descr in DTYPES:
            for shape in shapes:
                for order in "CF":
                    with self.subTest(descr=descr, shape=shape, order=order):
                        a = sample(descr, shape, order)
                        src, dst = self.path("src.npy"), self.path("dst.npy")
                        np.save(src, a)
                        info = self.info(src)
                        self.assertEqual(info["dtype"], np.lib.format.dtype_to_descr(a.dtype))
                        self.assertEqual(info["shape"], list(shape))
                        fortran = a.flags.f_contiguous and not a.flags.c_contiguous
                        self.assertEqual(info["order"], "F" if fortran else "C")
                        mammoth("convert", src, dst)
                        b = np.load(dst)
                        self.assertEqual(b.dtype, a.dtype)
                        self.assertEqual(b.shape, a.shape)
                        np.testing.assert_array_equal(b, a)
                        self.assertEqual(b.flags.f_contiguous and not b.flags.c_contiguous, fortran)

    def test_headers_are_byte_identical_to_numpys(self):
        for descr in ["<f4", ">i8", "|b1", "<c16"]:
            for shape in [(100, 1000), (5,), (), (0, 3)]:
                for order in "CF":
                    with self.subTest(descr=descr, shape=shape, order=order):
                        ours = self.path("ours.npy")
                        a = np.zeros(shape, dtype=descr, order=order)
                        mammoth("convert", self.save(a), ours)
                        buf = io.BytesIO()
                        np.save(buf, a)
                        theirs = buf.getvalue()
                        with open(ours, "rb") as f:
                            self.assertEqual(f.read(), theirs)

    def save(self, a, name="a.npy", version=None):
        path = self.path(name)
        with open(path, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        return path

    def test_numpy_reads_random_files(self):
        for dtype, order in [("float32", "C"), ("float64", "F"), (">f4", "C"), ("complex64", "C")]:
            with self.subTest(dtype=dtype, order=order):
                p = self.path("r.npy")
                mammoth("random", p, "--shape", "20,3000", "--dtype", dtype, "--order", order, "--seed", "1")
                a = np.load(p, mmap_mode="r")
                self.assertEqual(a.shape, (20, 3000))
                self.assertEqual(a.dtype, np.dtype(dtype))
                self.assertEqual(a.flags.f_contiguous, order == "F")
                parts = [a.real, a.imag] if a.dtype.kind == "c" else [a]
                for x in parts:
                    self.assertGreaterEqual(x.min(), 0.0)
                    self.assertLess(x.max(), 1.0)
                    self.assertAlmostEqual(float(x.mean()), 0.5, delta=0.01)
        # Same seed, same numbers whatever the file's order or dtype width.
        mammoth("random", self.path("c.npy"), "--shape", "20,3000", "--dtype", "float32", "--seed", "1")
        mammoth("random", self.path("f.npy"), "--shape", "20,3000", "--dtype", "float32", "--seed", "1", "--order", "F")
        np.testing.assert_array_equal(np.load(self.path("c.npy")), np.load(self.path("f.npy")))

    def test_normal_and_integers(self):
        p = self.path("n.npy")
        mammoth("random", p, "--shape", "1000000", "--dist", "normal", "--mean", "3", "--std", "2")
        a = np.load(p)
        self.assertAlmostEqual(float(a.mean()), 3.0, delta=0.01)
        self.assertAlmostEqual(float(a.std()), 2.0, delta=0.01)
        mammoth("random", p, "--shape", "10000", "--dtype", "int64", "--dist", "integers", "--low", "-5", "--high", "5")
        self.assertEqual(sorted(set(np.load(p).tolist())), list(range(-5, 5)))

    def test_format_versions(self):
        a = sample("<f8", (4, 6))
        for version in [(1, 0), (2, 0), (3, 0)]:
            with self.subTest(version=version):
                src = self.save(a, version=version)
                self.assertEqual(self.info(src)["version"], "%d.%d" % version)
                mammoth("convert", src, self.path("out.npy"))
                np.testing.assert_array_equal(np.load(self.path("out.npy")), a)

    def test_float16_keeps_its_dtype_through_npy_and_hdf5(self):
        a = sample("<f2", (3, 4))
        a[0, :3] = [np.inf, -0.0, 6.1e-5]  # inf, signed zero, a subnormal
        src = self.save(a)
        self.assertEqual(self.info(src)["dtype"], "<f2")
        mammoth("convert", src, self.path("out.npy"))
        b = np.load(self.path("out.npy"))
        self.assertEqual(b.dtype, np.float16)
        np.testing.assert_array_equal(b.view(np.uint16), a.view(np.uint16))
        mammoth("convert", src, self.path("out.h5") + ":/half")
        with h5py.File(self.path("out.h5"), "r") as f:
            self.assertEqual(f["half"].dtype, np.float16)
            np.testing.assert_array_equal(f["half"][()].view(np.uint16), a.view(np.uint16))
        mammoth("convert", self.path("out.h5") + ":/half", self.path("back.npy"))
        np.testing.assert_array_equal(np.load(self.path("back.npy")).view(np.uint16), a.view(np.uint16))

    def test_float32_narrows_to_float16_as_numpy_rounds(self):
        a = np.array([1 + 2**-11, 1 + 3 * 2**-11, 65519.0, 65520.0, 1e-8, 3e-8, np.nan, -7.3], dtype="<f4")
        src = self.save(a)
        mammoth("convert", src, self.path("h.npy"), "--to-dtype", "float16")
        b = np.load(self.path("h.npy"))
        self.assertEqual(b.dtype, np.float16)
        np.testing.assert_array_equal(b.view(np.uint16), a.astype(np.float16).view(np.uint16))

    def test_random_float16(self):
        mammoth("random", self.path("r.npy"), "--shape", "1000", "--dtype", "float16", "--seed", "3")
        r = np.load(self.path("r.npy"))
        self.assertEqual(r.dtype, np.float16)
        self.assertTrue(((r >= 0) & (r <= 1)).all())
        self.assertGreater(len(np.unique(r)), 100)

    def test_numpy_memmap_reads_our_raw_files(self):
        for descr, order in [("<f4", "C"), ("<i8", "F"), (">c16", "C")]:
            with self.subTest(descr=descr, order=order):
                a = sample(descr, (6, 7), order)
                raw = self.path("a.dat")
                mammoth("convert", self.save(a), raw)
                m = np.memmap(raw, dtype=descr, mode="r", shape=(6, 7), order=order)
                np.testing.assert_array_equal(m, a)
                del m

    def test_we_read_numpy_memmap_raw_files_with_offset(self):
        a = sample("<u2", (5, 9))
        raw = self.path("off.dat")
        m = np.memmap(raw, dtype="<u2", mode="w+", shape=(5, 9), offset=32)
        m[:] = a
        m.flush()
        del m
        mammoth("convert", raw, self.path("b.npy"), "--dtype", "uint16", "--shape", "5,9", "--offset", "32")
        np.testing.assert_array_equal(np.load(self.path("b.npy")), a)
        info = self.info(raw, "--dtype", "<u2", "--offset", "32")
        self.assertEqual(info["shape"], [45])
        self.assertEqual(info["format"], "raw")

    def test_unsupported_numpy_files_fail_cleanly(self):
        obj = self.path("obj.npy")
        np.save(obj, np.array([1, "x", None], dtype=object), allow_pickle=True)
        rec = self.path("rec.npy")
        np.save(rec, np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]))
        uni = self.path("uni.npy")
        np.save(uni, np.array(["ab", "cd"]))
        for path, words in [(obj, "unsupported dtype"), (rec, "structured"), (uni, "unsupported dtype")]:
            with self.subTest(path=path):
                p = mammoth("info", path, check=False)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertTrue(p.stderr.startswith(f"mammoth: error: {path}: "), p.stderr)
                self.assertIn(words, p.stderr)


if __name__ == "__main__":
    unittest.main()
