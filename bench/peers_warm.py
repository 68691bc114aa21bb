"""Warm data (in the page cache) at memory speed, every shape, against numpy in RAM.

numpy holds A in memory and runs OpenBLAS's gemv (`A @ x`, `A.T @ y`) and its own `A.sum()`;
mammoth streams the same bytes from a .npy or a contiguous HDF5 dataset under a 64 MiB
budget. Same dtype on both sides: x, y and the result are of A's dtype (`--out-dtype`);
mammoth accumulates in float64, numpy in A's dtype. Target (issue 12): ratio >= 0.8 with
peak RSS <= budget + 16 MiB. numpy keeps its result in memory; mammoth writes it to a file,
fsynced before the rename: where that write is a sizable part of numpy's time, a note gives
its floor at the disk's measured durable-write bandwidth.

Each warm case prints three rows: the whole `mammoth` process (start-up and output commit
included); marked "in-process", the engine's own time from the summary line; and marked
"python", `mm.matvec(path, x)` (rmatvec, reduce) of the Python module called in the peer's
own interpreter, file opened and streamed under the same budget, result returned in memory
as numpy's is (float64, under a budget of 64 MiB plus the vectors it holds in memory; peak is
the interpreter's RSS increment, as the peer's). The file
is first made warm as a user's second run finds it: written back, evicted, and read once
cold by `mammoth reduce` (Bench.second_run), not as the writer left it. Under each `.npy`
case a note gives numpy's own time through a fresh `np.memmap` of the same file: the cost of
reading the page cache through a new mapping, which numpy's A in RAM does not pay.

Also: the gzip+shuffle chunked HDF5 matvec (h5py's chunk-row loop and dask), its read into a
.npy (h5py, dask) and its write from one (h5py), and the compressed .npz write of a 1e7-nnz
CSR (scipy.sparse.save_npz vs `mammoth convert`).
"""
import os

import numpy as np

BUDGET = '64MiB'


def _shapes(quick):
    if quick:
        return (('1000x10,000', (1000, 10_000)), ('100x100,000', (100, 100_000)), ('1,000,000x10', (1_000_000, 10)))
    return (('1000x100,000', (1000, 100_000)), ('100x1,000,000', (100, 1_000_000)),
            ('10,000,000x10', (10_000_000, 10)))


