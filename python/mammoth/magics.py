"""%memit and %%memit for IPython and Jupyter (`%load_ext mammoth`), with memory_profiler's
options and output line, plus the exact peak (VmHWM: a spike between samples is still
caught) and the anon/file split of the increment:

    %memit [-r<R>] [-t<T>] [-i<I>] [-c] [-q] [-o] statement
    %%memit [options] [setup statement]
    cell

-r repeat (highest peak wins), -t timeout in seconds, -i sampling interval in seconds,
-c include children, -q quiet, -o return the MemitResult.
"""

import gc

from IPython.core.magic import Magics, line_cell_magic, magics_class

from ._profile import memit as _memit


@magics_class
class MemitMagics(Magics):
    @line_cell_magic
    def memit(self, line="", cell=None):
        """Measure the peak memory of a statement (line) or a cell, as memory_profiler's %memit."""
        opts, stmt = self.parse_options(line, "r:t:i:coq", posix=False, strict=False)
        repeat = max(int(getattr(opts, "r", 1)), 1)
        timeout = float(getattr(opts, "t", 0) or 0)
        interval = float(getattr(opts, "i", 0.1))
        include_children = "c" in opts
        quiet = "q" in opts
        source = stmt if cell is None else stmt + "\n" + cell
        code = compile(self.shell.transform_cell(source), "<memit>", "exec")
        ns = self.shell.user_ns
        # As memory_profiler: garbage from earlier cells must not count against this one.
        gc.collect()
        result = _memit(lambda: exec(code, ns), repeat=repeat, timeout=timeout, interval=interval,
                        include_children=include_children, quiet=quiet)
        if "o" in opts:
            return result
        return None
