// The HDF5 back end of BlockStore: a dataset in a file, opened or created through mammoth::h5.
#include <memory>

#include "../store/backends.hpp"
#include "mammoth/error.hpp"
#include "mammoth/h5/file.hpp"

namespace mammoth::detail {
namespace {

std::string join_shape(const Shape& s) { return shape_string(s); }

class H5Store final : public BlockStore {
 public:
  H5Store(std::unique_ptr<h5::File> file, h5::Dataset dataset)
      : file_(std::move(file)), dataset_(std::move(dataset)), dtype_(dataset_.dtype()) {}

  std::string name() const override { return dataset_.spec(); }
  DType dtype() const override { return dtype_; }
  const Shape& shape() const override { return dataset_.shape(); }
  Shape chunk_shape() const override { return dataset_.chunks(); }
  bool writable() const override { return dataset_.writable(); }
  void read(const Box& box, void* dst, DType dst_type) override { dataset_.read(box, dst, dst_type); }
  void write(const Box& box, const void* src, DType src_type) override { dataset_.write(box, src, src_type); }
  std::optional<AnyArray> mapped() override { return dataset_.mapped(); }
  std::optional<AnyArray> mapped(const Box& box) override { return dataset_.chunk_view(box); }
  void release(const Box& box) override { dataset_.release(box); }
  void flush() override { file_->flush(); }
  std::size_t cache_bytes() const override { return dataset_.chunks().empty() ? 0 : dataset_.cache().bytes; }
  std::size_t working_bytes() const override { return dataset_.working_bytes(); }
  std::size_t whole_chunk_working_bytes() const override { return dataset_.whole_chunk_working_bytes(); }

  std::vector<std::pair<std::string, std::string>> properties() const override {
    const h5::DatasetProperties p = dataset_.properties();
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("format", "HDF5");
    out.emplace_back("type", dataset_.type_description());
    const char* layouts[] = {"compact", "contiguous", "chunked", "virtual"};
    out.emplace_back("layout", layouts[static_cast<int>(p.layout)]);
    if (!p.chunks.empty()) out.emplace_back("chunks", join_shape(p.chunks));
    if (p.maxshape != dataset_.shape()) {
      std::string m = "(";
      for (std::size_t i = 0; i < p.maxshape.size(); ++i)
        m += (i ? ", " : "") + (p.maxshape[i] == h5::kUnlimited ? std::string("None") : std::to_string(p.maxshape[i]));
      out.emplace_back("maxshape", m + (p.maxshape.size() == 1 ? ",)" : ")"));
    }
    std::string filters;
    for (const auto& f : p.filters) filters += (filters.empty() ? "" : ", ") + f;
    out.emplace_back("filters", filters.empty() ? "none" : filters);
    if (p.fill_value) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", *p.fill_value);
      out.emplace_back("fill_value", buf);
    }
    out.emplace_back("storage_bytes", std::to_string(p.storage_bytes));
    if (p.offset) out.emplace_back("offset", std::to_string(*p.offset));
    if (!dataset_.chunks().empty()) out.emplace_back("chunk_cache_bytes", std::to_string(dataset_.cache().bytes));
    return out;
  }

 private:
  std::unique_ptr<h5::File> file_;
  h5::Dataset dataset_;
  DType dtype_;
};

}  // namespace

std::unique_ptr<BlockStore> open_h5_store(const StorePath& path, Mode mode) {
  if (mode == Mode::CopyOnWrite) throw Error(path.file + ": HDF5 datasets cannot be opened copy-on-write (mode 'c')");
  // Opening a dataset never creates or truncates its file: w/x/a mean "read and write" here.
  const Mode file_mode = mode == Mode::Read ? Mode::Read : Mode::ReadWrite;
  auto file = std::make_unique<h5::File>(path.file, file_mode);
  h5::Dataset dataset = file->dataset(path.inner);
  dataset.dtype();  // TypeError naming the dataset for types mammoth cannot hold
  return std::make_unique<H5Store>(std::move(file), std::move(dataset));
}

std::unique_ptr<BlockStore> create_h5_store(const StorePath& path, const CreateOptions& options) {
  // The file keeps its other objects; the dataset itself is replaced, as create_store promises.
  auto file = std::make_unique<h5::File>(path.file, Mode::Append);
  const h5::ObjectKind existing = file->kind(path.inner);
  if (existing == h5::ObjectKind::Dataset)
    file->remove(path.inner);
  else if (existing != h5::ObjectKind::Missing)  // never drop a whole group to make room
    throw Error(path.file + ":" + path.inner + ": is a " + h5::kind_name(existing) + ", not a dataset to replace");
  h5::DatasetOptions o;
  o.chunks = options.chunks;
  o.gzip_level = options.gzip_level;
  o.compression = options.compression;
  o.shuffle = options.shuffle;
  // Data are addressed by logical index, so a Fortran-ordered source still lands right.
  h5::Dataset dataset = file->create_dataset(path.inner, options.shape, options.dtype, o);
  return std::make_unique<H5Store>(std::move(file), std::move(dataset));
}

}  // namespace mammoth::detail
