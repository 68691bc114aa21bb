"""The out-of-core commands (matvec, matmul, reduce) on files written by numpy and h5py,
checked against numpy's own results.

Tolerances: the inputs are float32/float64 random numbers or small integers; mammoth
accumulates in float64, numpy in the result dtype with pairwise/BLAS summation, so results
are compared with rtol 1e-10 against numpy run in float64 (exact-integer inputs compare equal).
"""
import os, signal, subprocess, tempfile, time, unittest

import numpy as np
import h5py

CLI = os.environ.get('MAMMOTH_CLI', 'mammoth')


def mammoth(*args):
    return subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)


class OocTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.rng = np.random.default_rng(0)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def ok(self, *args):
        r = mammoth(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    # Small budgets make many blocks; HDF5's chunk cache (1 MiB at least) counts in them.

    def sources(self, A):
        """The same matrix as .npy, HDF5 contiguous and HDF5 chunked."""
        np.save(self.path('A.npy'), A)
        with h5py.File(self.path('A.h5'), 'w') as f:
            f.create_dataset('contiguous', data=A)
            if A.size:
                f.create_dataset('chunked', data=A, chunks=tuple(max(1, min(s, 7)) for s in A.shape))
        specs = [self.path('A.npy'), self.path('A.h5') + ':/contiguous']
        if A.size:
            specs.append(self.path('A.h5') + ':/chunked')
        return specs

    def test_matvec_and_rmatvec_every_backend(self):
        for shape in [(37, 53), (1, 1), (1, 1000), (1000, 1), (0, 5)]:
            A = self.rng.random(shape, dtype=np.float32)
            x, y = self.rng.random(shape[1]), self.rng.random(shape[0])
            np.save(self.path('x.npy'), x)
            np.save(self.path('y.npy'), y)
            for spec in self.sources(A):
                for budget in ['64MiB', '1100k']:
                    with self.subTest(shape=shape, spec=spec, budget=budget):
                        self.ok('matvec', spec, self.path('x.npy'), '-o', self.path('r.npy'), '--budget', budget, '-q')
                        np.testing.assert_allclose(np.load(self.path('r.npy')), A.astype(np.float64) @ x,
                                                   rtol=1e-10, atol=1e-12)
                        self.ok('matvec', '--transpose', spec, self.path('y.npy'), '-o', self.path('r.npy'),
                                '--budget', budget, '-q')
                        np.testing.assert_allclose(np.load(self.path('r.npy')), A.T.astype(np.float64) @ y,
                                                   rtol=1e-10, atol=1e-12)

    def test_matvec_dtypes_and_layouts(self):
        cases = {
            'int16': self.rng.integers(-100, 100, (20, 30)).astype(np.int16),
            'uint8': self.rng.integers(0, 255, (20, 30)).astype(np.uint8),
            'bool': self.rng.random((20, 30)) > 0.5,
            'float64': self.rng.random((20, 30)),
            'big-endian f4': self.rng.random((20, 30)).astype('>f4'),
            'fortran f8': np.asfortranarray(self.rng.random((20, 30))),
            'complex64': (self.rng.random((20, 30)) + 1j * self.rng.random((20, 30))).astype(np.complex64),
        }
        x = self.rng.random(30)
        np.save(self.path('x.npy'), x)
        for name, A in cases.items():
            with self.subTest(dtype=name):
                np.save(self.path('A.npy'), A)
                self.ok('matvec', self.path('A.npy'), self.path('x.npy'), '-o', self.path('r.npy'), '-q',
                        '--budget', '16k')
                r = np.load(self.path('r.npy'))
                want = A.astype(np.complex128 if A.dtype.kind == 'c' else np.float64) @ x
                self.assertEqual(r.dtype, want.dtype)
                np.testing.assert_allclose(r, want, rtol=1e-10)

    def test_out_dtype_rounds_the_float64_sums_once(self):
        # numpy's `A @ x` of float32 operands is float32; --out-dtype float32 writes that dtype,
        # the float64 sums rounded once (within one float32 ulp of the exact product).
        A = self.rng.random((70_000, 7), dtype=np.float32)
        x, y = self.rng.random(7, dtype=np.float32), self.rng.random(70_000, dtype=np.float32)
        np.save(self.path('x.npy'), x)
        np.save(self.path('y.npy'), y)
        want = {'matvec': A.astype(np.float64) @ x, 'rmatvec': A.T.astype(np.float64) @ y}
        for spec in self.sources(A):
            for budget in ['64MiB', '1060k']:  # 1060k: the vector of length 70,000 streams block by block
                for op, args in (('matvec', [spec, self.path('x.npy')]),
                                 ('rmatvec', ['--transpose', spec, self.path('y.npy')])):
                    with self.subTest(spec=spec, budget=budget, op=op):
                        self.ok('matvec', *args, '-o', self.path('r.npy'), '--out-dtype', 'float32',
                                '--budget', budget, '-q')
                        r = np.load(self.path('r.npy'))
                        self.assertEqual(r.dtype, (A @ x).dtype)
                        np.testing.assert_allclose(r, want[op].astype(np.float32), rtol=1.2e-7, atol=0)
        A = A[:50]
        np.save(self.path('A.npy'), A)
        printed = self.ok('matvec', self.path('A.npy'), self.path('x.npy'), '--out-dtype', 'float32', '-q')
        values = np.array([float(v) for v in printed.stdout.split()])
        np.testing.assert_array_equal(values, values.astype(np.float32).astype(np.float64))
        B = self.rng.random((7, 5), dtype=np.float32)
        np.save(self.path('B.npy'), B)
        self.ok('matmul', self.path('A.npy'), self.path('B.npy'), '-o', self.path('C.npy'), '--out-dtype', 'float32',
                '-q')
        C = np.load(self.path('C.npy'))
        self.assertEqual(C.dtype, np.float32)
        np.testing.assert_allclose(C, (A.astype(np.float64) @ B).astype(np.float32), rtol=1.2e-7, atol=0)
        # A complex product is not silently made real; an unknown type is a usage error.
        np.save(self.path('Z.npy'), (A + 1j).astype(np.complex64))
        r = mammoth('matvec', self.path('Z.npy'), self.path('x.npy'), '-o', self.path('z.npy'), '--out-dtype', 'float32')
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('imaginary', r.stderr)
        self.assertFalse(os.path.exists(self.path('z.npy')))
        r = mammoth('matvec', self.path('A.npy'), self.path('x.npy'), '--out-dtype', 'int8')
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_matvec_vector_from_hdf5_and_printed_result(self):
        A = self.rng.random((5, 4))
        x = self.rng.random(4)
        np.save(self.path('A.npy'), A)
        with h5py.File(self.path('x.h5'), 'w') as f:
            f['x'] = x
        r = self.ok('matvec', self.path('A.npy'), self.path('x.h5') + ':/x', '-q')
        np.testing.assert_allclose([float(v) for v in r.stdout.split()], A @ x, rtol=1e-14)

    def test_raw_inputs(self):
        A = self.rng.random((12, 9), dtype=np.float32)
        x = self.rng.random(9, dtype=np.float32)
        A.tofile(self.path('A.raw'))
        x.tofile(self.path('x.raw'))
        self.ok('matvec', self.path('A.raw'), self.path('x.raw'), '--dtype', 'float32', '--shape', '12,9',
                '-o', self.path('y.npy'), '-q')
        np.testing.assert_allclose(np.load(self.path('y.npy')), A.astype(np.float64) @ x.astype(np.float64),
                                   rtol=1e-12)
        self.ok('reduce', self.path('A.raw'), '--dtype', 'float32', '--shape', '12,9', '--axis', '1',
                '-o', self.path('s.npy'), '-q')
        np.testing.assert_allclose(np.load(self.path('s.npy')), A.astype(np.float64).sum(axis=1), rtol=1e-12)

    def test_matmul(self):
        for m, k, n in [(30, 20, 10), (1, 1, 1), (50, 3, 70)]:
            A = self.rng.random((m, k), dtype=np.float32)
            B = self.rng.random((k, n))
            np.save(self.path('B.npy'), B)
            for spec in self.sources(A):
                for budget in ['64MiB', '1060k']:
                    with self.subTest(shape=(m, k, n), spec=spec, budget=budget):
                        self.ok('matmul', spec, self.path('B.npy'), '-o', self.path('C.npy'), '--budget', budget, '-q')
                        np.testing.assert_allclose(np.load(self.path('C.npy')), A.astype(np.float64) @ B, rtol=1e-10)
        # the result into HDF5
        self.ok('matmul', self.path('A.npy'), self.path('B.npy'), '-o', self.path('C.h5') + ':/C', '-q')
        with h5py.File(self.path('C.h5'), 'r') as f:
            np.testing.assert_allclose(f['C'][...], A.astype(np.float64) @ B, rtol=1e-10)

    def test_reduce_every_op_and_axis(self):
        A = self.rng.standard_normal((41, 29)).astype(np.float32)
        A64 = A.astype(np.float64)
        want = {'sum': lambda a, ax: a.sum(axis=ax), 'mean': lambda a, ax: a.mean(axis=ax),
                'min': lambda a, ax: a.min(axis=ax), 'max': lambda a, ax: a.max(axis=ax),
                'norm': lambda a, ax: np.linalg.norm(a, axis=ax) if ax is not None else np.linalg.norm(a)}
        for spec in self.sources(A):
            for op, fn in want.items():
                for axis in ['0', '1', 'all']:
                    with self.subTest(spec=spec, op=op, axis=axis):
                        self.ok('reduce', spec, '--op', op, '--axis', axis, '-o', self.path('r.npy'), '-q',
                                '--budget', '1040k')
                        r = np.load(self.path('r.npy'))
                        expected = fn(A64, None if axis == 'all' else int(axis))
                        if op in ('min', 'max'):
                            self.assertEqual(r.dtype, np.float32)
                            np.testing.assert_array_equal(r, expected.astype(np.float32))
                        else:
                            np.testing.assert_allclose(r, expected, rtol=1e-10)

    def test_reduce_integers_exact_and_printed(self):
        A = self.rng.integers(-1000, 1000, (100, 7)).astype(np.int32)
        np.save(self.path('A.npy'), A)
        r = self.ok('reduce', self.path('A.npy'), '--op', 'sum', '-q')
        self.assertEqual(float(r.stdout), float(A.sum()))
        r = self.ok('reduce', self.path('A.npy'), '--op', 'max', '--axis', '0', '-o', self.path('m.npy'), '-q')
        np.testing.assert_array_equal(np.load(self.path('m.npy')), A.max(axis=0))
        self.assertEqual(np.load(self.path('m.npy')).dtype, np.int32)

    def test_failures_leave_no_output(self):
        A = self.rng.random((10, 5))
        np.save(self.path('A.npy'), A)
        np.save(self.path('x.npy'), np.ones(4))  # wrong length
        r = mammoth('matvec', self.path('A.npy'), self.path('x.npy'), '-o', self.path('y.npy'), '-q')
        self.assertEqual(r.returncode, 1)
        self.assertIn('shape', r.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ['A.npy', 'x.npy'])  # no y.npy, no temporary
        r = mammoth('reduce', self.path('missing.npy'), '-q')
        self.assertEqual(r.returncode, 1)
        self.assertIn('missing.npy', r.stderr)
        # a failing computation does not replace an existing output
        np.save(self.path('y.npy'), np.arange(3.0))
        r = mammoth('matvec', self.path('A.npy'), self.path('x.npy'), '-o', self.path('y.npy'), '-q')
        self.assertEqual(r.returncode, 1)
        np.testing.assert_array_equal(np.load(self.path('y.npy')), np.arange(3.0))

    def test_interrupted_run_leaves_no_output(self):
        # A slow product: 1 MiB of budget makes B's panels narrow, so A is streamed ~60 times.
        np.save(self.path('A.npy'), self.rng.random((2000, 2000), dtype=np.float32))
        np.save(self.path('B.npy'), self.rng.random((2000, 2000)))
        before = sorted(os.listdir(self.dir))
        p = subprocess.Popen([CLI, 'matmul', self.path('A.npy'), self.path('B.npy'), '-o', self.path('C.npy'),
                              '--budget', '1MiB', '-q'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        if p.returncode == 0:
            self.skipTest('matmul finished before the interrupt')
        self.assertEqual(p.returncode, 1, err)
        self.assertIn('cancelled', err)
        self.assertEqual(sorted(os.listdir(self.dir)), before)  # no C.npy, no temporary

    def test_usage_errors(self):
        self.assertEqual(mammoth('reduce', 'A.npy', '--op', 'median').returncode, 2)
        self.assertEqual(mammoth('matvec', 'A.npy').returncode, 2)
        r = mammoth('matvec', 'A.npy', 'x.npy', '--budget', 'lots')
        self.assertEqual(r.returncode, 1)
        self.assertIn('lots', r.stderr)


    def test_openmp_threads_sleep_unless_the_user_chose(self):
        # libgomp prints the policy it read at load time (OMP_DISPLAY_ENV); the CLI sets
        # passive before libgomp's constructor runs, without re-executing itself.
        env = {k: v for k, v in os.environ.items() if k != 'OMP_WAIT_POLICY'}
        env['OMP_DISPLAY_ENV'] = 'true'
        r = subprocess.run([CLI, '--version'], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("OMP_WAIT_POLICY = 'PASSIVE'", r.stderr)
        self.assertEqual(r.stderr.count('OPENMP DISPLAY ENVIRONMENT BEGIN'), 1)  # loaded once: no re-exec
        env['OMP_WAIT_POLICY'] = 'active'
        r = subprocess.run([CLI, '--version'], capture_output=True, text=True, env=env)
        self.assertIn("OMP_WAIT_POLICY = 'ACTIVE'", r.stderr)

    def test_results_beside_their_inputs_in_one_hdf5_file(self):
        # h5py users keep results in the file that holds the input. libhdf5 cannot reopen
        # for writing a file it holds read-only; every writing command opens it once.
        A = self.rng.random((40, 30))
        x = self.rng.random(30)
        f = self.path('f.h5')
        with h5py.File(f, 'w') as h:
            h['A'] = A
            h['x'] = x
            h.attrs['note'] = 'kept'
        self.ok('matvec', f + ':/A', f + ':/x', '-o', f + ':/y', '-q')
        self.ok('reduce', f + ':/A', '--op', 'sum', '--axis', '0', '-o', f + ':/s', '-q')
        self.ok('convert', f + ':/A', f + ':/results/B', '--chunks', '8,8', '--compression', 'gzip', '-q')
        self.ok('convert', f + ':/A', f + ':/A', '--to-dtype', 'float32', '-q')  # replaced in place
        with h5py.File(f, 'r') as h:
            np.testing.assert_allclose(h['y'][:], A @ x, rtol=1e-12)
            np.testing.assert_allclose(h['s'][:], A.sum(axis=0), rtol=1e-12)
            np.testing.assert_array_equal(h['results/B'][:], A)
            self.assertEqual(h['results/B'].compression, 'gzip')
            np.testing.assert_array_equal(h['A'][:], A.astype(np.float32))
            np.testing.assert_array_equal(h['x'][:], x)
            self.assertEqual(h.attrs['note'], 'kept')
            self.assertEqual(sorted(h), ['A', 'results', 's', 'x', 'y'])

    def test_matmul_result_beside_its_inputs(self):
        A = self.rng.random((20, 20))
        f = self.path('m.h5')
        with h5py.File(f, 'w') as h:
            h['A'] = A
        self.ok('matmul', f + ':/A', f + ':/A', '-o', f + ':/AA', '-q')
        with h5py.File(f, 'r') as h:
            np.testing.assert_allclose(h['AA'][:], A @ A, rtol=1e-12)

if __name__ == '__main__':
    unittest.main()
