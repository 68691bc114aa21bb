#!/usr/bin/python3
"""Same workload, the Python peer and mammoth, one run, ratios.

Each bench/peers_<module>.py defines `run(bench)` and calls `bench.compare(...)`.
Prints: name, peer_s, ours_s, ratio (peer/ours, >1 means mammoth is faster),
peak MiB (peer's peak-RSS increment in-process; ours: the mammoth process's exact peak RSS,
measured by `mammoth memit`, whose baseline is the bare program image).

The peers run on the BLAS numpy finds (Debian: OpenBLAS from libopenblas0-pthread, as
pip's wheels ship it); the header names it and the kernel it chose. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, which pin OpenBLAS to a slower kernel, are removed for this (the peer's)
process only: it re-executes itself without them and hands them back to mammoth's runs.
--peer-coretype NAME instead pins the peers' OpenBLAS to kernel NAME (e.g. Haswell, SkylakeX:
what a newer OpenBLAS than Debian's 0.3.21 picks on this CPU), again for the peers only.

Our whole-process times include starting the program (~3 ms of CPU: libhdf5 and the C++
runtime are linked in, 15 shared libraries are left) and writing the output; the peers time
one call in a running interpreter. The header states the physical limit of the warm rows: the
memory's bandwidth, 1 GiB read on every core (the cold rows state `dd`'s). Rows marked "in-process" set the peer's time against the engine's own time, the
one the command's summary line prints (opening the output, the computation, the commit).

usage: bench/peers.py [--mammoth PATH] [--work DIR] [--only MODULE[,MODULE]] [--quick]
                      [--part PART[,PART]] [--peer-coretype NAME]
"""
import argparse, gc, importlib.util, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPENBLAS_PINS = ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE')
SAVED_PINS = 'MAMMOTH_BENCH_OPENBLAS_PINS'  # what the re-executed peer process removed


