# %% [markdown]
# # Handling Very Large Arrays, Memory Mappings — on mammoth
#
# The seed notebook ("Scientific Programming in Python, Topic 3", M. Villanueva, 2017)
# rewritten on `import mammoth as mm`: the same steps — `%memit`, a memory-mapped array,
# HDF5, the huge matrix-vector product, sparse formats and their picture — with exact
# peaks, zero-copy views and an out-of-core engine instead of Python row loops.
#
# Build the module with `cmake -DMAMMOTH_PYTHON=ON` and put `<build>/python` on
# `PYTHONPATH` (see docs/python.md). `MAMMOTH_NOTEBOOK_SCALE=small` shrinks every size
# tenfold (the test suite runs it that way).

# %%
# %matplotlib inline
%load_ext mammoth

import os
import tempfile

import h5py
import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse

import mammoth as mm

small = os.environ.get("MAMMOTH_NOTEBOOK_SCALE") == "small"
scale = 10 if small else 1
work = tempfile.mkdtemp(prefix="mammoth-notebook-")
os.chdir(work)
mm.config.progress = not small  # the progress line, drawn in place on long runs

# %% [markdown]
# ## 0. Memory profiling
#
# `%memit` takes memory_profiler's options (`-r -t -i -c -q -o`) and prints its line, then
# splits the increment into anonymous memory and file pages. The peak is the kernel's own
# high-water mark, so a spike between two samples is not missed.

# %%
%memit np.ones((100, 100), dtype=np.float64)

# %%
r = %memit -o -q np.ones((1000, 1000))
print(f"exact peak {r.peak / 2**20:.2f} MiB, increment {r.increment / 2**20:.2f} MiB")

# %% [markdown]
# ## 1. Memory mappings
#
# `mm.memmap` takes numpy.memmap's words (dtype, mode `r`, `r+`, `w+`, `c`, shape, offset,
# order). `np.asarray(f)` is a view of the mapping itself — no copy.

# %%
nrows, ncols = 100, 1_000_000 // scale
f = mm.memmap("memmapped.dat", dtype=np.float32, mode="w+", shape=(nrows, ncols))
print(f)

# %% [markdown]
# Fill it one row at a time; the increment is file pages (the kernel may write them back
# and drop them), not the program's own memory:

# %%
%%memit
for i in range(nrows):
    f[i, :] = np.random.random(ncols)

# %% [markdown]
# mammoth can also write a seeded random array to disk block by block, in bounded memory:

# %%
%memit g = mm.random("random.npy", (nrows, ncols), np.float32, seed=1)

# %%
x = np.asarray(f)[-1, :].copy()
v = np.asarray(f)
print(v.base, np.shares_memory(v, np.asarray(f)))
f.close()
print(v[-1, :3])  # views outlive the closed file: they hold the mapping

# %%
%%memit
f = mm.memmap("memmapped.dat", dtype=np.float32, mode="r", shape=(nrows, ncols))

# %%
%%memit
print(np.array_equal(f[-1, :], x))

# %% [markdown]
# ## 2. HDF5, with h5py and mammoth on the same file
#
# `mm.open("file.h5:/path")` opens a dataset; a contiguous one is mapped (zero-copy),
# a chunked or compressed one is read hyperslab by hyperslab.

# %%
with h5py.File("myfile.h5", "w") as h:
    dset = h.create_dataset("dataset", (nrows, ncols), dtype="f")
    h.create_group("subgroup").create_dataset("dataset2", (10,), dtype="i")
mm.convert("random.npy", "myfile.h5:/dataset", progress=False)  # into the dataset h5py made

# %%
%%memit
d = mm.open("myfile.h5:/dataset")
print(d, d.mapped)

# %%
with h5py.File("myfile.h5", "r") as h:
    print(h["subgroup/dataset2"], np.array_equal(h["dataset"][-1, :], d[-1, :]))

