#!/usr/bin/python3
"""The MPI flavour on one machine: weak and strong scaling of matvec and weak scaling of the
streamed CSR spmv from 1 to 2 ranks, and the same HDF5 matvec on dask's distributed
scheduler (LocalCluster, 2 worker processes).

One run, ratios (the machine is shared and noisy). Times are the best of `--reps` runs:
  ours_s  rank 0's own timer (mammoth's summary line: open → stream → commit, all ranks
          agreed), so mpirun's process start is not counted; `mpirun_s` is the whole command.
  dask_s  `(A @ x).compute()` on the running cluster (its start not counted), A read in row
          blocks by h5py inside the workers (an h5py dataset cannot be pickled to a worker).
Peak memory: the largest rank's VmHWM (`mammoth --rank-memory`); a dask worker's ru_maxrss.

usage: bench/peers_mpi.py --mammoth build/mpi/mammoth [--work DIR] [--reps 3] [--quick]
"""
import argparse, os, re, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

ENV = dict(os.environ, OMPI_MCA_btl_vader_single_copy_mechanism="none")
SUMMARY = re.compile(r": ([\d.]+) s, ")
PEAKS = re.compile(r"max ([\d.]+) MiB")


def mpirun(mammoth, ranks, args):
    cmd = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-n", str(ranks), mammoth, "--rank-memory", *args]
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return float(SUMMARY.search(r.stderr).group(1)), wall, float(PEAKS.search(r.stderr).group(1))


def best(mammoth, ranks, args, reps):
    runs = [mpirun(mammoth, ranks, args) for _ in range(reps + 1)][1:]  # the first warms the page cache
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def make(mammoth, path, rows, cols, h5=False):
    subprocess.run([mammoth, "random", path, "--shape", f"{rows},{cols}", "--dtype", "float32", "--seed", "1", "-q"],
                   check=True, env=ENV)


def row(name, t1, t2, extra=""):
    print(f"{name:58s} {t1:8.4f} {t2:8.4f} {t1 / t2:7.2f}  {extra}", flush=True)


def read_rows(path, r0, r1):
    import h5py
    with h5py.File(path, "r") as f:
        return f["A"][r0:r1]


def dask_matvec(h5, rows, cols, x, reps, block_rows):
    try:
        import dask
        import dask.array as da
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed is not installed (Debian: python3-distributed): skipped")
        return None
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        blocks = [da.from_delayed(dask.delayed(read_rows)(h5, r, min(rows, r + block_rows)),
                                  shape=(min(rows, r + block_rows) - r, cols), dtype=np.float32)
                  for r in range(0, rows, block_rows)]
        a = da.concatenate(blocks)
        times = []
        for _ in range(reps + 1):
            start = time.perf_counter()
            y = (a @ x).compute()
            times.append(time.perf_counter() - start)
        peak = max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values()) / 1024
        return min(times[1:]), peak, y


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mammoth", required=True, help="the MPI build's mammoth")
    p.add_argument("--work", help="folder for the inputs (default: a temporary one)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    args = p.parse_args()
    mammoth = str(Path(args.mammoth).resolve())
    work = Path(args.work or tempfile.mkdtemp(prefix="mammoth-mpi-"))
    scale = 10 if args.quick else 1
    rows, cols = 1000 // scale, 100_000
    print(f"# machine: {os.cpu_count()} cores, shared; budget 64MiB per rank; float32 A, float64 x", flush=True)
    print(f"{'name':58s} {'1 rank':>8s} {'2 ranks':>8s} {'ratio':>7s}", flush=True)
    try:
        x = np.random.default_rng(0).standard_normal(cols)
        np.save(work / "x.npy", x)
        # Weak scaling: the same bytes per rank (rows × cols float32 each).
        make(mammoth, str(work / "A1.npy"), rows, cols)
        make(mammoth, str(work / "A2.npy"), 2 * rows, cols)
        for fmt in ("npy", "h5"):
            a1, a2 = str(work / f"A1.{fmt}"), str(work / f"A2.{fmt}")
            if fmt == "h5":
                for n in (1, 2):
                    subprocess.run([mammoth, "convert", str(work / f"A{n}.npy"), str(work / f"A{n}.h5") + ":/A", "-q"],
                                   check=True, env=ENV)
                a1, a2 = a1 + ":/A", a2 + ":/A"
            t1, w1, m1 = best(mammoth, 1, ["matvec", a1, str(work / "x.npy"), "-o", str(work / "y.npy")], args.reps)
            t2, w2, m2 = best(mammoth, 2, ["matvec", a2, str(work / "x.npy"), "-o", str(work / "y.npy")], args.reps)
            row(f"weak matvec {fmt} {rows}x{cols} per rank (efficiency)", t1, t2,
                f"mpirun_s {w1:.3f} / {w2:.3f}; peak rank MiB {m1:.1f} / {m2:.1f}")
        # Weak scaling of the streamed CSR spmv: the same nonzeros per rank.
        srows = 10_000 // scale
        for n in (1, 2):
            subprocess.run([mammoth, "random", str(work / f"S{n}.npz"), "--shape", f"{n * srows},{cols}",
                            "--density", "0.01", "--uncompressed", "-q"], check=True, env=ENV)
        t1, w1, m1 = best(mammoth, 1, ["spmv", str(work / "S1.npz"), str(work / "x.npy"), "-o", str(work / "y.npy")],
                          args.reps)
        t2, w2, m2 = best(mammoth, 2, ["spmv", str(work / "S2.npz"), str(work / "x.npy"), "-o", str(work / "y.npy")],
                          args.reps)
        row(f"weak spmv csr {srows}x{cols} density 0.01 per rank (efficiency)", t1, t2,
            f"mpirun_s {w1:.3f} / {w2:.3f}; peak rank MiB {m1:.1f} / {m2:.1f}")
        # Strong scaling: the notebook's matrix, split over 1 and 2 ranks.
        for spec in (str(work / "A1.npy"), str(work / "A1.h5") + ":/A"):
            t1, w1, m1 = best(mammoth, 1, ["matvec", spec, str(work / "x.npy"), "-o", str(work / "y.npy")], args.reps)
            t2, w2, m2 = best(mammoth, 2, ["matvec", spec, str(work / "x.npy"), "-o", str(work / "y.npy")], args.reps)
            row(f"strong matvec {'h5' if ':' in spec else 'npy'} {rows}x{cols} (speedup)", t1, t2,
                f"mpirun_s {w1:.3f} / {w2:.3f}; peak rank MiB {m1:.1f} / {m2:.1f}")
        # The same HDF5 matvec on dask.distributed, 2 workers, against mammoth on 2 ranks.
        h5 = str(work / "A1.h5")
        got = dask_matvec(h5, rows, cols, x, args.reps, block_rows=max(1, rows // 10))
        if got:
            dask_s, dask_mib, y = got
            ours, wall, mib = best(mammoth, 2, ["matvec", h5 + ":/A", str(work / "x.npy"), "-o", str(work / "y.npy")],
                                   args.reps)
            assert np.allclose(np.load(work / "y.npy"), y, rtol=1e-5, atol=1e-3)
            print(f"{'dask.distributed LocalCluster(2) vs mammoth -n 2, h5 matvec':58s} {dask_s:8.4f} {ours:8.4f} "
                  f"{dask_s / ours:7.2f}  peak worker MiB: dask {dask_mib:.1f}, mammoth rank {mib:.1f}; "
                  f"mammoth mpirun_s {wall:.3f}", flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
