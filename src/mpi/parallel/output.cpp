#include "mammoth/mpi/output.hpp"

#include <mpi.h>

#include <filesystem>
#include <vector>

#include "../../h5/call.hpp"
#include "mammoth/h5/group.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/path.hpp"

namespace mammoth::mpi {
namespace {

using h5::Handle;
using h5::detail::call;
using h5::detail::open;

std::int64_t expected_bytes(const CreateOptions& options) {
  return element_count(options.shape, options.dtype.itemsize(), "output") *
         static_cast<std::int64_t>(options.dtype.itemsize());
}

bool filtered(const CreateOptions& options) { return options.gzip_level >= 0 || !options.compression.empty(); }

// An HDF5 dataset every rank has open through the MPI-IO driver; writes are collective
// rounds: every rank takes part in each round, with an empty selection when it has
// nothing (left) to write.
class CollectiveH5Store final : public BlockStore {
 public:
  // `exists`: rank 0's answer (a temporary file not made yet, or the existing file that
  // gets a temporary link), so every rank opens the same way.
  CollectiveH5Store(const StorePath& path, const CreateOptions& options, bool exists) {
    const std::string& file = path.file;
    Handle fapl = open("create file access properties", file, H5Pcreate, H5P_FILE_ACCESS);
    call("use the MPI-IO driver", file, H5Pset_fapl_mpio, fapl.get(), MPI_COMM_WORLD, MPI_INFO_NULL);
    h5::detail::apply_alignment(fapl.get(), file);
    Handle id = exists ? open("open for parallel writing", file, H5Fopen, file.c_str(), H5F_ACC_RDWR, fapl.get())
                       : open("create for parallel writing", file, H5Fcreate, file.c_str(), H5F_ACC_EXCL, H5P_DEFAULT,
                              fapl.get());
    root_ = std::make_unique<h5::Group>(std::move(id), file, "/", true);
    h5::DatasetOptions o;
    o.chunks = options.chunks;
    o.gzip_level = options.gzip_level;
    o.compression = options.compression;
    o.shuffle = options.shuffle;
    dataset_ = std::make_unique<h5::Dataset>(root_->create_dataset(path.inner, options.shape, options.dtype, o));
    type_ = dataset_->dtype();
    file_type_ = h5::make_file_type(type_);
    dxpl_ = open("create transfer properties", name(), H5Pcreate, H5P_DATASET_XFER);
    call("make transfers collective", name(), H5Pset_dxpl_mpio, dxpl_.get(), H5FD_MPIO_COLLECTIVE);
  }
  ~CollectiveH5Store() override {
    dataset_.reset();  // the dataset closes before its file (MPI-IO closes files only when nothing is open)
    root_.reset();
  }

  std::string name() const override { return dataset_->spec(); }
  DType dtype() const override { return type_; }
  const Shape& shape() const override { return dataset_->shape(); }
  Shape chunk_shape() const override { return dataset_->chunks(); }
  bool writable() const override { return true; }
  void read(const Box&, void*, DType) override {
    throw Error(name() + ": an output being written in parallel cannot be read back");
  }
  void write(const Box& box, const void* src, DType src_type) override {
    if (ooc::cancel_requested()) throw ooc::Cancelled();  // Ctrl-C: as the one-process output does
    check_box(box, shape(), name());
    std::vector<std::byte> scratch;
    if (src_type != type_) {  // converted here: HDF5 then moves the bytes as they are
      scratch.resize(static_cast<std::size_t>(box.size()) * type_.itemsize());
      convert(src, src_type, scratch.data(), type_, static_cast<std::size_t>(box.size()));
      src = scratch.data();
    }
    round(true);
    transfer(&box, src);
  }
  void flush() override {}

  // Empty rounds until no rank has anything left to write.
  void finish() {
    while (round(false)) transfer(nullptr, nullptr);
  }

 private:
  // Every rank says whether it writes in this round; true while any does.
  bool round(bool writing) const {
    const int mine = writing ? 1 : 0;
    int any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any != 0;
  }

