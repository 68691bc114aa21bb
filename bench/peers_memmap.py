"""numpy's memmap row loop (the seed notebook's cell) against `mammoth random`.
Targets (issue 2): >= 3x faster, peak RSS increment <= 64 MiB. Reading the last row of the
reopened file (only that row's pages become resident) is measured in bench/memmap_bench.cpp
(BM_ReadLastRowCold) and tests/memmap: the CLI has no row-reading command."""
import numpy as np


def run(bench):
    nrows, ncols = (100, 100_000) if bench.quick else (100, 1_000_000)
    theirs, ours = bench.path('numpy_memmapped.dat'), bench.path('mammoth_memmapped.npy')

    def numpy_fill():
        f = np.memmap(theirs, dtype=np.float32, mode='w+', shape=(nrows, ncols))
        for i in range(nrows):
            f[i, :] = np.random.random(ncols)
        f.flush()
        del f

    # Ours first: a forked child inherits the parent's peak-RSS mark, so timing mammoth after
    # numpy's +389 MiB would report numpy's peak as ours. Even first, "ours MiB" is an upper
    # bound (it includes the Python parent's ~30 MiB at fork time).
    ours_s, ours_mib = bench.time_ours(['random', ours, '--shape', f'{nrows},{ncols}', '--dtype', 'float32',
                                        '--quiet'], reps=3)
    peer_s, peer_mib = bench.time_peer(numpy_fill, reps=3)
    bench.report(f'memmap fill {nrows}x{ncols} f32 (numpy row loop)', peer_s, ours_s, peer_mib, ours_mib)