def _warm(bench):
    import h5py
    rng = np.random.default_rng(0)
    for label, shape in _shapes(bench.quick):
        for dt in (np.float32, np.float64):
            name = f'{label} {np.dtype(dt).name}'
            A = rng.random(shape, dtype=dt)
            x, y = rng.random(shape[1], dtype=dt), rng.random(shape[0], dtype=dt)
            p = {k: bench.path(f'warm_{k}.npy') for k in ('A', 'x', 'y', 'out')}
            h5 = bench.path('warm_A.h5')
            np.save(p['A'], A)
            np.save(p['x'], x)
            np.save(p['y'], y)
            with h5py.File(h5, 'w') as f:
                f.create_dataset('A', data=A)
            mm = bench.python_module()
            for kind, src in (('npy', p['A']), ('h5', h5 + ':/A')):
                # The budget plus both vectors, held in memory (float64) as numpy holds its own.
                held = f'{64 + -(-(shape[0] + shape[1]) * 8 // 2 ** 20)}MiB'
                python_call = {
                    'matvec': lambda: mm.matvec(src, x, budget=held, progress=False),
                    'rmatvec': lambda: mm.rmatvec(src, y, budget=held, progress=False),
                    'sum': lambda: mm.reduce(src, 'sum', budget=BUDGET, progress=False)}
                # numpy itself on the same warm file, through a fresh np.memmap: what reading
                # the page cache costs any reader that maps it (the limit beside numpy in RAM).
                memmap_call = {
                    'matvec': lambda: np.load(p['A'], mmap_mode='r') @ x,
                    'rmatvec': lambda: np.load(p['A'], mmap_mode='r').T @ y,
                    'sum': lambda: np.load(p['A'], mmap_mode='r').sum()}
                # The result in A's dtype, as numpy's; each run writes a new file (a previous
                # result's deletion is not part of the product).
                tail = ['-o', p['out'], '--out-dtype', np.dtype(dt).name, '--budget', BUDGET]
                bench.second_run([src.split(':/')[0]], ['reduce', src, '--op', 'sum', '--budget', BUDGET, '-q'])
                for op, peer, argv, out_len in (
                        ('matvec', lambda: A @ x, ['matvec', src, p['x']] + tail, shape[0]),
                        ('rmatvec', lambda: A.T @ y, ['matvec', '--transpose', src, p['y']] + tail, shape[1]),
                        ('sum', lambda: A.sum(), ['reduce', src, '--op', 'sum', '--budget', BUDGET], 0)):
                    ours = bench.time_ours(argv, reps=5, engine=True, setup=lambda: _remove(p['out']))
                    peer_s, peer_mib = bench.time_peer(peer, reps=5)
                    bench.report(f'warm {op} {name} {kind}', peer_s, ours[0], peer_mib, ours[1])
                    bench.report(f'warm {op} {name} {kind} in-process', peer_s, ours[2], peer_mib, ours[1])
                    _note_output(bench, out_len * np.dtype(dt).itemsize, peer_s)
                    if mm:  # what a notebook user runs: the file streamed, the result in memory
                        py = bench.time_peer(python_call[op], reps=5)
                        bench.report(f'warm {op} {name} {kind} python', peer_s, py[0], peer_mib, py[1])
                    if kind == 'npy':
                        _note_memmap(bench, memmap_call[op], peer_s)
            del A
            for f in list(p.values()) + [h5]:
                if os.path.exists(f):
                    os.remove(f)


def _remove(path):
    """A run's output removed before the next, and the removal synced: on a file system
    mounted with `discard` (this VM's), freeing a large file's blocks is paid by the next
    journal commit, which would be the next run's fsync."""
    if os.path.exists(path):
        os.remove(path)
        os.sync()


def _note_memmap(bench, call, peer_s):
    """numpy's own time on the warm file through np.memmap (mapped afresh, as mammoth maps
    it): on a virtual machine every page newly mapped may cost a trip to the hypervisor,
    which numpy's A in RAM, mapped long ago, does not pay (docs/benchmarks.md)."""
    t, _ = bench.time_peer(call, reps=5)
    print(f"  (numpy on a fresh np.memmap of the same file: {t:.4f} s, {peer_s / t:.2f}x its in-RAM speed)",
          flush=True)


def _note_output(bench, nbytes, peer_s):
    """The result's own floor where it matters: numpy keeps it in memory, mammoth writes it
    to a file and fsyncs it before the rename (docs/reliability.md)."""
    floor = nbytes / bench.durable_write()
    if floor > 0.1 * peer_s:
        print(f"  (result {nbytes / 1e6:.1f} MB, durably written: >= {floor:.4f} s at the disk's "
              f"{bench.durable_write() / 1e6:.0f} MB/s, {floor / peer_s:.2f}x numpy's whole time)", flush=True)