  // One collective H5Dwrite: `box` of the dataset, or nothing when null.
  void transfer(const Box* box, const void* src) {
    const std::string object = name();
    Handle file_space = open("get dataspace", object, H5Dget_space, dataset_->id());
    Handle mem_space;
    if (box && !shape().empty()) {
      const std::vector<hsize_t> offset(box->offset.begin(), box->offset.end()),
          count(box->count.begin(), box->count.end());
      call("select hyperslab", object, H5Sselect_hyperslab, file_space.get(), H5S_SELECT_SET, offset.data(), nullptr,
           count.data(), nullptr);
      mem_space = open("create memory dataspace", object, H5Screate_simple, static_cast<int>(count.size()),
                       count.data(), nullptr);
    } else if (box) {
      mem_space = open("create memory dataspace", object, H5Screate, H5S_SCALAR);
    } else {
      call("select nothing", object, H5Sselect_none, file_space.get());
      mem_space = open("create memory dataspace", object, H5Scopy, file_space.get());
      call("select nothing", object, H5Sselect_none, mem_space.get());
    }
    call("write (collective)", object, H5Dwrite, dataset_->id(), file_type_.get(), mem_space.get(), file_space.get(),
         dxpl_.get(), src);
  }

  std::unique_ptr<h5::Group> root_;
  std::unique_ptr<h5::Dataset> dataset_;
  DType type_;
  Handle file_type_, dxpl_;
};

RawLayout raw_layout(const CreateOptions& options) {
  RawLayout layout;
  layout.dtype = options.dtype;
  layout.shape = options.shape;
  layout.order = options.order;
  return layout;
}

}  // namespace

bool parallel_filtered_writes() {
#if defined(H5_HAVE_PARALLEL_FILTERED_WRITES) || (H5_VERSION_GE(1, 10, 2) && MPI_VERSION >= 3)
  return true;
#else
  return false;
#endif
}

ParallelOutput::ParallelOutput(const Communicator& comm, const std::string& spec, const CreateOptions& options)
    : comm_(comm) {
  const StorePath final_path = parse_store_path(spec);
  std::string temp;
  comm.phase([&] {
    if (final_path.is_hdf5() && filtered(options) && !parallel_filtered_writes())
      throw Error(spec +
                  ": this libhdf5 cannot write compressed datasets in parallel (needs HDF5 >= 1.10.2 built "
                  "with parallel filtered writes); write it uncompressed, or convert it afterwards");
    if (comm.root()) {
      commit_ = std::make_unique<OutputCommit>(spec, expected_bytes(options));
      temp = commit_->spec();
    }
  });
  comm.broadcast(temp);
  const StorePath path = parse_store_path(temp);
  if (path.is_hdf5()) {
    char exists = comm.root() && std::filesystem::exists(path.file) ? 1 : 0;
    comm.broadcast(&exists, 1);
    comm.phase([&] { store_ = std::make_unique<CollectiveH5Store>(path, options, exists != 0); });
    return;
  }
  // The file exists (preallocated, header written) before any other rank opens it.
  comm.phase([&] {
    if (comm.root()) store_ = create_store(temp, options);
  });
  comm.phase([&] {
    if (comm.root()) return;
    store_ = extension_format(path.file) == FileFormat::Npy ? open_store(temp, Mode::ReadWrite)
                                                            : open_store(temp, Mode::ReadWrite, raw_layout(options));
  });
}

ParallelOutput::~ParallelOutput() = default;

void ParallelOutput::finish_writes() {
  if (auto* h5 = dynamic_cast<CollectiveH5Store*>(store_.get())) h5->finish();
}

void ParallelOutput::commit() {
  comm_.phase([&] {
    store_->flush();
    store_.reset();  // collective close for HDF5; munmap for the others
  });
  comm_.phase([&] {
    if (commit_) commit_->commit();
  });
}

}  // namespace mammoth::mpi
