"""mammoth's exceptions: one base class, and subclasses that are also the builtin
exceptions numpy and h5py users already catch.

    Error                      any failure the library reports
    IoError(Error, OSError)    the operating system refused (open, mmap, write...); .errno set
    FormatError(Error, ValueError, OSError)
                               a file that is corrupt, truncated or not what its format says
                               (numpy raises ValueError for a bad .npy, h5py OSError)
    ShapeError(Error, ValueError, IndexError)
                               shapes that do not fit, indices or selections out of range
    DTypeError(Error, TypeError)
                               element types unknown, unsupported or mismatched

The message is the one the `mammoth` command prints after "mammoth: error: ".
"""


class Error(Exception):
    """A failure reported by the mammoth library."""


class IoError(Error, OSError):
    """The operating system refused an operation; errno is set."""


class FormatError(Error, ValueError, OSError):
    """A file is corrupt, truncated or not what its format promises."""


class ShapeError(Error, ValueError, IndexError):
    """Shapes do not fit, or an index or selection is out of range."""


class DTypeError(Error, TypeError):
    """An element type is unknown, unsupported or does not match."""