def _gzip_chunked(bench):
    import h5py
    import dask.array as da
    rows, cols = (100, 100_000) if bench.quick else (1000, 100_000)
    rng = np.random.default_rng(1)
    A = rng.random((rows, cols), dtype=np.float32)
    x = rng.random(cols, dtype=np.float32)
    path, xp, out = bench.path('gz.h5'), bench.path('gz_x.npy'), bench.path('gz_y.npy')
    with h5py.File(path, 'w') as f:
        f.create_dataset('A', data=A, chunks=(100, 10_000), compression='gzip', shuffle=True)
    np.save(xp, x)
    del A
    c = np.empty(rows, dtype=np.float32)

    def chunk_rows():  # one chunk row (100 rows, every column) at a time
        with h5py.File(path, 'r') as f:
            d = f['A']
            for i in range(0, rows, 100):
                c[i:i + 100] = d[i:i + 100, :] @ x

    def dask_matvec():
        import dask
        with h5py.File(path, 'r') as f, dask.config.set(scheduler='threads', num_workers=2):
            (da.from_array(f['A'], chunks=(100, 10_000)) @ x).compute()

    ours = bench.time_ours(['matvec', path + ':/A', xp, '-o', out, '--budget', BUDGET, '-q'], reps=3)
    peer = bench.time_peer(chunk_rows, reps=2)
    bench.report('gzip+shuffle h5 matvec: h5py chunk-row loop', peer[0], ours[0], peer[1], ours[1])
    peer = bench.time_peer(dask_matvec, reps=2)
    bench.report('gzip+shuffle h5 matvec: dask (threads, 2)', peer[0], ours[0], peer[1], ours[1])

    # Read (and convert): the whole dataset into a .npy.
    npy = bench.path('gz_A.npy')

    def h5py_read():
        with h5py.File(path, 'r') as f:
            np.save(npy, f['A'][:])

    def dask_read():
        import dask
        with h5py.File(path, 'r') as f, dask.config.set(scheduler='threads', num_workers=2):
            da.to_npy_stack(bench.path('gz_stack'), da.from_array(f['A'], chunks=(100, 10_000)), axis=0)

    ours = bench.time_ours(['convert', path + ':/A', npy, '--budget', BUDGET, '-q'], reps=3, setup=lambda: _remove(npy))
    peer = bench.time_peer(h5py_read, reps=2)
    bench.report('gzip+shuffle h5 read -> .npy: h5py', peer[0], ours[0], peer[1], ours[1])
    peer = bench.time_peer(dask_read, reps=2)
    bench.report('gzip+shuffle h5 read -> .npy: dask (threads, 2)', peer[0], ours[0], peer[1], ours[1])

    # Write: a .npy into a gzip+shuffle chunked dataset, h5py's default gzip level (4) both sides.
    A = np.load(npy)
    out_peer, out_ours = bench.path('gzw_peer.h5'), bench.path('gzw_ours.h5')

    def h5py_write():
        with h5py.File(out_peer, 'w') as f:
            f.create_dataset('A', data=A, chunks=(100, 10_000), compression='gzip', shuffle=True)

    def fresh():
        _remove(out_ours)

    peer = bench.time_peer(h5py_write, reps=2)
    ours = bench.time_ours(['convert', npy, out_ours + ':/A', '--chunks', '100,10000', '--compression', 'gzip',
                            '--shuffle', '--budget', BUDGET, '-q'], reps=2, setup=fresh)
    size = os.path.getsize(out_ours) / os.path.getsize(out_peer)
    bench.report(f'gzip+shuffle h5 write: h5py (size {size:.3f}x)', peer[0], ours[0], peer[1], ours[1])
    del A


def _npz_write(bench):
    import scipy.sparse as sp
    m, n, density = (1000, 100_000, 0.01) if bench.quick else (10_000, 100_000, 0.01)  # 1e6 / 1e7 nnz
    A = sp.random(m, n, density=density, format='csr', random_state=0, dtype=np.float64)
    src, peer_out, ours_out = bench.path('w_src.npz'), bench.path('w_peer.npz'), bench.path('w_ours.npz')
    sp.save_npz(src, A, compressed=False)
    peer = bench.time_peer(lambda: sp.save_npz(peer_out, A, compressed=True), reps=1)
    ours = bench.time_ours(['convert', src, ours_out, '-q'], reps=1)
    size = os.path.getsize(ours_out) / os.path.getsize(peer_out)
    bench.report(f'npz compressed write CSR {A.nnz:.0e} nnz (size {size:.3f}x)', peer[0], ours[0], peer[1], ours[1])


def run(bench):
    """Parts (bench/peers.py --part): warm, gzip, npz."""
    if bench.wants('warm'):
        _warm(bench)
    if bench.wants('gzip'):
        _gzip_chunked(bench)
    if bench.wants('npz'):
        _npz_write(bench)
