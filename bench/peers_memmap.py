"""numpy's memmap row loop (the seed notebook's cell) against `mammoth random`, and reading
the last row of the reopened file (see memmap_bench). Targets (issue 2): >= 3x faster, peak RSS <= 64 MiB."""
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

    bench.compare(f'memmap fill {nrows}x{ncols} f32 (numpy row loop)', numpy_fill,
                  ['random', ours, '--shape', f'{nrows},{ncols}', '--dtype', 'float32', '--quiet'])
    # Reading the last row of the reopened file (resident pages) is measured in
    # bench/memmap_bench.cpp (BM_ReadLastRowCold): the CLI has no row-reading command.
