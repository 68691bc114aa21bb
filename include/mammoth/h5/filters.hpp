// HDF5 compression filters by name: libhdf5's own (gzip, shuffle, fletcher32, szip,
// nbit, scaleoffset), h5py's LZF (registered by mammoth itself, over liblzf), and the
// plugins found on the HDF5 plugin path (Debian's blosc, lz4 and bzip2; pip's
// hdf5plugin for zstd, bitshuffle…).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mammoth/h5/handle.hpp"

namespace mammoth::h5 {

// Filter IDs as registered with The HDF Group (h5py and hdf5plugin use the same).
constexpr unsigned kFilterGzip = 1, kFilterShuffle = 2, kFilterFletcher32 = 3, kFilterSzip = 4, kFilterNbit = 5,
                   kFilterScaleOffset = 6, kFilterBzip2 = 307, kFilterLzf = 32000, kFilterBlosc = 32001,
                   kFilterLz4 = 32004, kFilterBitshuffle = 32008, kFilterZstd = 32015;

// One stage of a dataset's filter pipeline: its ID and client data (cd_values).
struct Filter {
  unsigned id = 0;
  std::vector<unsigned> values;
  // A chunk the filter cannot shrink is stored as it is (h5py's LZF and plugins).
  bool optional = false;
};

// "gzip", "lzf", "blosc"…; "filter 32766" for an ID mammoth does not know.
std::string filter_name(unsigned id);
// The filter as `ls` shows it: "gzip(4)", "blosc(lz4, 5, shuffle)", "zstd(3)", with
// " (not available)" when this installation cannot run it.
std::string filter_text(const Filter& filter);
// True when libhdf5 can run the filter here (built in, registered, or a loadable plugin).
bool filter_available(unsigned id);
// Where to get a missing filter: "install Debian's hdf5-filter-plugin"…
std::string filter_remedy(unsigned id);
// Unless the filter is available: an Error "OBJECT: cannot compress with 'NAME' (HDF5
// filter ID), which is not available; install …".
void require_filter(unsigned id, const std::string& object);

// A `--compression` value, NAME or NAME=SETTINGS: gzip[=0-9], lzf, zstd[=1-22],
// blosc[=CNAME[:LEVEL]] (CNAME blosclz, lz4, lz4hc, zlib, zstd; LEVEL 0-9), lz4,
// bzip2[=1-9], bitshuffle[=lz4|zstd|none]. "none" and "" give nullopt. An unknown
// name or setting is an Error listing the choices; `gzip_level` is gzip's level when
// the spec gives none.
std::optional<Filter> parse_compression(const std::string& spec, int gzip_level = 4);
// The compression names parse_compression knows, available here or not.
std::vector<std::string> compression_names();

}  // namespace mammoth::h5
