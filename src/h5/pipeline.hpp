// Filter pipelines of dataset creation property lists, and the filters mammoth makes
// available at library start (LZF, the plugin folders).
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "mammoth/h5/filters.hpp"

namespace mammoth::h5::detail {

// Registers h5py's LZF filter (ID 32000) in this process, over Debian's liblzf.
void register_lzf();
// Appends the plugin folders of Debian's filter packages and of pip's hdf5plugin
// that exist, unless the user chose the folders with HDF5_PLUGIN_PATH.
void add_plugin_paths();

std::vector<Filter> read_pipeline(hid_t dcpl, const std::string& object);
// Adds `filter` to `dcpl`; an Error naming what to install when it is not available.
void add_filter(hid_t dcpl, const Filter& filter, const std::string& object);
// After a failed read or write: throws the one-line "compressed with 'NAME' (HDF5
// filter ID), which is not available; install …" when a filter of the dataset's
// pipeline is missing, and returns otherwise.
void throw_if_filter_missing(hid_t dataset, const std::string& object);

}  // namespace mammoth::h5::detail
