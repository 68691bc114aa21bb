#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target: small valid files made by the real peers
(numpy, scipy, h5py), one folder per target. Usage: seeds.py OUT_DIR"""
import io
import os
import sys
import zipfile
import zlib

import h5py
import numpy as np
import scipy.io
import scipy.sparse as sp


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(data)


def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def npy_seeds(out):
    rng = np.random.default_rng(0)
    arrays = {
        'f8': rng.random((3, 4)), 'f4_F': np.asfortranarray(rng.random((4, 3), dtype=np.float32)),
        'i2_be': np.arange(7, dtype='>i2'), 'u1': np.arange(9, dtype=np.uint8).reshape(3, 3),
        'bool': np.frombuffer(bytes([2, 0, 255, 1]), dtype=np.bool_), 'c16': np.arange(3) * (1 + 2j),
        'f2': np.arange(5, dtype=np.float16), 'scalar': np.array(3.5), 'empty': np.zeros((0, 3)),
    }
    for name, a in arrays.items():
        write(out, name + '.npy', npy_bytes(a))
    write(out, 'v2.npy', npy_bytes(np.arange(4.0), (2, 0)))
    write(out, 'v3.npy', npy_bytes(np.arange(4.0), (3, 0)))
    # numpy reads headers whose data start is not aligned
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n"
    write(out, 'unaligned.npy', b'\x93NUMPY\x01\x00' + len(header).to_bytes(2, 'little') + header +
          np.arange(2.0).tobytes())


def npz_seeds(out):
    a = sp.random(6, 5, density=0.4, format='csr', random_state=0)
    for fmt in ('csr', 'csc', 'coo', 'bsr', 'dia'):
        for compressed in (False, True):
            buf = io.BytesIO()
            sp.save_npz(buf, a.asformat(fmt), compressed=compressed)
            write(out, '%s%s.npz' % (fmt, '_z' if compressed else ''), buf.getvalue())
    buf = io.BytesIO()
    sp.save_npz(buf, sp.bsr_matrix(sp.random(4, 6, density=0.5, random_state=1).toarray(), blocksize=(2, 3)))
    write(out, 'bsr_blocks.npz', buf.getvalue())


def mtx_seeds(out):
    a = sp.random(5, 5, density=0.4, format='coo', random_state=0)
    cases = {'real': a, 'integer': (a * 10).astype(np.int64), 'complex': a * (1 + 1j),
             'pattern_sym': (a + a.T).astype(bool).astype(np.int8), 'array': a.toarray()}
    for name, m in cases.items():
        buf = io.BytesIO()
        field = 'pattern' if name.startswith('pattern') else None
        symmetry = 'symmetric' if name.endswith('sym') else None
        scipy.io.mmwrite(buf, m, field=field, symmetry=symmetry)
        write(out, name + '.mtx', buf.getvalue())
    write(out, 'skew.mtx', b'%%MatrixMarket matrix coordinate integer skew-symmetric\n3 3 2\n2 1 5\n3 2 -9223372036854775808\n')


def h5_seeds(out):
    def h5_bytes(fill):
        buf = io.BytesIO()
        with h5py.File(buf, 'w') as f:
            fill(f)
        return buf.getvalue()
    write(out, 'contiguous.h5', h5_bytes(lambda f: f.create_dataset('x', data=np.arange(12.0).reshape(3, 4))))
    write(out, 'chunked_gzip.h5', h5_bytes(lambda f: f.create_dataset(
        'x', data=np.arange(64, dtype=np.int32).reshape(8, 8), chunks=(4, 4), compression='gzip', shuffle=True)))
    write(out, 'scalar.h5', h5_bytes(lambda f: f.create_dataset('s', data=2.5)))

    def group(f):
        m = sp.random(5, 4, density=0.5, format='csr', random_state=0)
        g = f.create_group('m')
        g.attrs['encoding-type'] = 'csr_matrix'
        g.attrs['encoding-version'] = '0.1.0'
        g.attrs['shape'] = np.array(m.shape)
        for k in ('data', 'indices', 'indptr'):
            g.create_dataset(k, data=getattr(m, k))
    write(out, 'sparse_group.h5', h5_bytes(group))


def validator_seeds(out):
    rng = np.random.default_rng(0)
    for k in range(8):
        write(out, 'random%d' % k, rng.integers(0, 256, 96, dtype=np.uint8).tobytes())
    write(out, 'valid_csr', bytes([3, 3, 4, 2, 0, 1, 2, 2, 0, 2, 2, 1, 1]))


def deflate_seeds(out):
    """Raw deflate streams (no zlib header) of each block type, as zlib makes them."""
    rng = np.random.default_rng(0)
    inputs = {'text': b'the quick brown fox jumps over the lazy dog ' * 40,
              'random': rng.integers(0, 256, 600, dtype=np.uint8).tobytes(),
              'sorted': np.sort(rng.integers(0, 10 ** 6, 300)).astype(np.int32).tobytes(),
              'empty': b''}
    for name, data in inputs.items():
        for level, strategy in ((0, zlib.Z_DEFAULT_STRATEGY), (6, zlib.Z_DEFAULT_STRATEGY), (6, zlib.Z_FIXED)):
            c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
            write(out, '%s_%d_%d' % (name, level, strategy), c.compress(data) + c.flush())


def main():
    out = sys.argv[1]
    npy_seeds(os.path.join(out, 'npy_header_fuzz'))
    npz_seeds(os.path.join(out, 'npz_fuzz'))
    mtx_seeds(os.path.join(out, 'mtx_fuzz'))
    h5_seeds(os.path.join(out, 'h5_fuzz'))
    validator_seeds(os.path.join(out, 'sparse_validators_fuzz'))
    deflate_seeds(os.path.join(out, 'deflate_fuzz'))


if __name__ == '__main__':
    main()
