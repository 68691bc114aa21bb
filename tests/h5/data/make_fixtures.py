#!/usr/bin/python3
"""Writes h5py_types.h5, the fixture of types mammoth must refuse clearly (run with Debian's h5py)."""
import h5py, numpy as np
with h5py.File('h5py_types.h5', 'w') as f:
    f.create_dataset('records', data=np.zeros(3, dtype=[('a', '<i4'), ('b', '<f8')]))
    f.create_dataset('strings', data=np.array([b'ab', b'cd']))
    f.create_dataset('refs', data=np.array([f.ref, f.ref]), dtype=h5py.ref_dtype)
    f.create_dataset('colors', data=np.array([0, 1, 2], dtype='u1'), dtype=h5py.enum_dtype({'R': 0, 'G': 1, 'B': 2}, basetype='u1'))
    f.create_dataset('half', data=np.array([0.5, -2.0, 65504.0], dtype='<f2'))
    f.attrs['fixed'] = np.bytes_(b'fixed text')
    f.attrs['names'] = np.array([b'a', b'b'])
