"""HDF5 interop with the real h5py (Debian python3-h5py): h5py reads every file mammoth
writes, and mammoth reads every file h5py writes (through `mammoth ls --json --data`)."""
import json
import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

from interop_support import TempDirCase

CLI = os.environ.get('MAMMOTH_CLI', 'mammoth')
H5_SAMPLE = os.environ.get('MAMMOTH_H5_SAMPLE', 'h5_sample')


def run(*args, check=True):
    p = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"mammoth {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def ls_json(path, limit=100000):
    return {o['path']: o for o in json.loads(run('ls', path, '--json', '--data', '--limit', limit).stdout)['objects']}


def decode(value):
    """ls --json writes complex numbers as strings like "1+2j"."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    return complex(value) if isinstance(value, str) else value


DTYPES = ['?', 'i1', '<i2', '>i2', '<i4', '>i4', '<i8', '>i8', 'u1', '<u2', '>u2', '<u4', '>u4', '<u8', '>u8',
          '<f2', '>f2', '<f4', '>f4', '<f8', '>f8', '<c8', '>c8', '<c16', '>c16']


class Setup(TempDirCase):
    pass


class H5pyReadsOurs(Setup):
    def test_sample_file(self):
        p = self.path('sample.h5')
        subprocess.run([H5_SAMPLE, p], check=True)
        with h5py.File(p, 'r') as f:
            c = f['contiguous']
            self.assertEqual(c.dtype, np.dtype('<f4'))
            self.assertIsNone(c.chunks)
            np.testing.assert_array_equal(c[()], np.arange(600, dtype='f4').reshape(20, 30))
            ch = f['chunked']
            self.assertEqual(ch.chunks, (7, 9))
            np.testing.assert_array_equal(ch[()], np.arange(2000).reshape(50, 40))
            gz = f['gzip_shuffle']
            self.assertEqual((gz.compression, gz.compression_opts, gz.shuffle), ('gzip', 5, True))
            np.testing.assert_array_equal(gz[()], np.arange(4096, dtype='f8').reshape(64, 64))
            self.assertTrue(f['fletcher32'].fletcher32)
            np.testing.assert_array_equal(f['fletcher32'][()], np.arange(25, dtype='f4'))
            r = f['resizable']
            self.assertEqual((r.shape, r.maxshape), ((7, 5), (None, 5)))
            np.testing.assert_array_equal(r[()], np.arange(35, dtype='i4').reshape(7, 5))
            fd = f['filled']
            self.assertEqual(fd.fillvalue, 3.5)
            np.testing.assert_array_equal(fd[()], [0, 1, 2, 3, 4, 3.5, 3.5, 3.5, 3.5, 3.5])
            self.assertEqual(f['nested/a/b/deep'].dtype, np.dtype('<u2'))
            self.assertEqual(f['nested/a/b/deep'].name, '/nested/a/b/deep')
            np.testing.assert_array_equal(f['nested/a/b/deep'][()], [0, 1, 2])
            for obj in (f, f['nested/a'], f['contiguous']):
                a = obj.attrs
                self.assertEqual(a['int'], -7)
                self.assertEqual(a['float'], 2.5)
                self.assertEqual(a['flag'], True)
                self.assertEqual(a['text'], 'héllo')
                np.testing.assert_array_equal(a['vector'], [0, 1, 2, 3])

    def test_every_dtype_as_h5py_writes_it(self):
        p = self.path('sample.h5')
        subprocess.run([H5_SAMPLE, p], check=True)
        with h5py.File(p, 'r') as f:
            g = f['dtypes']
            self.assertEqual(len(g), len(DTYPES))
            for name, d in g.items():
                dt = d.dtype
                if dt.kind == 'c':
                    np.testing.assert_array_equal(d[()], np.arange(6) + 1j * (np.arange(6) % 3), err_msg=name)
                else:
                    np.testing.assert_array_equal(d[()], np.array([0, 1, 0, 1, 1, 0]).astype(dt), err_msg=name)
                self.assertEqual(name.startswith('be_'), dt.byteorder == '>', name)
            self.assertEqual(g['bool'].dtype, np.dtype('?'))  # h5py's FALSE/TRUE enum
            self.assertEqual(g['le_complex64'].dtype, np.dtype('<c8'))
            self.assertEqual(g['be_complex128'].dtype, np.dtype('>c16'))
            self.assertEqual(g['le_float16'].dtype, np.dtype('<f2'))

    @unittest.skipUnless(os.environ.get('MAMMOTH_H5_WORKLOADS'), 'bench/h5_workloads not built')
    def test_benchmark_workloads_write_valid_files(self):
        workloads = os.environ['MAMMOTH_H5_WORKLOADS']
        p = self.path('rows.h5')
        subprocess.run([workloads, 'fill-rows', p, '--rows', '4', '--cols', '1000'], check=True)
        with h5py.File(p, 'r') as f:
            d = f['dataset'][()]
            self.assertEqual(d.shape, (4, 1000))
            self.assertTrue(((d >= 0) & (d < 1)).all())
            self.assertGreater(d.std(), 0.2)
        t = self.path('tiles.h5')
        subprocess.run([workloads, 'tiles', t, '--size', '200', '--tile', '50'], check=True)
        with h5py.File(t, 'r') as f:
            self.assertEqual(f['chunked'].chunks, (50, 50))
            self.assertTrue((f['chunked'][()] < 1).all())


class WeReadH5py(Setup):
    def make(self):
        p = self.path('theirs.h5')
        with h5py.File(p, 'w') as f:
            f.attrs['title'] = 'from h5py'
            f.attrs['n'] = np.int32(12)
            f.attrs['scale'] = 0.25
            f.attrs['on'] = True
            f.attrs['v'] = np.array([1.5, 2.5])
            f.create_dataset('contiguous', data=np.arange(120, dtype='<f4').reshape(10, 12))
            f.create_dataset('chunked', data=np.arange(500, dtype='<i8').reshape(20, 25), chunks=(6, 7))
            f.create_dataset('gzip', data=np.arange(4000, dtype='<f8').reshape(40, 100), chunks=(10, 10),
                             compression='gzip', compression_opts=7, shuffle=True, fletcher32=True)
            f.create_dataset('resizable', data=np.arange(6).reshape(2, 3), maxshape=(None, 3))
            f.create_dataset('filled', shape=(5,), dtype='f4', fillvalue=-1.0)
            f['filled'][:2] = [7, 8]
            g = f.create_group('a/b')
            g.attrs['where'] = 'deep'
            g.create_dataset('c', data=np.array([3, 2, 1], dtype='>u4'))
            f['link'] = h5py.SoftLink('/a/b/c')
            t = f.create_group('types')
            for code in DTYPES:
                dt = np.dtype(code)
                values = np.arange(6) + 1j * (np.arange(6) % 3) if dt.kind == 'c' else np.array([0, 1, 0, 1, 1, 0])
                t.create_dataset(dt.str.replace('|', '').replace('<', 'le').replace('>', 'be'), data=values.astype(dt))
            f.create_dataset('records', data=np.zeros(2, dtype=[('x', 'i4'), ('y', 'f8')]))
            f.create_dataset('strings', data=np.array([b'a', b'b']))
        return p

    def test_tree_properties_and_values(self):
        objs = ls_json(self.make())
        root = objs['/']['attrs']
        self.assertEqual(root, {'title': 'from h5py', 'n': 12, 'scale': 0.25, 'on': True, 'v': [1.5, 2.5]})
        c = objs['/contiguous']
        self.assertEqual((c['shape'], c['dtype'], c['chunks']), ([10, 12], '<f4', None))
        self.assertEqual(c['data'], list(range(120)))
        ch = objs['/chunked']
        self.assertEqual((ch['chunks'], ch['data']), ([6, 7], list(range(500))))
        gz = objs['/gzip']
        self.assertEqual(gz['filters'], ['shuffle', 'gzip(7)', 'fletcher32'])
        self.assertEqual(gz['data'], list(range(4000)))
        self.assertEqual(objs['/resizable']['maxshape'], [None, 3])
        self.assertEqual(objs['/resizable']['data'], list(range(6)))
        self.assertEqual(objs['/filled']['fill_value'], -1.0)
        self.assertEqual(objs['/filled']['data'], [7, 8, -1, -1, -1])
        self.assertEqual(objs['/a/b']['attrs'], {'where': 'deep'})
        self.assertEqual((objs['/a/b/c']['dtype'], objs['/a/b/c']['data']), ('>u4', [3, 2, 1]))
        self.assertEqual(objs['/link']['soft_link'], '/a/b/c')
        self.assertEqual(objs['/link']['data'], [3, 2, 1])

    def test_every_dtype(self):
        objs = ls_json(self.make())
        for code in DTYPES:
            dt = np.dtype(code)
            name = '/types/' + dt.str.replace('|', '').replace('<', 'le').replace('>', 'be')
            o = objs[name]
            self.assertEqual(o['dtype'], dt.str, name)
            if dt.kind == 'c':
                self.assertEqual(decode(o['data']), list(np.arange(6) + 1j * (np.arange(6) % 3)), name)
            elif dt.kind == 'b':
                self.assertEqual(o['data'], [False, True, False, True, True, False])
            else:
                self.assertEqual(o['data'], [0, 1, 0, 1, 1, 0], name)

    def test_ls_one_group_or_dataset(self):
        p = self.make()
        objs = json.loads(run('ls', f'{p}:/a', '--json').stdout)['objects']
        self.assertEqual([o['path'] for o in objs], ['/a', '/a/b', '/a/b/c'])
        objs = json.loads(run('ls', f'{p}:/a/b/c', '--json', '--data').stdout)['objects']
        self.assertEqual([(o['path'], o['data']) for o in objs], [('/a/b/c', [3, 2, 1])])
        r = run('ls', f'{p}:/nope', check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('theirs.h5:/nope: no such group or dataset', r.stderr)

    def test_unsupported_types_are_named(self):
        objs = ls_json(self.make())
        self.assertIsNone(objs['/records']['dtype'])
        self.assertEqual(objs['/records']['type'], 'compound {x, y}')
        self.assertIsNone(objs['/strings']['dtype'])
        self.assertIn('string', objs['/strings']['type'])
        text = run('ls', self.make()).stdout
        self.assertIn('/records  (2,) compound {x, y} (unsupported)', text)


def has_command(name):
    listing = subprocess.run([CLI, '--help'], capture_output=True, text=True).stdout
    return any(line.split()[:1] == [name] for line in listing.splitlines())


@unittest.skipUnless(has_command('convert') and has_command('info') and has_command('random'),
                     'mammoth info/random/convert not built yet')
class GenericCommands(Setup):
    """`FILE.h5:/path` through open_store/create_store: info, random, convert both ways."""

    def test_convert_h5py_datasets_to_npy(self):
        p = self.path('theirs.h5')
        data = {
            'b': np.array([True, False, True]),
            'c': np.array([1 + 2j, 3 - 4j], dtype='>c8'),
            'e': np.arange(6, dtype='>i2').reshape(2, 3),
            'h': np.array([0.5, -2.0], dtype='<f2'),
            'g/gz': np.arange(10000.0).reshape(100, 100),
        }
        with h5py.File(p, 'w') as f:
            for name, a in data.items():
                if name == 'g/gz':
                    f.create_dataset(name, data=a, chunks=(10, 10), compression='gzip', shuffle=True)
                else:
                    f[name] = a
        for name, a in data.items():
            out = self.path(name.replace('/', '_') + '.npy')
            run('convert', f'{p}:/{name}', out)
            b = np.load(out)
            np.testing.assert_array_equal(b, a, err_msg=name)
            self.assertEqual(b.dtype, a.dtype, name)

    def test_npy_to_h5_with_chunks_and_compression(self):
        src = self.path('a.npy')
        a = np.arange(2400, dtype='<f8').reshape(40, 60)
        np.save(src, a)
        dst = self.path('ours.h5')
        run('convert', src, f'{dst}:/deep/x', '--chunks', '10,20', '--compression', 'gzip', '--shuffle')
        with h5py.File(dst, 'r') as f:
            d = f['deep/x']
            self.assertEqual((d.chunks, d.compression, d.shuffle), ((10, 20), 'gzip', True))
            np.testing.assert_array_equal(d[()], a)

    def test_random_and_info(self):
        p = self.path('r.h5')
        run('random', f'{p}:/x', '--shape', '30,40', '--dtype', 'float32', '--chunks', '10,10')
        info = json.loads(run('info', f'{p}:/x', '--json').stdout)
        self.assertEqual((info['shape'], info['dtype'], info['format']), ([30, 40], '<f4', 'HDF5'))
        self.assertEqual((info['layout'], info['chunks']), ('chunked', '(10, 10)'))
        with h5py.File(p, 'r') as f:
            x = f['x'][()]
            self.assertEqual(x.shape, (30, 40))
            self.assertTrue(((x >= 0) & (x < 1)).all())

    def test_unsupported_type_is_named(self):
        p = self.path('rec.h5')
        with h5py.File(p, 'w') as f:
            f['records'] = np.zeros(2, dtype=[('x', 'i4'), ('y', 'f8')])
        r = run('info', f'{p}:/records', check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('rec.h5:/records', r.stderr)
        self.assertIn('compound {x, y}', r.stderr)


class BadFiles(Setup):
    def test_not_hdf5(self):
        p = self.path('text.h5')
        with open(p, 'w') as f:
            f.write('not hdf5 at all\n' * 10)
        r = run('ls', p, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('not an HDF5 file', r.stderr)
        self.assertIn('text.h5', r.stderr)

    def test_truncated(self):
        p = self.path('full.h5')
        with h5py.File(p, 'w') as f:
            f.create_dataset('x', data=np.arange(10000.0))
        with open(p, 'rb') as f:
            data = f.read()
        cut = self.path('cut.h5')
        with open(cut, 'wb') as f:
            f.write(data[:len(data) // 2])
        r = run('ls', cut, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('truncated', r.stderr)
        self.assertNotIn('HDF5-DIAG', r.stderr)  # libhdf5's own printing stays off

    def test_missing(self):
        r = run('ls', self.path('nope.h5'), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('no such file', r.stderr)


if __name__ == '__main__':
    unittest.main()
