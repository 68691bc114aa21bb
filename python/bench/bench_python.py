#!/usr/bin/env python3
"""The Python module against the CLI and memory_profiler (docs/python.md records the figures):

1. mm.matvec from Python vs `mammoth matvec` on the same .npy (the CLI's own timing line,
   so process start-up is not counted): runs interleaved, best and median of N.
2. %memit's overhead vs memory_profiler's %memit: wall time of the magic around a
   statement minus the statement alone, best of N.

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
    py, cli_times, py_cpu, cli_cpu = [], [], [], []
    for _ in range(runs):  # interleaved, so both see the same load on a shared machine
        t, c = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        mm.matvec(path, x, progress=False)
        py.append(time.perf_counter() - t)
        py_cpu.append(_cpu(resource.RUSAGE_SELF) - c)
        c = _cpu(resource.RUSAGE_CHILDREN)
        r = subprocess.run([cli, "matvec", path, os.path.join(work, "x.npy"), "-o", os.path.join(work, "y.npy")],
                           capture_output=True, text=True, check=True)
        cli_times.append(float(re.search(r": ([0-9.]+) s,", r.stderr).group(1)))
        cli_cpu.append(_cpu(resource.RUSAGE_CHILDREN) - c)
    gib = rows * cols * 4 / 2**30
    for name, f in (("best", min), ("median", statistics.median)):
        print(f"matvec {rows}x{cols} float32 ({gib:.2f} GiB), {name} of {runs}: python {f(py):.3f} s "
              f"({gib / f(py):.2f} GiB/s), cli {f(cli_times):.3f} s ({gib / f(cli_times):.2f} GiB/s), "
              f"python/cli = {f(py) / f(cli_times):.3f}")
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


if __name__ == "__main__":
    main()
