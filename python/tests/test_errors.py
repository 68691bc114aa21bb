"""Every error class, raised by the library and caught as numpy/h5py users would."""

import numpy as np
import pytest

import mammoth as mm


def test_missing_file_is_an_oserror_with_errno(tmp_path):
    with pytest.raises(FileNotFoundError.__mro__[1]) as e:  # OSError
        mm.open(tmp_path / "nope.npy")
    assert isinstance(e.value, mm.IoError) and isinstance(e.value, mm.Error)
    assert e.value.errno == 2 and str(e.value) == f"{tmp_path}/nope.npy: cannot open (No such file or directory)"


def test_corrupt_npy_is_a_format_error(tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(ValueError) as e:
        mm.open(tmp_path / "bad.npy")
    assert isinstance(e.value, mm.FormatError) and isinstance(e.value, OSError)
    assert "bad.npy" in str(e.value)


def test_shape_mismatch_is_a_shape_error(tmp_path):
    np.save(tmp_path / "A.npy", np.ones((3, 4)))
    with pytest.raises(ValueError) as e:
        mm.matvec(tmp_path / "A.npy", np.ones(5), progress=False)
    assert isinstance(e.value, mm.ShapeError)


def test_unknown_dtype_is_a_dtype_error(tmp_path):
    with pytest.raises(TypeError) as e:
        mm.memmap(tmp_path / "x.raw", dtype=object, mode="w+", shape=(3,))
    assert isinstance(e.value, mm.DTypeError)


def test_other_failures_are_plain_errors(tmp_path):
    np.save(tmp_path / "A.npy", np.ones((3, 4)))
    with pytest.raises(mm.Error, match="budget"):
        mm.matvec(tmp_path / "A.npy", np.ones(4), budget="lots")
    with pytest.raises(mm.Error):
        mm.reduce(tmp_path / "A.npy", "median")


def test_message_is_the_one_the_cli_prints(tmp_path):
    import subprocess
    from conftest import cli
    r = subprocess.run([cli(), "info", str(tmp_path / "nope.npy")], capture_output=True, text=True)
    with pytest.raises(mm.Error) as e:
        mm.open(tmp_path / "nope.npy")
    assert r.stderr.strip() == f"mammoth: error: {e.value}"


def test_every_error_class_is_raised_by_some_test():
    """Each class in mammoth.errors is caught by name (pytest.raises or isinstance) in a test,
    so a class no library error maps to any more is noticed."""
    import inspect
    import pathlib
    import re
    classes = [n for n, c in inspect.getmembers(mm.errors, inspect.isclass) if issubclass(c, mm.Error)]
    assert sorted(classes) == ["DTypeError", "Error", "FormatError", "IoError", "ShapeError"]
    here = pathlib.Path(__file__)
    tests = "".join(p.read_text().replace(inspect.getsource(test_every_error_class_is_raised_by_some_test), "")
                    for p in here.parent.glob("test_*.py"))
    for name in classes:
        assert re.search(rf"(pytest\.raises\(mm\.{name}\b|isinstance\(e\.value, mm\.{name}\))", tests), name


def test_a_call_stuck_in_libhdf5_is_explained_on_stderr():
    # libhdf5 spins without end in H5Aread on this damaged file (fuzz/known); nothing can
    # interrupt it, so after MAMMOTH_HDF5_TIMEOUT seconds the user is told why the cell hangs.
    import os, subprocess, sys
    known = os.path.join(os.path.dirname(__file__), "..", "..", "fuzz", "known", "h5_vlen_attribute_hang.h5")
    code = f"import mammoth as mm; mm.sparse.info({known + ':/m'!r})"
    env = dict(os.environ, MAMMOTH_HDF5_TIMEOUT="0.5")
    p = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=env)
    try:
        p.wait(timeout=4)
    except subprocess.TimeoutExpired:
        p.kill()
    err = p.communicate()[1]
    assert "h5_vlen_attribute_hang.h5:/m attribute 'encoding-type'" in err, err
    assert "libhdf5 has not returned in 0.5 s" in err and "restart the kernel" in err, err
