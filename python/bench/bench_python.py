#!/usr/bin/env python3
"""The Python module against the CLI and memory_profiler (docs/python.md records the figures):

1. mm.matvec from Python vs `mammoth matvec` on the same .npy, runs interleaved, best and
   median of N: mm.matvec on an opened mm.Array against the CLI's own timing line (which
   starts after A and x are open, so neither counts opening or process start-up), and
   end to end: mm.matvec(path) against the CLI process's wall time.
2. %memit's overhead vs memory_profiler's %memit: wall time of the magic around a
   statement minus the statement alone, best of N.
3. mm.sparse against scipy on a 10M-entry CSR .npz (stored members): load vs
   scipy.sparse.load_npz, save vs save_npz, and spmv streamed from the file vs
   `mammoth spmv --budget` (the CLI's wall time, process start-up included) and vs
   scipy's in-memory S @ x.

    PYTHONPATH=build/dev/python MAMMOTH_CLI=build/dev/mammoth python3 python/bench/bench_python.py [--rows R --cols C]
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import tempfile
import time

import numpy as np

import mammoth as mm


def _cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def best(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_matvec(cli, rows, cols, runs, work):
    path = os.path.join(work, "A.npy")
    mm.random(path, (rows, cols), np.float32, seed=1).close()
    x = np.random.default_rng(0).random(cols)
    np.save(os.path.join(work, "x.npy"), x)
    mm.matvec(path, x, progress=False)  # warm the page cache
    A = mm.open(path)  # opened once: the CLI's timing line also starts after opening A and x
    py, by_path, cli_times, cli_wall, py_cpu, cli_cpu = [], [], [], [], [], []
    cmd = [cli, "matvec", path, os.path.join(work, "x.npy"), "-o", os.path.join(work, "y.npy")]
    for _ in range(runs):  # interleaved, so both see the same load on a shared machine
        t, c = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        mm.matvec(A, x, progress=False)
        py.append(time.perf_counter() - t)
        py_cpu.append(_cpu(resource.RUSAGE_SELF) - c)
        t = time.perf_counter()
        mm.matvec(path, x, progress=False)
        by_path.append(time.perf_counter() - t)
        c, t = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, check=True)
        cli_wall.append(time.perf_counter() - t)
        cli_times.append(float(re.search(r": ([0-9.]+) s,", r.stderr).group(1)))
        cli_cpu.append(_cpu(resource.RUSAGE_CHILDREN) - c)
    gib = rows * cols * 4 / 2**30
    for name, f in (("best", min), ("median", statistics.median)):
        print(f"matvec {rows}x{cols} float32 ({gib:.2f} GiB), {name} of {runs}: python {f(py):.3f} s "
              f"({gib / f(py):.2f} GiB/s), cli {f(cli_times):.3f} s ({gib / f(cli_times):.2f} GiB/s), "
              f"python/cli = {f(py) / f(cli_times):.3f}")
        print(f"  end to end, {name}: mm.matvec(path) {f(by_path):.3f} s, cli process {f(cli_wall):.3f} s, "
              f"python/cli = {f(by_path) / f(cli_wall):.3f}")
    # CPU time (user + sys) says whether the binding adds work, whatever the machine's load;
    # the CLI's includes its process start-up and reading x.npy.
    print(f"  cpu time, median: python {statistics.median(py_cpu):.3f} s, "
          f"cli process {statistics.median(cli_cpu):.3f} s")


def bench_memit(runs):
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.user_ns["np"] = np
    stmt = "a = np.ones(32 << 17); del a"  # 32 MiB
    bare = best(lambda: shell.run_cell(stmt), runs)
    shell.run_line_magic("load_ext", "mammoth")
    ours = best(lambda: shell.run_line_magic("memit", "-q " + stmt), runs)
    from memory_profiler import MemoryProfilerMagics
    mp = MemoryProfilerMagics(shell)
    theirs = best(lambda: mp.memit("-q " + stmt), runs)
    print(f"%memit overhead on a 32 MiB allocation: mammoth {1e3 * (ours - bare):.1f} ms, "
          f"memory_profiler {1e3 * (theirs - bare):.1f} ms (statement alone {1e3 * bare:.1f} ms)")


def bench_sparse(cli, runs, work):
    import scipy.sparse as sp
    path = os.path.join(work, "S.npz")
    S = mm.sparse.random(2000, 100_000, 0.05, format="csr", seed=1)
    sp.save_npz(path, S, compressed=False)
    mib = (S.data.nbytes + S.indices.nbytes + S.indptr.nbytes) / 2**20
    x = np.random.default_rng(0).random(S.shape[1])
    np.save(os.path.join(work, "x.npy"), x)
    load = (best(lambda: mm.sparse.load(path), runs), best(lambda: sp.load_npz(path), runs))
    out = os.path.join(work, "T.npz")
    save = (best(lambda: mm.sparse.save(out, S, compressed=False), runs),
            best(lambda: sp.save_npz(out, S, compressed=False), runs))
    print(f"sparse csr {S.shape} nnz {S.nnz} ({mib:.1f} MiB), best of {runs}:")
    print(f"  load: mm {load[0]:.3f} s, scipy.load_npz {load[1]:.3f} s (mm/scipy = {load[0] / load[1]:.2f})")
    print(f"  save: mm {save[0]:.3f} s, scipy.save_npz {save[1]:.3f} s (mm/scipy = {save[0] / save[1]:.2f})")
    streamed = best(lambda: mm.sparse.spmv(path, x, budget="64MiB", progress=False), runs)
    cmd = [cli, "spmv", path, os.path.join(work, "x.npy"), "-o", os.path.join(work, "y.npy"), "--budget", "64MiB",
           "-q"]
    by_cli = best(lambda: subprocess.run(cmd, check=True), runs)
    in_memory = best(lambda: S @ x, runs)
    print(f"  spmv from the file, budget 64MiB: mm {streamed:.3f} s, cli {by_cli:.3f} s "
          f"(python/cli = {streamed / by_cli:.2f}); scipy S @ x in memory {in_memory:.3f} s")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--cols", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=9)
    args = p.parse_args()
    cli = os.environ.get("MAMMOTH_CLI", "mammoth")
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as work:
        bench_matvec(cli, args.rows, args.cols, args.runs, work)
    bench_memit(args.runs)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as work:
        bench_sparse(cli, args.runs, work)


if __name__ == "__main__":
    main()
