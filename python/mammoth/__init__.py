"""mammoth: arrays too big for memory, next to numpy, h5py and scipy.

    import mammoth as mm
    a = mm.open("A.npy")                  # .npy, raw (dtype=...), or "file.h5:/group/A"
    v = np.asarray(a)                     # zero-copy when the bytes are mapped
    y = mm.matvec("A.npy", x, budget="64MiB")
    S = mm.sparse.load("S.npz")           # scipy.sparse over mammoth's buffers; mm.sparse.save(...)
    %load_ext mammoth                     # %memit / %%memit in IPython and Jupyter

Everything here is a thin layer over the C++ library (mammoth._mammoth); see docs/python.md.
"""

import os as _os

import numpy as _np

# As the CLI does (tools/mammoth/main.cpp): idle OpenMP threads sleep rather than spin, so the
# engine's I/O thread is not starved on a shared machine. libgomp reads this once, when the
# extension loads it, so it is set before the import (unless the user chose).
_os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from . import errors
from .errors import DTypeError, Error, FormatError, IoError, ShapeError
from . import _mammoth
from ._mammoth import Array, Footprint, MappedBuffer, MemitResult, MemitRun
from ._arrays import convert, create, memmap, open, open_memmap, random
from ._ooc import config, matmul, matvec, reduce, rmatvec
from ._profile import footprint, memit, memscope
from . import mprof, sparse

__version__ = _mammoth.__version__

__all__ = [
    "Array", "DTypeError", "Error", "FormatError", "Footprint", "IoError", "MemitResult", "MemitRun",
    "ShapeError", "config", "convert", "create", "footprint", "matmul", "matvec", "memit", "memmap",
    "memscope", "mprof", "open", "open_memmap", "random", "reduce", "rmatvec", "sparse",
]


def load_ipython_extension(ipython):
    """`%load_ext mammoth`: registers %memit and %%memit."""
    from .magics import MemitMagics
    ipython.register_magics(MemitMagics)
