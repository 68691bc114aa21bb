"""docs/notebook.py, the seed notebook on mammoth, executed headless (nbclient + ipykernel)
at a tenth of its sizes, with its outputs checked."""

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "tools"))


def test_notebook_runs_and_shows_what_it_says(monkeypatch):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from notebook import build, execute

    monkeypatch.setenv("MAMMOTH_NOTEBOOK_SCALE", "small")
    nb = execute(build((ROOT / "docs" / "notebook.py").read_text()), timeout=300)  # raises on any cell error
    text = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            text[cell.source] = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    memits = [t for s, t in text.items() if "memit" in s and "-q" not in s]
    assert len(memits) >= 8 and all(t.count("peak memory: ") >= 1 and "(anon +" in t for t in memits)
    assert any("True" in t for s, t in text.items() if "allclose(y, c)" in s)
    assert any("Size of A:" in t and "held" in t for t in text.values())
    saved = next(t for s, t in text.items() if "mm.sparse.save(f\"S_{fmt}.npz\", M)" in s)
    for fmt, npz in [("csr", "csr"), ("csc", "csc"), ("coo", "coo"), ("bsr", "bsr"), ("dia", "dia"),
                     ("lil", "csr"), ("dok", "csr")]:
        assert f"{fmt}: npz -> {npz}, mtx -> coo, h5 -> " in saved and saved.count("equal: True") == 7
    streamed = next(t for s, t in text.items() if "spmv(\"A.npz\"" in s)
    assert "peak memory: " in streamed and "streamed == in memory: True" in streamed
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "the spy plot"
