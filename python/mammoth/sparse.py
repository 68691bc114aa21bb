"""mm.sparse: mammoth's sparse kernels on scipy.sparse matrices, in place on scipy's arrays."""
