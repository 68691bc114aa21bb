// The one path grammar and the one place that tells what a path names. Every command
// and every back end asks here; nothing else looks at file name extensions.
//
//   FILE.npy           a .npy array                 FILE.npz    a scipy sparse matrix
//   FILE               a raw file (with its layout) FILE.mtx    a Matrix Market matrix
//   FILE:/a/b          an HDF5 object: a dataset is an array, a group a sparse matrix
//
// An existing file is recognised by its content (HDF5's signature at byte 0 or at a user
// block of 512, 1024, 2048 ... bytes; numpy's, zip's and Matrix Market's magic), so
// `.h5ad`, `.nc`, `.he5`, `.mat` v7.3, `.nxs` files are HDF5 whatever their name; a file
// yet to be made is known by its extension.
#pragma once

#include <string>

namespace mammoth {

// "FILE.h5:/group/x" -> {"FILE.h5", "/group/x"}; "data.npy" -> {"data.npy", ""}.
struct StorePath {
  std::string file;
  std::string inner;  // HDF5 object path, empty for plain files
  bool is_hdf5() const { return !inner.empty(); }
};
StorePath parse_store_path(const std::string& spec);

enum class FileFormat { Npy, Npz, Mtx, Hdf5, Raw };
const char* format_name(FileFormat format);

// The format of `file`: by content when it exists and is not empty, else by extension
// (anything unknown is Raw).
FileFormat file_format(const std::string& file);
// The format a file of this name is made in (.npy, .npz, .mtx, .h5/.hdf5/.h5ad/.nc/...; else raw).
FileFormat extension_format(const std::string& file);
// True when `file` exists and holds HDF5's signature (at 0 or after a user block).
bool is_hdf5_file(const std::string& file);

// The format of the file a spec names (Hdf5 for FILE:/path).
FileFormat spec_format(const std::string& spec);

// What a spec names.
enum class Content { DenseArray, SparseMatrix };
// .npz and .mtx files and HDF5 groups are sparse matrices; .npy, raw files and HDF5
// datasets dense arrays. A FILE:/path that does not exist yet is dense unless `sparse_hint`.
Content content_of(const std::string& spec, bool sparse_hint = false);
inline bool names_sparse(const std::string& spec) { return content_of(spec) == Content::SparseMatrix; }

}  // namespace mammoth