def _unpin_openblas(coretype=None):
    """Re-executes this script without the OpenBLAS pins, or with OPENBLAS_CORETYPE=coretype
    alone (they must be in place before numpy loads). The user's pins go to mammoth's runs."""
    if SAVED_PINS in os.environ:
        return  # the re-executed process
    wanted = {'OPENBLAS_CORETYPE': coretype} if coretype else {}
    pinned = {k: os.environ[k] for k in OPENBLAS_PINS if k in os.environ}
    if pinned == wanted:
        return
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_PINS}
    env.update(wanted)
    env[SAVED_PINS] = json.dumps(pinned)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def _ours_env():
    """mammoth runs with the environment the user gave, pins included (and no pin the
    peers were given instead)."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_PINS or SAVED_PINS not in os.environ}
    env.update(json.loads(env.pop(SAVED_PINS, '{}')))
    return env


def blas_line():
    """The BLAS numpy runs on and the kernel it picked, e.g. 'openblas 0.3.21 (Haswell, 2 threads)'."""
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl inspects)
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 'unknown (python3-threadpoolctl not installed)'
    libs = [i for i in threadpool_info() if i.get('user_api') == 'blas']
    if not libs:
        return 'none found'
    return ', '.join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')} kernel, "
                     f"{i['num_threads']} threads, {i['filepath']})" for i in libs)


def _status_mib(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_hwm():
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


class Bench:
    def __init__(self, mammoth, work, quick, parts=()):
        self.mammoth, self.work, self.quick, self.parts = mammoth, Path(work), quick, set(parts)
        self.rows = []
        self._durable = None
        self._module = None
        removed = json.loads(os.environ.get(SAVED_PINS, '{}'))
        print(f"# peers' BLAS: {blas_line()}", flush=True)
        if removed:
            print(f"# removed for the peers only: {' '.join(f'{k}={v}' for k, v in removed.items())}", flush=True)
        if SAVED_PINS in os.environ and os.environ.get('OPENBLAS_CORETYPE'):
            print(f"# peers pinned to OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}", flush=True)
        load = os.getloadavg()
        print(f"# machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        print(f"# memory bandwidth: {self.memory_bandwidth()}", flush=True)
        print(f"# durable write: {self.durable_write() / 1e6:.0f} MB/s (64 MiB written and fsynced here, "
              "what an output's commit waits for)", flush=True)
        print(f"{'name':46s} {'peer_s':>9s} {'ours_s':>9s} {'ratio':>7s}  {'peer MiB':>9s} {'ours MiB':>9s}", flush=True)

    def memory_bandwidth(self):
        """The physical limit of every warm row: 1 GiB (past this VM's 300 MB L3) read on every
        core, as the kernels read (bench/sparse_workloads --op stream)."""
        program = self.program('sparse_workloads')
        if not program.exists():
            return 'not measured (bench/sparse_workloads not built)'
        out = subprocess.run([str(program), '--op', 'stream', '--block', '1GiB', '--reps', '5'],
                             check=True, capture_output=True, text=True).stdout
        return f"{2 ** 30 / json.loads(out)['seconds'] / 1e9:.1f} GB/s (a 1 GiB read on every core)"

    def durable_write(self):
        """The physical limit of a written result: every output is fsynced before it is
        renamed into place (docs/reliability.md), so its bytes reach the disk within the run.
        Bytes a second, of the best of three 64 MiB writes with fsync in the work folder."""
        if self._durable is None:
            path, block = self.path('.durable'), os.urandom(1 << 20)
            best = float('inf')
            for _ in range(3):
                t = time.perf_counter()
                with open(path, 'wb') as f:
                    for _ in range(64):
                        f.write(block)
                    f.flush()
                    os.fsync(f.fileno())
                best = min(best, time.perf_counter() - t)
                os.remove(path)
            self._durable = 64 * 2 ** 20 / best
        return self._durable

    def python_module(self):
        """mammoth's Python module built beside the CLI (build/…/python), or None."""
        if self._module is None:
            self._module = False
            folder = Path(self.mammoth).parent / 'python'
            if (folder / 'mammoth').is_dir():
                sys.path.insert(0, str(folder))
                try:
                    import mammoth
                    self._module = mammoth
                except ImportError as e:
                    print(f"# the Python module does not import ({e}): its rows are left out", flush=True)
        return self._module or None

    def path(self, name):
        return str(self.work / name)

    def wants(self, part):
        """Whether --part asked for this part of a module (all when --part is not given)."""
        return not self.parts or part in self.parts

    def program(self, name):
        """A benchmark program built beside the CLI (bench/NAME.cpp), for time_ours' argv[0]."""
        return Path(self.mammoth).parent / 'bench' / name

    @staticmethod
    def evict(path):
        """Drops the file's pages from the page cache (they must be written back first)."""
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)

    def second_run(self, paths, argv):
        """Leaves `paths` warm as a user's second run finds them: written back, evicted,
        then read once, cold, by `mammoth argv…` (how that first run cached them decides
        what every later mapped run pays: large folios, 2 MiB ones, or single pages)."""
        os.sync()
        for path in paths:
            self.evict(path)
        subprocess.run([self.mammoth] + [str(a) for a in argv], check=True, capture_output=True, env=_ours_env())

    def time_peer(self, fn, reps=3, setup=None):
        """Best time of fn() in this process, and its largest peak-RSS increment."""
        best, inc = float('inf'), 0.0
        for _ in range(reps):
            if setup: setup()
            gc.collect(); base = _status_mib('VmRSS'); _reset_hwm()
            t = time.perf_counter(); fn(); dt = time.perf_counter() - t
            best = min(best, dt); inc = max(inc, _status_mib('VmHWM') - base)
        return best, inc

    def time_ours(self, argv, reps=3, setup=None, engine=False):
        """Best wall time of `mammoth argv…` (or of argv[0] when it is a Path to a program)
        and its exact peak RSS; with engine=True also the best time the command's summary
        line reports (argv must not hold -q), as a third value.

        The peak comes from `mammoth memit` (ptrace at exec and exit reads VmHWM): a
        child's ru_maxrss would include the forked copy of this Python process."""
        best, peak, inside = float('inf'), 0.0, float('inf')
        report = str(self.work / '.memit.json')
        for _ in range(reps):
            if setup: setup()
            target = [] if argv and isinstance(argv[0], Path) else [self.mammoth]
            cmd = [self.mammoth, 'memit', '--json', '--report', report, '--'] + target + [str(a) for a in argv]
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_ours_env())
            if p.returncode != 0:
                raise RuntimeError(f"mammoth {' '.join(map(str, argv))} failed: {p.stderr.decode()}")
            with open(report) as f:
                run = json.load(f)['runs'][0]
            best = min(best, run['elapsed']); peak = max(peak, run['peak_mib'])
            if engine:
                m = re.search(r': ([0-9.]+) s, [0-9.]+ [KMGT]?i?B/s', p.stderr.decode())
                if not m:
                    raise RuntimeError(f"no summary line from mammoth {' '.join(map(str, argv))}")
                inside = min(inside, float(m.group(1)))
        return (best, peak, inside) if engine else (best, peak)

    def compare(self, name, peer_fn, ours_argv, reps=3, peer_setup=None, ours_setup=None, peer_reps=None):
        peer_s, peer_mib = self.time_peer(peer_fn, peer_reps or reps, peer_setup)
        ours_s, ours_mib = self.time_ours(ours_argv, reps, ours_setup)
        self.report(name, peer_s, ours_s, peer_mib, ours_mib)

    def report(self, name, peer_s, ours_s, peer_mib, ours_mib):
        ratio = peer_s / ours_s if ours_s > 0 else float('inf')
        self.rows.append((name, peer_s, ours_s, ratio, peer_mib, ours_mib))
        print(f"{name:46s} {peer_s:9.4f} {ours_s:9.4f} {ratio:7.2f}  {peer_mib:9.1f} {ours_mib:9.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--mammoth', default=str(HERE.parent / 'build' / 'release' / 'mammoth'))
    ap.add_argument('--work', default=None, help='scratch folder (default: a temporary one)')
    ap.add_argument('--only', default='', help='comma-separated modules (peers_<module>.py)')
    ap.add_argument('--quick', action='store_true', help='smaller sizes, for a smoke test')
    ap.add_argument('--part', default='', help='comma-separated parts of the modules (warm: warm,gzip,npz; sparse: scipy,streamed)')
    ap.add_argument('--peer-coretype', default=None,
                    help="run the peers' OpenBLAS with OPENBLAS_CORETYPE=NAME (e.g. Haswell, SkylakeX)")
    args = ap.parse_args()
    _unpin_openblas(args.peer_coretype)
    work = args.work or tempfile.mkdtemp(prefix='mammoth-peers-')
    os.makedirs(work, exist_ok=True)
    bench = Bench(os.path.abspath(args.mammoth), work, args.quick, [p for p in args.part.split(',') if p])
    wanted = [m for m in args.only.split(',') if m]
    try:
        for script in sorted(HERE.glob('peers_*.py')):
            module = script.stem[len('peers_'):]
            if wanted and module not in wanted:
                continue
            spec = importlib.util.spec_from_file_location(script.stem, script)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            if not hasattr(mod, 'run'):  # a program of its own (peers_mpi.py needs the MPI build and mpirun)
                print(f'# {script.name}: run on its own (see its --help)', flush=True)
                continue
            mod.run(bench)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
