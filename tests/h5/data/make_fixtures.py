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

# bitfields.h5: PyTables' bools (8-bit bitfields) and raw bitfields made with h5py's low-level API.
import tables
with tables.open_file('bitfields.h5', 'w') as t:
    t.create_carray('/', 'bools', obj=np.array([True, False, True, True]), filters=tables.Filters(complevel=1))
    t.root._v_attrs.flag = np.bool_(True)
with h5py.File('bitfields.h5', 'a') as f:
    for name, htype, values in [('bits8', h5py.h5t.STD_B8LE, np.array([0, 1, 2, 255], 'u1')),
                                ('bits16', h5py.h5t.STD_B16LE, np.array([0, 1, 2, 3], '<u2'))]:
        d = h5py.h5d.create(f.id, name.encode(), htype, h5py.h5s.create_simple((4,)))
        d.write(h5py.h5s.ALL, h5py.h5s.ALL, values, mtype=htype)
