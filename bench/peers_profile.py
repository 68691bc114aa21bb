"""mammoth memit against memory_profiler's memory_usage on the same commands.

Rows 1-2: wall time of measuring a command (the command itself dominates; the
difference is the profilers' overhead). MiB columns as bench/peers.py defines them.
Rows 3-4 ("reported peak"): the peak each profiler *reports* for the command, in the
MiB columns: a steady 256 MiB hold, and a 128 MiB spike (about 30 ms) freed at once, which a
sampler at memory_profiler's default 0.1 s interval misses.
"""
import json
import subprocess
import time

import memory_profiler

PY = '/usr/bin/python3'


def hold(mib, seconds):
    return [PY, '-c', f"import time; a = b'x' * ({mib} << 20); time.sleep({seconds})"]


def spike(mib, seconds):
    return [PY, '-c', f"import time; a = b'x' * ({mib} << 20); del a; time.sleep({seconds})"]


def peer_peak(cmd, interval):
    t = time.perf_counter()
    peak = memory_profiler.memory_usage(subprocess.Popen(cmd), interval=interval, max_usage=True)
    return time.perf_counter() - t, peak


def our_peak(bench, cmd, interval):
    t = time.perf_counter()
    r = subprocess.run([bench.mammoth, 'memit', '--json', '-i', str(interval), '--'] + cmd,
                       capture_output=True, text=True, check=True)
    return time.perf_counter() - t, json.loads(r.stderr)['peak'] / (1 << 20)


def run(bench):
    mib = 64 if bench.quick else 256
    cmd = hold(mib, 0.2)
    bench.compare(f'memit of a command holding {mib} MiB, 100 Hz',
                  lambda: memory_profiler.memory_usage(subprocess.Popen(cmd), interval=0.01, max_usage=True),
                  ['memit', '-q', '-i', '0.01', '--'] + cmd, reps=3)
    bench.compare(f'memit of a command holding {mib} MiB, 10 Hz',
                  lambda: memory_profiler.memory_usage(subprocess.Popen(cmd), interval=0.1, max_usage=True),
                  ['memit', '-q', '-i', '0.1', '--'] + cmd, reps=3)
    peer_s, peer_mib = peer_peak(cmd, 0.1)
    ours_s, ours_mib = our_peak(bench, cmd, 0.1)
    bench.report(f'reported peak, {mib} MiB held 0.2 s', peer_s, ours_s, peer_mib, ours_mib)
    big = 32 if bench.quick else 128
    cmd = spike(big, 0.3)
    peer_s, peer_mib = peer_peak(cmd, 0.1)
    ours_s, ours_mib = our_peak(bench, cmd, 0.1)
    bench.report(f'reported peak, {big} MiB spike then freed', peer_s, ours_s, peer_mib, ours_mib)
