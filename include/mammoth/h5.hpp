// mammoth::h5 — HDF5 files through libhdf5's C API, readable and writable by h5py.
#pragma once

#include "mammoth/h5/attribute.hpp"
#include "mammoth/h5/dataset.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/h5/group.hpp"
#include "mammoth/h5/handle.hpp"
#include "mammoth/h5/types.hpp"
