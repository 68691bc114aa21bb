"""mammoth's sparse files and operations against the real scipy (Debian python3-scipy).

scipy writes, mammoth reads (and the reverse); every operation mammoth exposes is
compared with scipy's answer on the same input.
"""
import json, os, subprocess, tempfile, unittest

import numpy as np
import scipy.io
import scipy.sparse as sp

from interop_support import SANITIZED

CLI = os.environ.get('MAMMOTH_CLI', 'mammoth')
# The test fixture running one library operation on files (tests/interop/sparse_ops.cpp).
SPARSE_OPS = os.environ.get('MAMMOTH_SPARSE_OPS', 'sparse_ops')


def run(*args, ok=True, program=None):
    p = subprocess.run([program or CLI, *map(str, args)], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise AssertionError(f"{program or 'mammoth'} {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def op(*args):
    return run(*args, program=SPARSE_OPS)


def dense(m):
    return m.toarray() if sp.issparse(m) else np.asarray(m)


class SparseInterop(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        rng = np.random.default_rng(0)
        self.a = sp.random(23, 31, density=0.15, format='csr', random_state=rng)
        self.b = sp.random(23, 31, density=0.15, format='csr', random_state=rng)

    def tearDown(self):
        self.tmp.cleanup()

    def p(self, name):
        return os.path.join(self.dir, name)

    def test_we_load_every_format_scipy_saves(self):
        for fmt in ('csr', 'csc', 'coo', 'bsr', 'dia'):
            for dtype in (np.float64, np.float32, np.int32, np.int64, np.complex128, np.bool_, np.int8):
                for compressed in (True, False):
                    with self.subTest(fmt=fmt, dtype=dtype, compressed=compressed):
                        m = (self.a * 10).astype(dtype).asformat(fmt)
                        if fmt == 'bsr':
                            m = sp.random(24, 30, density=0.2, format='csr', random_state=1).astype(dtype).tobsr(blocksize=(3, 2))
                        src, dst = self.p('s.npz'), self.p('o.npz')
                        sp.save_npz(src, m, compressed=compressed)
                        info = json.loads(run('info', '--json', src).stdout)
                        self.assertEqual(info['format'], fmt)
                        self.assertEqual(info['shape'], list(m.shape))
                        run('convert', src, dst)  # keeps the format
                        back = sp.load_npz(dst)
                        self.assertEqual(back.format, fmt)
                        if dtype in (np.float64, np.float32, np.int32, np.int64, np.complex128, np.bool_):
                            self.assertEqual(back.dtype, m.dtype)
                        np.testing.assert_array_equal(dense(back), dense(m).astype(back.dtype))
                        if fmt == 'bsr':
                            self.assertEqual(back.blocksize, m.blocksize)

    def test_scipy_loads_what_we_save_in_every_format(self):
        src = self.p('a.npz')
        sp.save_npz(src, self.a)
        for fmt in ('csr', 'csc', 'coo', 'bsr', 'dia'):
            for flag in ([], ['--uncompressed']):
                with self.subTest(fmt=fmt, flag=flag):
                    dst = self.p(f'{fmt}.npz')
                    run('convert', src, dst, '--format', fmt, *flag)
                    m = sp.load_npz(dst)
                    self.assertEqual(m.format, fmt)
                    np.testing.assert_array_equal(dense(m), dense(self.a))

    def test_random_matches_scipy_semantics(self):
        for fmt in ('csr', 'csc', 'coo', 'bsr', 'dia'):
            for dtype in ('float64', 'float32', 'complex64', 'int64', 'bool'):
                with self.subTest(fmt=fmt, dtype=dtype):
                    path = self.p('r.npz')
                    run('random', path, '--shape', '40,50', '--density', '0.1', '--format', fmt,
                        '--dtype', dtype, '--seed', 5)
                    m = sp.load_npz(path)
                    self.assertEqual(m.format, fmt)
                    self.assertEqual(m.dtype, np.dtype(dtype))
                    c = m.tocoo()
                    self.assertEqual(len(set(zip(c.row, c.col))), 200)  # exactly round(0.1·40·50) distinct
                    if dtype == 'float64':
                        d = m.toarray()
                        self.assertTrue(((d >= 0) & (d < 1)).all())
                        self.assertEqual(np.count_nonzero(d), 200)
        big = self.p('big.npz')
        run('random', big, '--shape', '1000,3000', '--density', '0.01')
        m = sp.load_npz(big)
        self.assertEqual(m.nnz, 30000)
        self.assertEqual(m.indices.dtype, np.int32)
        self.assertTrue(m.has_canonical_format)

    def test_matrix_market_both_ways(self):
        cases = {
            'real': self.a,
            'integer': (self.a * 100).astype(np.int64),
            'unsigned': (self.a * 100).astype(np.uint64),  # scipy writes field 'unsigned-integer'
            'complex': (self.a + 1j * self.b).tocsr(),
            'symmetric': (self.a[:, :23] + self.a[:, :23].T).tocsr(),
            'skew': (self.a[:, :23] - self.a[:, :23].T).tocsr(),
            'hermitian': (self.a[:, :23] * (1 + 2j) + (self.a[:, :23] * (1 + 2j)).conj().T).tocsr(),
        }
        for name, m in cases.items():
            for kind in ('coordinate', 'array'):
                with self.subTest(name=name, kind=kind):
                    path = self.p(f'{name}.mtx')
                    symmetry = {'symmetric': 'symmetric', 'skew': 'skew-symmetric', 'hermitian': 'hermitian'}.get(name, 'general')
                    target = m if kind == 'coordinate' else m.toarray()
                    scipy.io.mmwrite(path, target, symmetry=symmetry)
                    out = self.p('m.npz')
                    run('convert', path, out)
                    np.testing.assert_allclose(dense(sp.load_npz(out)), dense(m), rtol=1e-15, atol=0)
        with open(self.p('unsigned.mtx')) as f:
            self.assertIn('unsigned-integer', f.readline())
        with open(self.p('big.mtx'), 'w') as f:  # past int64: refused, not wrapped
            f.write('%%MatrixMarket matrix coordinate unsigned-integer general\n2 2 1\n1 1 18446744073709551615\n')
        r = run('convert', self.p('big.mtx'), self.p('big.npz'), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('big.mtx:3', r.stderr)
        pattern = self.p('pattern.mtx')
        scipy.io.mmwrite(pattern, self.a, field='pattern')
        run('convert', pattern, self.p('p.npz'))
        np.testing.assert_array_equal(dense(sp.load_npz(self.p('p.npz'))) != 0, dense(self.a) != 0)
        # Ours → scipy's reader, bit for bit.
        src = self.p('a.npz')
        sp.save_npz(src, self.a)
        run('convert', src, self.p('ours.mtx'))
        np.testing.assert_array_equal(dense(scipy.io.mmread(self.p('ours.mtx'))), dense(self.a))

    def test_spmv_spmm_and_streaming(self):
        src, x, y = self.p('a.npz'), self.p('x.npy'), self.p('y.npy')
        for fmt in ('csr', 'csc', 'coo', 'bsr', 'dia'):
            with self.subTest(fmt=fmt):
                sp.save_npz(src, self.a.asformat(fmt))
                v = np.linspace(-1, 1, 31)
                np.save(x, v)
                run('spmv', src, x, '-o', y)
                np.testing.assert_allclose(np.load(y), self.a @ v, rtol=1e-13, atol=1e-15)
        big = sp.random(2000, 500, density=0.05, format='csr', random_state=3)
        sp.save_npz(src, big, compressed=False)
        v = np.random.default_rng(1).random(500)
        np.save(x, v)
        run('spmv', src, x, '-o', y, '--budget', '64K')
        np.testing.assert_allclose(np.load(y), big @ v, rtol=1e-13)
        run('convert', src, self.p('big.h5') + ':/X')
        run('spmv', self.p('big.h5') + ':/X', x, '-o', y, '--budget', '64K')
        np.testing.assert_allclose(np.load(y), big @ v, rtol=1e-13)
        X = np.random.default_rng(2).random((31, 4))
        np.save(x, X)
        sp.save_npz(src, self.a)
        op('spmm', src, '--b', x, '-o', y)
        np.testing.assert_allclose(np.load(y), self.a @ X, rtol=1e-13)

    def test_streamed_convert_member_by_member(self):
        import h5py
        m = sp.random(3000, 700, density=0.05, format='csr', random_state=5, dtype=np.float64)
        m.data[:5] = [1e-300, -0.0, 1/3, 2.5e17, np.pi]
        for fmt in ('csr', 'csc'):
            with self.subTest(fmt=fmt):
                src = self.p('s.npz')
                sp.save_npz(src, m.asformat(fmt), compressed=False)
                h5 = self.p('s.h5') + ':/X'
                run('convert', src, h5, '--chunks', '4096', '--compression', 'gzip', '--budget', '4M', '-q')
                with h5py.File(self.p('s.h5')) as f:
                    g = f['X']
                    self.assertEqual(g.attrs['encoding-type'], fmt + '_matrix')
                    self.assertEqual(g['indices'].compression, 'gzip')
                    self.assertEqual(g['data'].chunks, (4096,))
                    back = (sp.csr_matrix if fmt == 'csr' else sp.csc_matrix)(
                        (g['data'][:], g['indices'][:], g['indptr'][:]), shape=tuple(g.attrs['shape']))
                self.assertEqual((back != m).nnz, 0)
                # group -> npz (deflated and stored), member by member. 6 MiB: libhdf5's
                # chunk caches (1 MiB a member) and one deflating thread's buffers (1.3 MiB)
                # are charged to the budget; at 4 MiB the command says so and stops.
                for flags in ([], ['--uncompressed']):
                    out = self.p('back.npz')
                    run('convert', h5, out, '--budget', '6M', '-q', *flags)
                    r = sp.load_npz(out)
                    self.assertEqual(r.format, fmt)
                    np.testing.assert_array_equal(r.data, m.asformat(fmt).data)
                    np.testing.assert_array_equal(r.indices, m.asformat(fmt).indices)
        # csr npz -> mtx streamed in row blocks, read by scipy; and back
        src = self.p('s.npz')
        sp.save_npz(src, m, compressed=False)
        run('convert', src, self.p('s.mtx'), '--budget', '4M', '-q')
        np.testing.assert_array_equal(scipy.io.mmread(self.p('s.mtx')).toarray(), m.toarray())
        run('convert', self.p('s.mtx'), self.p('r.npz'), '--budget', '4M', '-q')
        self.assertEqual((sp.load_npz(self.p('r.npz')) != m).nnz, 0)

    def test_deflated_npz_in_parallel_blocks_is_one_stream(self):
        # Members of several MiB are deflated in 512 KiB blocks on all threads (pigz's way,
        # libdeflate's deflater, the blocks joined into one stream); Python's zipfile inflates
        # each member as one stream and checks its CRC, and the archive is at most 2% larger
        # than scipy's own at the same level (6). libdeflate's is smaller here (0.958x: the
        # sorted indices deflate 12% smaller), so the bound is one-sided.
        import zipfile
        m = sp.random(4000, 5000, density=0.1, format='csr', random_state=7, dtype=np.float64)
        m.data = np.round(m.data * 1000) / 8  # some redundancy, so matches cross block edges
        src, out, peer = self.p('s.npz'), self.p('z.npz'), self.p('peer.npz')
        sp.save_npz(src, m, compressed=False)
        sp.save_npz(peer, m, compressed=True)
        for threads in ('1', '2', '3'):
            with self.subTest(threads=threads):
                env = dict(os.environ, OMP_NUM_THREADS=threads)
                p = subprocess.run([CLI, 'convert', src, out, '-q'], capture_output=True, text=True, env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                with zipfile.ZipFile(out) as z:
                    self.assertIsNone(z.testzip())
                    info = z.getinfo('data.npy')
                    self.assertEqual(info.compress_type, zipfile.ZIP_DEFLATED)
                    self.assertGreater(info.file_size, 5 << 20)
                r = sp.load_npz(out)
                np.testing.assert_array_equal(r.data, m.data)
                np.testing.assert_array_equal(r.indices, m.indices)
                np.testing.assert_array_equal(r.indptr, m.indptr)
                self.assertLess(os.path.getsize(out) / os.path.getsize(peer), 1.02)

    def test_unsorted_mtx_is_sorted_into_csr_in_bounded_memory(self):
        import h5py
        # 1,000,000 distinct entries in random order (as most .mtx files come): many runs
        # of the external sort at 8 MiB, merged into CSR.
        rng = np.random.default_rng(5)
        n, rows, cols = 1_000_000, 20000, 30000
        flat = rng.choice(rows * cols, n, replace=False)
        src = self.p('big.mtx')
        with open(src, 'w') as f:
            f.write(f'%%MatrixMarket matrix coordinate real general\n% unsorted\n{rows} {cols} {n}\n')
            np.savetxt(f, np.column_stack([flat // cols + 1, flat % cols + 1, rng.standard_normal(n)]),
                       fmt=['%d', '%d', '%.17g'])
        want = scipy.io.mmread(src).tocsr()
        out = self.p('big.npz')
        p = run('memit', '--json', '--', CLI, 'convert', src, out, '--budget', '8MiB', '-q')
        peak = json.loads(p.stderr or p.stdout)['runs'][0]['peak_mib']
        # Whole-process RSS: 12.5 MiB of it the program image and libraries; the compressed
        # .npz writer's deflate buffers (~2.7 MiB) are charged to the budget; measured 25.2.
        if not SANITIZED:
            self.assertLessEqual(peak, 8 + 18)
        got = sp.load_npz(out)
        self.assertTrue(got.has_canonical_format)
        np.testing.assert_array_equal(got.indptr, want.indptr)
        np.testing.assert_array_equal(got.indices, want.indices)
        np.testing.assert_array_equal(got.data, want.data)
        # Symmetric, skew, hermitian, integer, pattern, duplicates: scipy's values, into
        # .npz and a gzip HDF5 group, sorted in runs of about a thousand entries.
        m = sp.random(300, 300, density=0.05, random_state=7, format='coo')
        cases = {
            'sym': (m + m.T, {'symmetry': 'symmetric'}),
            'skew': (m - m.T, {'symmetry': 'skew-symmetric'}),
            'herm': ((m + m.T) + 1j * (m - m.T), {'symmetry': 'hermitian'}),
            'int': ((m * 100).astype(np.int64), {}),
            'pattern': (m, {'field': 'pattern'}),
        }
        for name, (a, kw) in cases.items():
            with self.subTest(case=name):
                path = self.p(name + '.mtx')
                scipy.io.mmwrite(path, a, **kw)
                want = scipy.io.mmread(path).tocsr()
                # Stored members: a deflating writer's buffers alone take ~2.7 MiB of a budget.
                run('convert', path, self.p(name + '.npz'), '--budget', '64K', '--uncompressed', '-q')
                got = sp.load_npz(self.p(name + '.npz'))
                self.assertEqual(got.dtype, want.dtype)
                self.assertTrue(got.has_canonical_format)
                np.testing.assert_array_equal(got.toarray(), want.toarray())
                run('convert', path, self.p(name + '.h5') + ':/X', '--compression', 'gzip', '-q')
                with h5py.File(self.p(name + '.h5')) as f:
                    g = f['X']
                    h = sp.csr_matrix((g['data'][:], g['indices'][:], g['indptr'][:]), shape=tuple(g.attrs['shape']))
                np.testing.assert_array_equal(h.toarray(), want.toarray())
        dup = self.p('dup.mtx')
        with open(dup, 'w') as f:  # duplicates, summed as scipy's tocsr sums them
            f.write('%%MatrixMarket matrix coordinate real general\n3 3 5\n3 1 1.5\n1 2 2\n3 1 0.25\n1 2 -2\n2 2 7\n')
        run('convert', dup, self.p('dup.npz'), '-q')
        got, want = sp.load_npz(self.p('dup.npz')), scipy.io.mmread(dup).tocsr()
        np.testing.assert_array_equal(got.indices, want.indices)
        np.testing.assert_array_equal(got.data, want.data)

    def test_gzip_group_streams_within_the_budget(self):
        # Chunks of 2 MiB of data: libhdf5's chunk cache and the parallel gzip reads' batch
        # and per-thread buffers are charged to the budget beside the engine's blocks
        # (BlockStore::working_bytes) and returned when freed. They take 22 MiB here, so a
        # 16 MiB budget is refused naming them.
        rng = np.random.default_rng(8)
        rows, per_row = 10000, 100
        indices = (np.arange(per_row, dtype=np.int32) * 300 + rng.integers(0, 300, (rows, per_row), dtype=np.int32))
        m = sp.csr_matrix((rng.random(rows * per_row), indices.ravel(), np.arange(rows + 1) * per_row),
                          shape=(rows, per_row * 300))
        src, h5 = self.p('m.npz'), self.p('g.h5') + ':/X'
        sp.save_npz(src, m, compressed=False)
        run('convert', src, h5, '--chunks', 262144, '--compression', 'gzip', '-q')
        x = self.p('x.npy')
        np.save(x, rng.random(m.shape[1]))

        def peak(*args):
            p = run('memit', '--json', '--', CLI, *args, '--budget', '32MiB', '-q')
            return json.loads(p.stderr or p.stdout)['runs'][0]['peak_mib']

        small = subprocess.run([CLI, 'spmv', h5, x, '-o', self.p('y.npy'), '--budget', '16MiB', '-q'],
                               capture_output=True, text=True)
        self.assertEqual(small.returncode, 1, small.stderr)
        self.assertIn('for the files\' back ends (HDF5 chunk caches, filter buffers) must fit', small.stderr)
        spmv_peak = peak('spmv', h5, x, '-o', self.p('y.npy'))
        np.testing.assert_allclose(np.load(self.p('y.npy')), m @ np.load(x), rtol=1e-12)
        convert_peak = peak('convert', h5, self.p('back.npz'))
        if not SANITIZED:
            self.assertLessEqual(spmv_peak, 32 + 16)
            self.assertLessEqual(convert_peak, 32 + 16)
        self.assertEqual((sp.load_npz(self.p('back.npz')) != m).nnz, 0)

    def test_failed_convert_keeps_the_destination(self):
        bad = self.a.copy()
        bad.indices[-1] = 99  # out of range: found while streaming
        src, dst = self.p('bad.npz'), self.p('out.mtx')
        sp.save_npz(src, bad, compressed=False)
        with open(dst, 'w') as f:
            f.write('old')
        p = run('convert', src, dst, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('indices[', p.stderr)
        with open(dst) as f:
            self.assertEqual(f.read(), 'old')
        self.assertEqual(sorted(os.listdir(self.dir)), ['bad.npz', 'out.mtx'])
        sp.save_npz(self.p('ok.npz'), self.a)
        run('convert', self.p('ok.npz'), self.p('g.h5') + ':/X')
        p = run('convert', src, self.p('g.h5') + ':/X', '-q', ok=False)
        # the old group is still there and whole
        import h5py
        with h5py.File(self.p('g.h5')) as f:
            self.assertEqual(sorted(f.keys()), ['X'])
            self.assertEqual(f['X']['data'].shape, self.a.data.shape)

    def test_info_json_escapes_the_path(self):
        src = self.p('we"ird\\name.npz')
        sp.save_npz(src, self.a)
        info = json.loads(run('info', '--json', src).stdout)
        self.assertEqual(info['path'], src)
        self.assertEqual(info['nnz'], self.a.nnz)

    def test_dense_npy_both_ways(self):
        src, out = self.p('a.npz'), self.p('a.npy')
        for dtype in (np.float64, np.float32, np.int64, np.complex64, np.bool_):
            with self.subTest(dtype=dtype):
                m = (self.a * 7).astype(dtype)
                sp.save_npz(src, m)
                run('convert', src, out)
                d = np.load(out)
                self.assertEqual(d.dtype, m.dtype)
                np.testing.assert_array_equal(d, m.toarray())
                np.save(out, m.toarray())
                run('convert', out, self.p('b.npz'), '--format', 'csc')
                back = sp.load_npz(self.p('b.npz'))
                self.assertEqual(back.format, 'csc')
                self.assertEqual(back.dtype, m.dtype)
                np.testing.assert_array_equal(back.toarray(), m.toarray())

    def test_operations_match_scipy(self):
        A, B = self.p('A.npz'), self.p('B.npz')
        sp.save_npz(A, self.a)
        sp.save_npz(B, self.b)
        sp.save_npz(self.p('Bt.npz'), self.b.T.tocsr())
        out = self.p('out.npz')
        checks = {
            'add': (['--b', B], self.a + self.b),
            'subtract': (['--b', B], self.a - self.b),
            'multiply': (['--b', B], self.a.multiply(self.b)),
            'matmul': (['--b', self.p('Bt.npz')], self.a @ self.b.T),
            'scale': (['--alpha', 2.5], self.a * 2.5),
            'transpose': ([], self.a.T),
            'slice': (['--args', 3, 17, 5, 29], self.a[3:17, 5:29]),
            'roundtrip': (['--args', 1, 1], self.a),
        }
        for name, (extra, want) in checks.items():
            with self.subTest(op=name):
                op(name, A, *extra, '-o', out)
                got = sp.load_npz(out)
                np.testing.assert_allclose(dense(got), dense(want), rtol=1e-14, atol=1e-15)
                self.assertTrue(got.has_canonical_format)
        sq = self.p('sq.npz')
        sp.save_npz(sq, self.a[:, :23].tocsr())
        op('roundtrip', sq, '--args', 23, 1, '-o', out)
        np.testing.assert_array_equal(dense(sp.load_npz(out)), dense(self.a[:, :23]))
        vec = self.p('v.npy')
        for name, want in (('sum0', self.a.sum(axis=0)), ('sum1', self.a.sum(axis=1)),
                           ('mean0', self.a.mean(axis=0)), ('mean1', self.a.mean(axis=1))):
            with self.subTest(op=name):
                op(name, A, '-o', vec)
                np.testing.assert_allclose(np.load(vec), np.asarray(want).ravel(), rtol=1e-13)
        for k in (0, 3, -4):
            op('diagonal', A, '--args', k, '-o', vec)
            np.testing.assert_array_equal(np.load(vec), self.a.diagonal(k))
        z = self.a.copy()
        z.data[::3] = 0
        sp.save_npz(self.p('z.npz'), z)
        op('eliminate_zeros', self.p('z.npz'), '-o', out)
        z.eliminate_zeros()
        self.assertEqual(sp.load_npz(out).nnz, z.nnz)
        # Duplicates in COO are summed, as scipy's tocsr does.
        coo = sp.coo_matrix(([1.0, 2.0, 3.0], ([0, 0, 1], [1, 1, 0])), shape=(2, 2))
        sp.save_npz(self.p('dup.npz'), coo)
        run('convert', self.p('dup.npz'), out, '--format', 'csr')
        got = sp.load_npz(out)
        self.assertEqual(got.nnz, 2)
        np.testing.assert_array_equal(got.toarray(), coo.toarray())

    def test_group_converted_beside_itself_in_one_file(self):
        # anndata's layers live beside X: X → layers/csc in the same .h5ad, read back by h5py.
        import h5py
        h5 = self.p('ad.h5ad')
        with h5py.File(h5, 'w') as f:
            g = f.create_group('X')
            g.attrs['encoding-type'], g.attrs['encoding-version'] = 'csr_matrix', '0.1.0'
            g.attrs['shape'] = np.array(self.a.shape)
            g['data'], g['indices'], g['indptr'] = self.a.data, self.a.indices, self.a.indptr
        run('convert', f'{h5}:/X', f'{h5}:/layers/csc', '--format', 'csc')
        with h5py.File(h5, 'r') as f:
            g = f['layers/csc']
            self.assertEqual(g.attrs['encoding-type'], 'csc_matrix')
            back = sp.csc_matrix((g['data'][:], g['indices'][:], g['indptr'][:]), shape=tuple(g.attrs['shape']))
            np.testing.assert_array_equal(back.toarray(), self.a.toarray())
            np.testing.assert_array_equal(f['X/data'][:], self.a.data)
        self.assertIn('same group', run('convert', f'{h5}:/X', f'{h5}:/X', ok=False).stderr)

    def test_hdf5_group_as_anndata_lays_it_out(self):
        import h5py
        h5 = self.p('m.h5')
        # What anndata writes (encoding-type/-version + shape), made with h5py.
        with h5py.File(h5, 'w') as f:
            for name, m in (('X', self.a), ('layers/c', self.a.tocsc())):
                g = f.create_group(name)
                g.attrs['encoding-type'] = f'{m.format}_matrix'
                g.attrs['encoding-version'] = '0.1.0'
                g.attrs['shape'] = np.array(m.shape)
                g['data'], g['indices'], g['indptr'] = m.data, m.indices, m.indptr
            old = f.create_group('old')  # h5sparse's older attribute names
            old.attrs['h5sparse_format'] = 'csr'
            old.attrs['h5sparse_shape'] = np.array(self.a.shape)
            old['data'], old['indices'], old['indptr'] = self.a.data, self.a.indices, self.a.indptr
        for group in ('X', 'layers/c', 'old'):
            with self.subTest(group=group):
                out = self.p('o.npz')
                run('convert', f'{h5}:/{group}', out)
                np.testing.assert_array_equal(sp.load_npz(out).toarray(), self.a.toarray())
        # Ours, read back by h5py the anndata way.
        src = self.p('a.npz')
        sp.save_npz(src, self.a)
        for fmt in ('csr', 'csc'):
            run('convert', src, f'{h5}:/ours_{fmt}', '--format', fmt)
            with h5py.File(h5, 'r') as f:
                g = f[f'ours_{fmt}']
                self.assertEqual(g.attrs['encoding-type'], f'{fmt}_matrix')
                cls = sp.csr_matrix if fmt == 'csr' else sp.csc_matrix
                m = cls((g['data'][:], g['indices'][:], g['indptr'][:]), shape=tuple(g.attrs['shape']))
                np.testing.assert_array_equal(m.toarray(), self.a.toarray())
        info = json.loads(run('info', '--json', f'{h5}:/X').stdout)
        self.assertEqual((info['format'], info['nnz']), ('csr', self.a.nnz))
        p = run('info', f'{h5}:/layers', ok=False)
        self.assertIn('not a sparse group', p.stderr)

    def test_info_and_errors(self):
        src = self.p('a.npz')
        sp.save_npz(src, self.a)
        info = json.loads(run('info', '--json', src).stdout)
        self.assertEqual(info['nnz'], self.a.nnz)
        self.assertEqual(info['csr_bytes'], self.a.data.nbytes + self.a.indices.nbytes + self.a.indptr.nbytes)
        self.assertEqual(info['dense_bytes'], 23 * 31 * 8)
        # Invalid structures from outside are refused with the reason, not a crash.
        bad = sp.csr_matrix(self.a)
        bad.indices[2] = 99
        np.savez(self.p('bad.npz'), format=np.array(b'csr'), shape=np.array(bad.shape), data=bad.data,
                 indices=bad.indices, indptr=bad.indptr)
        p = run('convert', self.p('bad.npz'), self.p('o.mtx'), ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('indices[2] = 99 is outside [0, 31)', p.stderr)
        np.savez(self.p('plain.npz'), x=np.arange(3))
        p = run('info', self.p('plain.npz'), ok=False)
        self.assertIn('does not contain a sparse matrix', p.stderr)
        bsr = np.savez(self.p('bsr.npz'), format=np.array(b'bsr'), shape=np.array([5, 4]),
                       data=np.zeros((1, 2, 2)), indices=np.array([0], np.int32), indptr=np.array([0, 1, 1], np.int32))
        p = run('convert', self.p('bsr.npz'), self.p('o.mtx'), ok=False)
        self.assertIn('does not divide the matrix', p.stderr)


if __name__ == '__main__':
    unittest.main()
