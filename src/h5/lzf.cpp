// h5py's LZF filter (HDF5 filter 32000), registered in this process as h5py registers
// it, over Debian's liblzf. Debian's hdf5-plugin-lzf cannot be loaded (its .so misses
// lzf_decompress), and LZF is common in .h5ad files, so mammoth carries its own.
//
// Client data as h5py's lzf_filter.c sets them: [0] filter revision, [1] liblzf API
// version, [2] the chunk's size in bytes, which is what every chunk decompresses to.
// h5py adds the filter as optional: a chunk LZF cannot shrink is stored raw.
#include <liblzf/lzf.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <vector>

#include "pipeline.hpp"

namespace mammoth::h5::detail {
namespace {

constexpr unsigned kLzfRevision = 4;  // h5py's H5PY_FILTER_LZF_VERSION
// An LZF chunk of unknown size is decompressed into a growing buffer, up to this.
constexpr std::size_t kLzfMaxBuffer = std::size_t{1} << 31;

void push_error(const char* function, const char* message) {
  H5Epush2(H5E_DEFAULT, __FILE__, function, __LINE__, H5E_ERR_CLS, H5E_PLINE, H5E_CALLBACK, "%s", message);
}

herr_t lzf_set_local(hid_t dcpl, hid_t type, hid_t) {
  unsigned flags = 0;
  std::size_t n = 8;
  unsigned values[8] = {};
  if (H5Pget_filter_by_id2(dcpl, kFilterLzf, &flags, &n, values, 0, nullptr, nullptr) < 0) return -1;
  hsize_t dims[H5S_MAX_RANK];
  const int rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, dims);
  if (rank < 0) return -1;
  std::size_t bytes = H5Tget_size(type);
  if (bytes == 0) return -1;
  for (int i = 0; i < rank; ++i) bytes *= dims[i];
  if (bytes > UINT_MAX) {
    push_error("lzf_set_local", "LZF chunks must be smaller than 4 GiB");
    return -1;
  }
  values[0] = kLzfRevision;
  values[1] = LZF_VERSION;
  values[2] = static_cast<unsigned>(bytes);
  return H5Pmodify_filter(dcpl, kFilterLzf, flags, 3, values);
}

// The buffers belong to libhdf5, which allocates and frees them with malloc/free.
std::size_t lzf_compress_chunk(std::size_t nbytes, std::size_t* buf_size, void** buf) {
  void* out = std::malloc(nbytes);
  if (!out) return 0;
  // An output no larger than the input: a chunk LZF cannot shrink fails the optional
  // filter, and libhdf5 stores it raw.
  const unsigned n = lzf_compress(*buf, static_cast<unsigned>(nbytes), out, static_cast<unsigned>(nbytes));
  if (n == 0) {
    std::free(out);
    return 0;
  }
  std::free(*buf);
  *buf = out;
  *buf_size = nbytes;
  return n;
}

std::size_t lzf_decompress_chunk(std::size_t chunk_bytes, std::size_t nbytes, std::size_t* buf_size, void** buf) {
  std::size_t size = chunk_bytes ? chunk_bytes : std::max<std::size_t>(*buf_size, 1);
  for (;;) {
    void* out = std::malloc(size);
    if (!out) {
      push_error("lzf_filter", "cannot allocate the LZF decompression buffer");
      return 0;
    }
    errno = 0;
    const unsigned n = lzf_decompress(*buf, static_cast<unsigned>(nbytes), out, static_cast<unsigned>(size));
    if (n != 0) {
      std::free(*buf);
      *buf = out;
      *buf_size = size;
      return n;
    }
    std::free(out);
    const bool grow = errno == E2BIG && chunk_bytes == 0 && size * 2 <= kLzfMaxBuffer;
    if (!grow) {
      push_error("lzf_filter", errno == E2BIG ? "LZF chunk is larger than its dataset's chunk size"
                                              : "invalid data for LZF decompression (corrupt chunk)");
      return 0;
    }
    size *= 2;
  }
}

std::size_t lzf_filter(unsigned flags, std::size_t cd_nelmts, const unsigned cd_values[], std::size_t nbytes,
                       std::size_t* buf_size, void** buf) {
  if (nbytes > UINT_MAX) return 0;
  if (!(flags & H5Z_FLAG_REVERSE)) return lzf_compress_chunk(nbytes, buf_size, buf);
  return lzf_decompress_chunk(cd_nelmts >= 3 ? cd_values[2] : 0, nbytes, buf_size, buf);
}

}  // namespace

void register_lzf() {
  const H5Z_class2_t filter = {
      H5Z_CLASS_T_VERS, static_cast<H5Z_filter_t>(kFilterLzf), 1, 1, "lzf", nullptr, lzf_set_local, lzf_filter,
  };
  // Called while the library starts, so not through call(); a failure leaves LZF
  // unregistered, and reading an LZF dataset then says the filter is missing.
  if (H5Zregister(&filter) < 0) H5Eclear2(H5E_DEFAULT);
}

}  // namespace mammoth::h5::detail
