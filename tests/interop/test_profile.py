"""mammoth memit / mprof against python3-memory-profiler on the same commands."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import memory_profiler
import mprof

MAMMOTH = os.environ.get('MAMMOTH_CLI', 'mammoth')
PY = '/usr/bin/python3'
MiB = 1 << 20


def hold(mib, seconds):
    """A command that touches `mib` MiB (bytes(), not bytearray(): calloc'd zeros are not resident) and holds it."""
    return [PY, '-c', f"import time; a = b'x' * ({mib} << 20); time.sleep({seconds})"]


def ours(args):
    r = subprocess.run([MAMMOTH] + args, capture_output=True, text=True)
    return r


class MemitAgainstMemoryProfiler(unittest.TestCase):
    def test_peaks_agree_within_five_percent(self):
        for mib in (64, 300):
            with self.subTest(mib=mib):
                cmd = hold(mib, 1.0)
                theirs = memory_profiler.memory_usage(subprocess.Popen(cmd), interval=0.01, max_usage=True)
                r = ours(['memit', '--json', '--'] + cmd)
                self.assertEqual(r.returncode, 0, r.stderr)
                result = json.loads(r.stderr)
                mine = result['peak'] / MiB
                self.assertGreaterEqual(mine, mib)
                self.assertLess(abs(mine - theirs) / theirs, 0.05, f'mammoth {mine:.2f} MiB, memory_profiler {theirs:.2f} MiB')

    def test_children_agree_with_include_children(self):
        child = ', '.join(repr(a) for a in hold(200, 1.0))
        cmd = [PY, '-c', f'import subprocess; subprocess.run([{child}])']
        theirs = memory_profiler.memory_usage(subprocess.Popen(cmd), interval=0.01, include_children=True, max_usage=True)
        r = ours(['memit', '--json', '-c', '-i', '0.01', '--'] + cmd)
        self.assertEqual(r.returncode, 0, r.stderr)
        mine = json.loads(r.stderr)['peak'] / MiB
        self.assertLess(abs(mine - theirs) / theirs, 0.05, f'mammoth {mine:.2f} MiB, memory_profiler {theirs:.2f} MiB')
        r = ours(['memit', '--json', '--'] + cmd)
        self.assertLess(json.loads(r.stderr)['peak'] / MiB, 100)

    def test_exit_status_passes_through(self):
        self.assertEqual(ours(['memit', '-q', '--', PY, '-c', 'import sys; sys.exit(7)']).returncode, 7)


class MprofFiles(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_memory_profilers_reader_parses_our_file(self):
        dat = self.path('mprofile_1.dat')
        r = ours(['mprof', 'run', '-o', dat, '-i', '0.02', '--'] + hold(100, 0.5))
        self.assertEqual(r.returncode, 0, r.stderr)
        content = mprof.read_mprofile_file(dat)
        self.assertIn('-c', content['cmd_line'])
        self.assertGreater(len(content['mem_usage']), 10)
        self.assertEqual(len(content['mem_usage']), len(content['timestamp']))
        self.assertTrue(all(b >= a for a, b in zip(content['timestamp'], content['timestamp'][1:])))
        self.assertGreaterEqual(max(content['mem_usage']), 100)
        self.assertLess(max(content['mem_usage']), 130)

    def test_children_are_chld_lines(self):
        dat = self.path('mprofile_2.dat')
        child = ', '.join(repr(a) for a in hold(80, 0.5))
        cmd = [PY, '-c', f'import subprocess; subprocess.run([{child}])']
        r = ours(['mprof', 'run', '-c', '-o', dat, '-i', '0.02', '--'] + cmd)
        self.assertEqual(r.returncode, 0, r.stderr)
        content = mprof.read_mprofile_file(dat)
        self.assertEqual(len(content['children']), 1)
        (samples,) = content['children'].values()
        self.assertGreaterEqual(max(m for m, _ in samples), 80)
        # MEM sums the tree, as `mprof run --include-children` does.
        self.assertGreaterEqual(max(content['mem_usage']), 80 + 5)

    def test_plot_is_well_formed_svg(self):
        dat, svg = self.path('m.dat'), self.path('mem.svg')
        self.assertEqual(ours(['mprof', 'run', '-o', dat, '-i', '0.02', '--'] + hold(50, 0.3)).returncode, 0)
        r = ours(['mprof', 'plot', dat, '-o', svg])
        self.assertEqual(r.returncode, 0, r.stderr)
        root = ET.parse(svg).getroot()
        self.assertEqual(root.tag, '{http://www.w3.org/2000/svg}svg')
        texts = [t.text or '' for t in root.iter('{http://www.w3.org/2000/svg}text')]
        self.assertTrue(any(t.startswith('peak ') for t in texts), texts)
        classes = {e.get('class') for e in root.iter() if e.get('class')}
        self.assertTrue({'total', 'anon', 'file', 'peak'} <= classes, classes)

    def test_we_plot_mprofs_own_file(self):
        dat, svg = self.path('theirs.dat'), self.path('theirs.svg')
        r = subprocess.run([PY, '/usr/bin/python3-mprof', 'run', '--interval', '0.02', '-o', dat] + hold(50, 0.3),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = ours(['mprof', 'plot', dat, '-o', svg])
        self.assertEqual(r.returncode, 0, r.stderr)
        root = ET.parse(svg).getroot()
        classes = {e.get('class') for e in root.iter() if e.get('class')}
        self.assertIn('total', classes)
        self.assertNotIn('anon', classes)  # mprof records no split

    def test_mprof_plot_opens_our_file(self):
        try:
            import matplotlib  # noqa: F401  (mprof plot needs it; not one of our dependencies)
        except ImportError:
            self.skipTest('matplotlib not installed')
        dat, png = self.path('mprofile_3.dat'), self.path('mem.png')
        self.assertEqual(ours(['mprof', 'run', '-o', dat, '-i', '0.02', '--'] + hold(40, 0.3)).returncode, 0)
        env = dict(os.environ, MPLBACKEND='Agg')
        r = subprocess.run([PY, '/usr/bin/python3-mprof', 'plot', '--output', png, dat], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(png, 'rb') as f:
            self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')


if __name__ == '__main__':
    unittest.main()
