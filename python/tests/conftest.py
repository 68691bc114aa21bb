"""Shared fixtures: the CLI to compare against, large sparse .npy files, memory readings."""

import os
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest


def cli():
    path = os.environ.get("MAMMOTH_CLI") or shutil.which("mammoth")
    if not path:
        pytest.skip("the mammoth CLI is not available (set MAMMOTH_CLI)")
    return path


def run_cli(*args):
    return subprocess.run([cli(), *map(str, args)], capture_output=True, text=True, check=True)


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def maps_mentioning(path):
    with open("/proc/self/maps") as f:
        return [line for line in f if line.rstrip().endswith(str(path))]


def sparse_npy(path, shape, dtype=np.float32):
    """A .npy of zeros whose data is a hole: any size, no disk and no time spent."""
    header = np.lib.format
    with open(path, "wb") as f:
        header.write_array_header_1_0(f, {"descr": header.dtype_to_descr(np.dtype(dtype)),
                                          "fortran_order": False, "shape": tuple(shape)})
        f.truncate(f.tell() + int(np.prod(shape)) * np.dtype(dtype).itemsize)
    return path


@pytest.fixture(scope="session")
def big_matrix(tmp_path_factory):
    """8 GiB of float32 zeros (32768 × 65536) in a sparse .npy: long enough to interrupt
    even when the machine is quiet (2 GiB took under 0.3 s)."""
    return sparse_npy(tmp_path_factory.mktemp("big") / "A.npy", (32768, 65536))


def ticks_while(fn):
    """Runs fn() while another Python thread ticks every 10 ms; returns (seconds fn took,
    ticks that landed while it ran). A call that holds the GIL gets almost no ticks."""
    ticks, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    start = time.monotonic()
    try:
        fn()
    finally:
        end = time.monotonic()
        stop.set()
        t.join()
    return end - start, len([x for x in ticks if start < x < end])
