"""Sparse: scipy.sparse vs mammoth on the notebook's 1000 × 100,000 matrix, density 0.1, float64.

Conversions and SpMV happen inside one process for scipy, so ours are timed inside one
process too: `mammoth sparse bench --op OP` loads the matrix once, then reports the best
of N in-process runs of the operation and its peak-RSS increment, measured the way
bench.time_peer measures scipy (VmHWM reset before, VmRSS as the base). Process start
and the load are excluded on both sides; `load` and `random` time only themselves.

scipy's tocoo() shares indices and data with the CSR (copy=False), so our 'csr->coo'
takes them over as well (to_coo(Csr&&)); 'csr->coo (copy)' is the copying version.
"""
import json, subprocess

import numpy as np
import scipy.sparse as sp


def ours(bench, op, reps, **kw):
    argv = [bench.mammoth, 'sparse', 'bench', '--op', op, '--reps', str(reps)]
    for k, v in kw.items():
        argv += ['--' + k, str(v)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r['seconds'], r['peak_mib']


def run(bench):
    m, n = (100, 10000) if bench.quick else (1000, 100000)
    density = 0.1
    path = bench.path('sparse_csr.npz')
    reps = 3

    # random: scipy.sparse.random vs our random_csr (both in-process, no file).
    peer_s, peer_mib = bench.time_peer(lambda: sp.random(m, n, density=density, format='csr'), reps=1 if not bench.quick else reps)
    s, mib = ours(bench, 'random', reps, shape=f'{m},{n}', density=density)
    bench.report(f'sparse random {m}x{n} d={density}', peer_s, s, peer_mib, mib)

    A = sp.random(m, n, density=density, format='csr', random_state=0)
    sp.save_npz(path, A, compressed=False)

    peer_s, peer_mib = bench.time_peer(lambda: sp.load_npz(path), reps=reps)
    s, mib = ours(bench, 'load', reps, input=path)
    bench.report('sparse load uncompressed .npz (csr)', peer_s, s, peer_mib, mib)

    b = np.random.random(n)
    peer_s, peer_mib = bench.time_peer(lambda: A.dot(b), reps=10)
    s, mib = ours(bench, 'spmv', 10, input=path)
    bench.report('sparse CSR SpMV A.dot(b)', peer_s, s, peer_mib, mib)

    for name, fn, op, r in (('csr->csc', A.tocsc, 'tocsc', reps), ('csr->coo', A.tocoo, 'tocoo', reps),
                            ('csr->coo (copy)', lambda: A.tocoo(copy=True), 'tocoo-copy', reps),
                            ('csr->lil', A.tolil, 'tolil', 1), ('csr->dok', A.todok, 'todok', 1)):
        peer_s, peer_mib = bench.time_peer(fn, reps=r)
        s, mib = ours(bench, op, max(r, 3), input=path)
        bench.report(f'sparse {name}', peer_s, s, peer_mib, mib)
