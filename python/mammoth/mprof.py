"""mprof for Python code: run a function while sampling its memory, keep the timeline in
memory_profiler's mprofile_*.dat format (with the exact peak), and plot it as SVG."""

import os
import sys

from ._profile import memit as _memit


def run(fn, interval=0.1, include_children=False, output=None, label=None):
    """Runs fn() once, sampling memory every `interval` s. Returns the MemitRun; with
    `output`, also writes the timeline there (mprof's format, readable by `mprof plot`
    and `mammoth mprof plot`)."""
    result = _memit(fn, interval=interval, include_children=include_children, quiet=True)
    run = result.run
    if output is not None:
        with open(os.fspath(output), "w") as f:
            f.write(run.mprofile(label or getattr(fn, "__name__", "python")))
    return run


def plot(run, output=None, label=None):
    """The run's timeline as an SVG chart (anon/file stacked, the exact peak marked):
    written to `output` when given, returned as a string; in IPython, wrap it in
    IPython.display.SVG to show it."""
    svg = run.svg(label or "python")
    if output is not None:
        with open(os.fspath(output), "w") as f:
            f.write(svg)
    return svg