# %% [markdown]
# ## 3. The huge matrix-vector product
#
# $A \in \mathbb{R}^{m\times n}$ on disk, $b \in \mathbb{R}^n$ in memory. The seed loops over
# rows in Python; `mm.matvec` streams A once in blocks under a memory budget, in parallel,
# with the GIL released (other threads run; Ctrl-C stops it and leaves no partial output).

# %%
m, n = 1000, 100_000 // scale
A = mm.random("test.h5:/array", (m, n), np.float32, seed=2)
A.close()
b = np.random.random(n)

# %%
%%memit
dset = mm.open("test.h5:/array")
c = np.empty(m)
for i in range(m):
    c[i] = np.dot(dset[i, :], b)

# %%
%%memit
y = mm.matvec("test.h5:/array", b, budget="32MiB")

# %%
print(np.allclose(y, c))
assert np.allclose(y, c)

# %%
%timeit -r 3 -n 1 mm.matvec("test.h5:/array", b, progress=False)

# %% [markdown]
# Chunked datasets: h5py's `create_dataset` words (`chunks`, `compression`); a slice reads
# just the chunks it touches.

# %%
ch = mm.create("test2.h5:/chunked", (1000, 1000), "f", chunks=(100, 100), compression="gzip")
ch[0:100, 0:100] = np.ones((100, 100))
print(ch.chunks, ch[50:52, 98:102])

# %% [markdown]
# ## 4. Sparse matrices
#
# scipy's matrices, as they are. `mm.sparse.random` is scipy's `sparse.random` on
# mammoth's generator (the arrays scipy gets are the generator's own buffers);
# `mm.footprint` counts the bytes a matrix's buffers hold (where the seed's `get_size`
# walked Python objects), and `mm.sparse.spmv` runs the library's parallel kernel on
# scipy's own arrays.

# %%
S = mm.sparse.random(20, 20, density=0.1, format="csr", seed=42)
print(type(S))
plt.spy(S, markersize=6)
plt.show()

# %% [markdown]
# The seven formats, each saved and loaded again: `.npz` as `scipy.sparse.save_npz`
# writes it (lil and dok have no arrays of their own and go as csr), Matrix Market text,
# an HDF5 group in anndata's layout. Files are written from scipy's arrays without
# copying them and appear whole or not at all; `load` hands back the buffers it read into.

# %%
for fmt in ["csr", "csc", "coo", "bsr", "dia", "lil", "dok"]:
    M = S.asformat(fmt)
    mm.sparse.save(f"S_{fmt}.npz", M)
    mm.sparse.save("S.mtx", M)
    mm.sparse.save("S.h5:/" + fmt, M)
    back = [mm.sparse.load(f"S_{fmt}.npz"), mm.sparse.load("S.mtx"), mm.sparse.load("S.h5:/" + fmt)]
    print(f"{fmt}: npz -> {back[0].format}, mtx -> {back[1].format}, h5 -> {back[2].format}, equal:",
          all((B != S).nnz == 0 for B in back))

# %%
rows, cols = 1000, 100_000 // scale
A = mm.sparse.random(rows, cols, density=0.1, format="csr")
B = A.toarray()
b = np.random.random(cols)
print("Size of A:", mm.footprint(A))
print("Size of B:", mm.footprint(B))

# %%
print(np.allclose(mm.sparse.spmv(A, b), A @ b))
%timeit A.dot(b)
%timeit mm.sparse.spmv(A, b)
%timeit B.dot(b)

# %% [markdown]
# A matrix on disk is multiplied without loading it: `mm.sparse.spmv(path, x)` streams
# its indices and values in blocks under the budget (the GIL released, Ctrl-C stops it,
# a progress line on long runs) — the peak stays near the budget, not the matrix.

# %%
mm.sparse.save("A.npz", A, compressed=False)
del B
%memit y_disk = mm.sparse.spmv("A.npz", b, budget="16MiB")
print("streamed == in memory:", np.allclose(y_disk, A @ b))
