"""Out-of-core operations from Python: the same answers as numpy, the GIL released while
they run, Ctrl-C as KeyboardInterrupt with no partial output, progress that can be off."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import mammoth as mm
from conftest import ticks_while


@pytest.fixture
def small(tmp_path):
    rng = np.random.default_rng(3)
    A = rng.random((300, 200))
    np.save(tmp_path / "A.npy", A)
    return tmp_path, A


def test_matvec_and_rmatvec_match_numpy(small):
    tmp, A = small
    x, y = np.arange(200.0), np.arange(300.0)
    assert np.allclose(mm.matvec(tmp / "A.npy", x, budget="1MiB"), A @ x)
    assert np.allclose(mm.rmatvec(mm.open(tmp / "A.npy"), y), A.T @ y)
    out = np.empty(300)
    assert mm.matvec(str(tmp / "A.npy"), x, out=out) is out and np.allclose(out, A @ x)


def test_matvec_writes_a_file(small):
    tmp, A = small
    np.save(tmp / "x.npy", np.ones(200))
    mm.matvec(tmp / "A.npy", tmp / "x.npy", out=str(tmp / "y.npy"))
    assert np.allclose(np.load(tmp / "y.npy"), A.sum(axis=1))


def test_results_beside_their_input_in_one_hdf5_file(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(4)
    A, x = rng.random((50, 40)), rng.random(40)
    f = tmp_path / "f.h5"
    with h5py.File(f, "w") as h:
        h["A"], h["x"] = A, x
    mm.matvec(f"{f}:/A", f"{f}:/x", out=f"{f}:/y")
    mm.convert(f"{f}:/A", f"{f}:/copy/A")
    with h5py.File(f, "r") as h:
        assert np.allclose(h["y"][:], A @ x)
        assert np.array_equal(h["copy/A"][:], A)
        assert np.array_equal(h["A"][:], A)


def test_matmul_and_reduce_match_numpy(small):
    tmp, A = small
    B = np.random.default_rng(4).random((200, 7))
    assert np.allclose(mm.matmul(tmp / "A.npy", B), A @ B)
    np.save(tmp / "B.npy", B)
    mm.matmul(tmp / "A.npy", tmp / "B.npy", out=str(tmp / "C.npy"))
    assert np.allclose(np.load(tmp / "C.npy"), A @ B)
    assert np.isclose(mm.reduce(tmp / "A.npy", "sum"), A.sum())
    assert np.allclose(mm.reduce(tmp / "A.npy", "max", axis=0), A.max(axis=0))
    assert np.allclose(mm.reduce(tmp / "A.npy", "mean", axis=1), A.mean(axis=1))


def test_numpy_matrix_works_as_well(small):
    _, A = small
    assert np.allclose(mm.matvec(A, np.ones(200)), A.sum(axis=1))


def test_other_threads_run_while_matvec_runs(big_matrix):
    took, ticks = ticks_while(lambda: mm.matvec(big_matrix, np.ones(65536, dtype=np.float32), budget="32MiB",
                                                threads=1, progress=False))
    assert took > 0.2, "the matrix must take a while for this test to mean anything"
    assert ticks >= 0.5 * took / 0.01 * 0.5


def _interrupt_after(seconds):
    sent = []

    def fire():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(seconds, fire).start()
    return sent


def test_ctrl_c_raises_keyboard_interrupt_quickly(big_matrix, small):
    sent = _interrupt_after(0.1)
    with pytest.raises(KeyboardInterrupt):
        mm.matvec(big_matrix, np.ones(65536, dtype=np.float32), threads=1, progress=False)
    assert sent and time.monotonic() - sent[0] < 0.5
    # The handler is Python's again, and a next call runs normally.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    tmp, A = small
    assert np.allclose(mm.matvec(tmp / "A.npy", np.ones(200), progress=False), A.sum(axis=1))


def test_ctrl_c_leaves_no_partial_output(big_matrix, tmp_path):
    np.save(tmp_path / "x.npy", np.ones(65536, dtype=np.float32))
    _interrupt_after(0.1)
    with pytest.raises(KeyboardInterrupt):
        mm.matvec(big_matrix, tmp_path / "x.npy", out=str(tmp_path / "y.npy"), threads=1, progress=False)
    assert sorted(os.listdir(tmp_path)) == ["x.npy"]


def test_progress_reaches_a_callback_and_can_be_off(small):
    tmp, A = small
    calls = []
    mm.matvec(tmp / "A.npy", np.ones(200), progress=lambda *a: calls.append(a), budget="1MiB")
    assert calls and calls[-1][0] == "matvec" and calls[-1][3] is True and calls[-1][1] == calls[-1][2] == A.nbytes


def test_text_progress_updates_in_place():
    import io
    from mammoth._ooc import TextProgress
    out = io.StringIO()
    p = TextProgress(stream=out, after=0)
    p("matvec", 50, 100, False)
    p("matvec", 100, 100, True)
    text = out.getvalue()
    assert text.startswith("\rmatvec [") and " 50%" in text and text.count("\r") == 2 and text.endswith("\n")


def test_an_ignored_sigint_stays_ignored(tmp_path):
    from conftest import sparse_npy
    path = sparse_npy(tmp_path / "A.npy", (2048, 65536))  # 512 MiB of zeros
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sent = _interrupt_after(0.05)
        y = mm.matvec(path, np.ones(65536, dtype=np.float32), threads=1, budget="16MiB", progress=False)
        assert sent, "the signal must arrive while the product runs"
    finally:
        signal.signal(signal.SIGINT, old)
    assert y.shape == (2048,) and not y.any()


def test_calls_from_several_threads_at_once(small):
    import h5py
    tmp, A = small
    with h5py.File(tmp / "A.h5", "w") as f:
        f.create_dataset("A", data=A, chunks=(50, 50))
    errors = []

    def work(spec):
        try:
            for _ in range(10):
                assert np.allclose(mm.matvec(spec, np.ones(200), progress=False, budget="4MiB"), A.sum(axis=1))
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in [tmp / "A.npy", f"{tmp}/A.h5:/A"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
