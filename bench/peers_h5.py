"""HDF5: mammoth against h5py on the notebook's workloads (bench/peers.py --only h5).

The ours side runs `h5_workloads WORKLOAD` (a benchmark program, bench/h5_workloads.cpp): the
same loops the notebook writes in Python, written against mammoth::h5's public API."""
import numpy as np
import h5py


def run(bench):
    q = bench.quick
    nrows, ncols = (10, 100_000) if q else (100, 1_000_000)

    # 1. The notebook's fill: a contiguous float32 dataset, one random row at a time.
    fill = bench.path('myfile.h5')

    def h5py_fill():
        with h5py.File(fill, 'w') as f:
            d = f.create_dataset('dataset', (nrows, ncols), dtype='f')
            for i in range(nrows):
                d[i, :] = np.random.random(ncols)
    bench.compare(f'h5 fill {nrows}x{ncols} f32 by rows', h5py_fill,
                  [bench.program('h5_workloads'), 'fill-rows', fill, '--rows', nrows, '--cols', ncols])
    # The same file through the user-facing command (block-wise fill over BlockStore).
    bench.compare(f'h5 fill {nrows}x{ncols} f32 (mammoth random)', h5py_fill,
                  ['random', fill + ':/dataset', '--shape', f'{nrows},{ncols}', '--dtype', 'float32', '-q'])

    # 2. The notebook's matvec row loop: read all rows one at a time, c[i] = A[i] . b.
    mrows, mcols = (100, 10_000) if q else (1000, 100_000)
    mat = bench.path('test.h5')
    with h5py.File(mat, 'w') as f:
        d = f.create_dataset('array', (mrows, mcols), dtype='f')
        for i in range(mrows):
            d[i, :] = np.random.random(mcols)
    b = np.full(mcols, 0.5)
    c = np.empty(mrows)

    def h5py_rows():
        with h5py.File(mat, 'r') as f:
            d = f['array']
            for i in range(mrows):
                c[i] = np.dot(d[i, :], b)
    bench.compare(f'h5 read {mrows} rows of {mcols} f32 (row loop)', h5py_rows,
                  [bench.program('h5_workloads'), 'read-rows', mat, '--dataset', 'array'])

    # 3. The notebook's chunked dataset: 1000x1000 float32 in (100,100) chunks, tile by tile.
    tiles = bench.path('test2.h5')

    def h5py_tiles(times=1):
        for _ in range(times):
            with h5py.File(tiles, 'w') as f:
                d = f.create_dataset('chunked', (1000, 1000), chunks=(100, 100), dtype='f')
                for i in range(0, 1000, 100):
                    for j in range(0, 1000, 100):
                        d[i:i + 100, j:j + 100] = np.random.random((100, 100))
    bench.compare('h5 tiles 1000x1000 (100,100) chunks', h5py_tiles, [bench.program('h5_workloads'), 'tiles', tiles], reps=5)
    # The single run is ~15 ms, a third of it process start-up; ten in a row measure the writes.
    bench.compare('h5 tiles 1000x1000 (100,100) chunks x10', lambda: h5py_tiles(10),
                  [bench.program('h5_workloads'), 'tiles', tiles, '--repeat', 10])

    # 4. pynwb #1276: 10,000 random elements of 10 M (contiguous float64).
    n = 1_000_000 if q else 10_000_000
    pts = bench.path('points.h5')
    with h5py.File(pts, 'w') as f:
        f.create_dataset('x', data=np.arange(n, dtype='f8'))
    idx = np.sort(np.random.default_rng(0).choice(n, 10_000, replace=False))

    def h5py_points():
        with h5py.File(pts, 'r') as f:
            f['x'][idx].sum()
    bench.compare('h5 10k random points of 10M (h5py fancy)', h5py_points,
                  [bench.program('h5_workloads'), 'points', pts, '--dataset', 'x', '--count', 10_000], reps=1, peer_reps=1)
