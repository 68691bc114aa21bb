"""The HDF5 files users actually have, made at test time with the libraries that write
them (Debian's python3-anndata, python3-tables, python3-netcdf4, python3-hdf5plugin and
h5py): for every dataset, `mammoth ls`, `info` and `convert` to .npy give the writer's
values, or one clear line of error for a type mammoth does not hold; never HDF5-DIAG."""
import json
import os
import subprocess
import unittest
import warnings

import h5py
import hdf5plugin
import numpy as np
import scipy.sparse as sp

from interop_support import TempDirCase

CLI = os.environ.get('MAMMOTH_CLI', 'mammoth')

# HDF5 is recognised by its signature (path.hpp), so anndata's .h5ad and netCDF4's .nc
# files are read under their own names.


def run(*args, ok=True, env=None):
    p = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True, env=env)
    assert 'HDF5-DIAG' not in p.stderr + p.stdout, p.stderr
    if ok and p.returncode != 0:
        raise AssertionError(f"mammoth {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def datasets(path):
    """Every dataset of the file, as h5py sees it: {'/path': h5py.Dataset metadata}."""
    out = {}
    with h5py.File(path, 'r') as f:
        f.visititems(lambda name, obj: out.__setitem__('/' + name, (obj.dtype, obj.shape))
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def held(dtype):
    """Element types mammoth holds: bool, integers, floats, h5py's complex."""
    return dtype.fields is None and dtype.kind in 'biufc' and dtype.subdtype is None


class Corpus(TempDirCase):

    def check_file(self, path, expected=None, bools=()):
        """ls, info and convert on every dataset of `path`. `expected` maps dataset paths to
        the writer's arrays (else h5py's reading is the reference); `bools` are PyTables'
        bitfield bools, which h5py reads as uint8."""
        expected = expected or {}
        listing = run('ls', path)
        self.assertNotIn('HDF5-DIAG', listing.stderr)
        objects = {o['path']: o for o in json.loads(run('ls', '--json', path).stdout)['objects']}
        checked = 0
        for name, (dtype, shape) in datasets(path).items():
            with self.subTest(file=os.path.basename(path), dataset=name):
                self.assertIn(name, objects)
                spec = f'{path}:{name}'
                out = self.path('out.npy')
                if os.path.exists(out):
                    os.remove(out)
                if name in bools or held(dtype):
                    info = run('info', spec)
                    self.assertIn(str(shape[0]) if shape else '', info.stdout)
                    run('convert', '-q', spec, out)
                    got = np.load(out)
                    if name in expected:
                        want = np.asarray(expected[name])
                    else:
                        with h5py.File(path, 'r') as f:
                            want = f[name][()]
                    if name in bools:
                        want = want.astype(bool)
                        self.assertEqual(got.dtype, np.bool_)
                    np.testing.assert_array_equal(got, want)
                    self.assertEqual(got.shape, tuple(shape))
                    checked += 1
                else:
                    r = run('convert', '-q', spec, out, ok=False)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertTrue(r.stderr.startswith(f'mammoth: error: {spec}'), r.stderr)
                    self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
                    self.assertFalse(os.path.exists(out))
        return checked

    def test_anndata_h5ad_csr_and_csc(self):
        import anndata
        import pandas as pd
        rng = np.random.default_rng(0)
        X = sp.random(60, 40, density=0.1, format='csr', random_state=1, dtype=np.float32)
        obs = pd.DataFrame({'cell_type': pd.Categorical(rng.choice(['a', 'b'], 60)), 'n': np.arange(60)},
                           index=[f'c{i}' for i in range(60)])
        var = pd.DataFrame(index=[f'g{i}' for i in range(40)])
        for fmt in ('csr', 'csc'):
            with self.subTest(X=fmt):
                ad = anndata.AnnData(X=X.asformat(fmt), obs=obs, var=var)
                ad.layers['counts'] = X.asformat('csc' if fmt == 'csr' else 'csr') * 2
                ad.obsm['X_pca'] = rng.random((60, 5))
                h5ad = self.path(f'{fmt}.h5ad')
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    ad.write_h5ad(h5ad)
                path = h5ad
                self.check_file(path, {'/obsm/X_pca': ad.obsm['X_pca'], '/obs/n': np.arange(60)})
                listing = run('ls', path).stdout
                self.assertIn(f'/X/  sparse {fmt} matrix (60, 40) float32, nnz {X.nnz}', listing)
                self.assertIn('/layers/counts/  sparse', listing)
                for group, want in (('X', X), ('layers/counts', X * 2)):
                    out = self.path('m.npz')
                    run('convert', f'{path}:/{group}', out)
                    np.testing.assert_array_equal(sp.load_npz(out).toarray(), want.toarray())
                info = json.loads(run('info', '--json', f'{path}:/X').stdout)
                self.assertEqual((info['format'], info['nnz']), (fmt, X.nnz))

    def test_anndata_round_trip_through_npz_and_spmv(self):
        import anndata
        X = sp.random(3000, 800, density=0.02, format='csr', random_state=4, dtype=np.float64)
        h5ad = self.path('a.h5ad')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            anndata.AnnData(X=X, dtype=X.dtype).write_h5ad(h5ad)
        path = h5ad
        npz = self.path('X.npz')
        run('convert', f'{path}:/X', npz)
        np.testing.assert_array_equal(sp.load_npz(npz).toarray(), X.toarray())
        x = np.random.default_rng(5).random(800)
        np.save(self.path('x.npy'), x)
        run('spmv', f'{path}:/X', self.path('x.npy'), '-o', self.path('y.npy'), '--budget', '64MiB')
        np.testing.assert_allclose(np.load(self.path('y.npy')), X @ x, rtol=1e-12)
        # Back into the .h5ad: anndata reads our group as its own X.
        with h5py.File(path, 'a') as f:
            del f['X']
        run('convert', npz, f'{path}:/X')
        back = anndata.read_h5ad(path)
        self.assertTrue(sp.issparse(back.X))
        np.testing.assert_array_equal(back.X.toarray(), X.toarray())

    def test_netcdf4_zlib_and_unlimited_dimensions(self):
        import netCDF4
        path = self.path('c.nc')
        t = np.arange(12, dtype='f8')
        temp = np.random.default_rng(2).random((12, 4, 5)).astype('f4')
        with netCDF4.Dataset(path, 'w') as nc:
            nc.createDimension('time', None)  # unlimited
            nc.createDimension('y', 4)
            nc.createDimension('x', 5)
            nc.createVariable('time', 'f8', ('time',))[:] = t
            v = nc.createVariable('temp', 'f4', ('time', 'y', 'x'), zlib=True, complevel=4, shuffle=True)
            v[:] = temp
            v.units = 'K'
            nc.createVariable('count', 'i2', ('y', 'x'), zlib=True)[:] = np.arange(20, dtype='i2').reshape(4, 5)
            nc.title = 'corpus\nmulti-line'
        path_h5 = path  # a .nc name: HDF5 by its signature
        self.check_file(path_h5, {'/temp': temp, '/time': t})
        listing = run('ls', path_h5).stdout
        self.assertIn('/temp  (12, 4, 5) float32', listing)
        self.assertIn('maxshape (None, 4, 5)', listing)
        self.assertIn('shuffle, gzip(4)', listing)
        self.assertIn('@title = "corpus\\nmulti-line"', listing)

    def test_pytables_carray_earray_table_and_bools(self):
        import tables
        path = self.path('t.h5')
        a = np.arange(3000, dtype='f8').reshape(100, 30)
        bools = np.arange(50) % 3 == 0
        with tables.open_file(path, 'w') as t:
            t.create_carray('/', 'zlib', obj=a, filters=tables.Filters(complevel=5, complib='zlib'))
            t.create_carray('/', 'blosc', obj=a, filters=tables.Filters(complevel=5, complib='blosc'))
            t.create_carray('/', 'blosc_lz4', obj=a, filters=tables.Filters(complevel=3, complib='blosc:lz4'))
            t.create_carray('/', 'bools', obj=bools, filters=tables.Filters(complevel=1))
            e = t.create_earray('/', 'earray', atom=tables.Int32Atom(), shape=(0, 4),
                                filters=tables.Filters(complevel=1, complib='zlib'))
            e.append(np.arange(40, dtype='i4').reshape(10, 4))
            t.create_table('/', 'table', {'a': tables.Int32Col(), 'b': tables.Float64Col()})
            t.create_array('/', 'plain', obj=np.arange(7, dtype='i8'))
        n = self.check_file(path, {'/zlib': a, '/blosc': a, '/blosc_lz4': a, '/bools': bools,
                                   '/earray': np.arange(40).reshape(10, 4)}, bools=('/bools',))
        self.assertEqual(n, 6)
        listing = run('ls', path).stdout
        self.assertIn('/bools  (50,) bool', listing)
        self.assertNotIn('\n    @FILTERS = "', listing.replace('\\n', ''))  # no raw newline broke the tree
        for line in listing.splitlines():
            self.assertTrue(line.startswith('/') or line.startswith('    @') or line.startswith('    data'), line)

    def test_h5py_filters_byte_orders_and_user_block(self):
        path = self.path('h.h5')
        a = np.linspace(-5, 5, 4000).reshape(200, 20)
        ints = np.arange(4000, dtype='i4').reshape(200, 20)
        with h5py.File(path, 'w', userblock_size=1024) as f:
            f.create_dataset('lzf', data=a, compression='lzf')
            f.create_dataset('lzf_shuffle', data=ints, compression='lzf', shuffle=True)
            f.create_dataset('gzip', data=a, compression='gzip', compression_opts=9)
            f.create_dataset('scaleoffset_int', data=ints, scaleoffset=0)
            f.create_dataset('scaleoffset_float', data=a, scaleoffset=3)  # lossy: h5py's reading is the reference
            f.create_dataset('fletcher32', data=a, fletcher32=True, chunks=(50, 20))
            f.create_dataset('big_endian', data=a.astype('>f8'))
            f.create_dataset('big_endian_int_chunked', data=ints.astype('>i4'), chunks=(20, 20))
            f.create_dataset('contiguous', data=a)
            f.create_dataset('zstd_blosc', data=a, **hdf5plugin.Blosc(cname='zstd', clevel=5))
            f.create_dataset('lz4', data=a, **hdf5plugin.LZ4())
            f.create_dataset('bzip2', data=a, **hdf5plugin.BZip2())
            f.create_dataset('strings', data=np.array([b'ab', b'cd']))
            f.create_dataset('records', data=np.zeros(3, dtype=[('a', '<i4'), ('b', '<f8')]))
        with open(path, 'r+b') as f:
            f.write(b'user block: not HDF5')
        n = self.check_file(path, {'/lzf': a, '/lzf_shuffle': ints, '/gzip': a, '/scaleoffset_int': ints,
                                   '/fletcher32': a, '/big_endian': a, '/big_endian_int_chunked': ints,
                                   '/contiguous': a, '/zstd_blosc': a, '/lz4': a, '/bzip2': a})
        self.assertEqual(n, 12)
        listing = run('ls', path).stdout
        for shown in ('/lzf  (200, 20) float64, chunks', ', lzf,', 'shuffle, lzf', 'gzip(9)', 'scaleoffset',
                      'fletcher32', '/big_endian  (200, 20) >f8'.replace('>f8', 'float64'), 'blosc(zstd, 5, shuffle)',
                      ', lz4,', 'bzip2(9)'):
            self.assertIn(shown, listing)

    def test_h5py_reads_what_we_compress(self):
        src = self.path('a.npy')
        a = np.random.default_rng(3).random((300, 40))
        np.save(src, a)
        dst = self.path('w.h5')
        for i, spec in enumerate(('lzf', 'gzip=3', 'blosc', 'blosc=zstd:4', 'lz4', 'bzip2=5')):
            run('convert', '-q', src, f'{dst}:/d{i}', '--compression', spec, '--chunks', '50,40', '--shuffle')
        with h5py.File(dst, 'r') as f:
            for i in range(6):
                np.testing.assert_array_equal(f[f'd{i}'][()], a)
            self.assertEqual(f['d0'].compression, 'lzf')

    def test_missing_filter_is_one_line(self):
        path = self.path('b.h5')
        with h5py.File(path, 'w') as f:
            f.create_dataset('x', data=np.arange(100.0), **hdf5plugin.Blosc())
            f.create_dataset('y', data=np.arange(4))
        empty = self.path('no-plugins')
        os.mkdir(empty)
        env = dict(os.environ, HDF5_PLUGIN_PATH=empty)
        r = run('convert', '-q', f'{path}:/x', self.path('x.npy'), ok=False, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith(
            f"mammoth: error: {path}:/x: compressed with 'blosc' (HDF5 filter 32001), which is not available; "
            "install Debian's hdf5-filter-plugin-blosc-serial"), r.stderr)
        self.assertEqual(r.stderr.count('\n'), 1)
        r = run('ls', '--data', path, env=env)
        self.assertIn('(unreadable: ', r.stdout)
        self.assertIn('data: [0, 1, 2, 3]', r.stdout)


if __name__ == '__main__':
    unittest.main()
