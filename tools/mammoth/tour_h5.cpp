// Tour section 3: the notebook's HDF5 steps, with mammoth::h5 in place of h5py.
#include <sstream>

#include "mammoth/h5.hpp"
#include "mammoth/random.hpp"
#include "tour.hpp"

namespace mammoth::cli {
namespace {

// np.random.random(n) as float32.
std::vector<float> random_row(Xoshiro256pp& gen, std::int64_t n) {
  std::vector<float> row(static_cast<std::size_t>(n));
  for (float& v : row) v = gen.uniform_float();
  return row;
}

void run_h5(TourContext& ctx) {
  const std::int64_t nrows = ctx.small ? 10 : 100, ncols = ctx.small ? 10000 : 1000000;
  const std::int64_t side = ctx.small ? 100 : 1000, tile = ctx.small ? 10 : 100;
  const std::string path = (ctx.dir / "myfile.h5").string();
  Xoshiro256pp gen(0);
  std::vector<float> last;
  {
    std::optional<h5::File> f;
    ctx.step("f = File(\"myfile.h5\", \"w\")", [&] { f.emplace(path, "w"); });
    std::optional<h5::Dataset> dset;
    ctx.step("dset = f.create_dataset(\"dataset\", (nrows, ncols), float32)", [&] {
      dset.emplace(f->create_dataset("dataset", {nrows, ncols}, DType(ScalarType::Float32)));
    });
    ctx.note("shape " + shape_string(dset->shape()) + ", dtype " + dset->dtype().name());
    ctx.step("fill row by row with random values (memit)", [&] {
      for (std::int64_t i = 0; i < nrows; ++i) {
        const std::vector<float> row = random_row(gen, ncols);
        dset->write(Box{{i, 0}, {1, ncols}}, row.data(), DType(ScalarType::Float32));
      }
    });
    ctx.step("x = dset[-1, :]", [&] {
      last.resize(static_cast<std::size_t>(ncols));
      dset->read(Box{{nrows - 1, 0}, {1, ncols}}, last.data(), DType(ScalarType::Float32));
    });
    std::ostringstream head;
    head << "x[:3] = [" << last[0] << ", " << last[1] << ", " << last[2] << " ...]";
    ctx.note(head.str());
    ctx.note("f.name = " + f->name() + ", dset.name = " + dset->name());
    ctx.step("f.create_group(\"subgroup\"), subgroup/dataset2 (10,) int32", [&] {
      f->create_group("subgroup");
      f->create_dataset("subgroup/dataset2", {10}, DType(ScalarType::Int32));
    });
    std::string members;
    f->visit([&](const h5::Member& m) { members += " /" + m.name + " (" + h5::kind_name(m.kind) + ")"; });
    ctx.note("objects:" + members);
    ctx.step("f.close()", [&] {
      dset.reset();
      f->close();
    });
  }
  {
    std::optional<h5::File> f;
    std::optional<h5::Dataset> dset;
    ctx.step("f = File(\"myfile.h5\", \"r+\"); dset = f[\"dataset\"]", [&] {
      f.emplace(path, "r+");
      dset.emplace(f->dataset("dataset"));
    });
    bool equal = false;
    ctx.step("array_equal(dset[-1, :], x)", [&] {
      std::vector<float> row(static_cast<std::size_t>(ncols));
      dset->read(Box{{nrows - 1, 0}, {1, ncols}}, row.data(), DType(ScalarType::Float32));
      equal = row == last;
    });
    ctx.note(std::string("array_equal: ") + (equal ? "True" : "False"));
  }
  {
    const std::string chunked_path = (ctx.dir / "test2.h5").string();
    h5::File f(chunked_path, "w");
    h5::DatasetOptions o;
    o.chunks = {tile, tile};
    h5::Dataset d = f.create_dataset("chunked", {side, side}, DType(ScalarType::Float32), o);
    ctx.step("chunked (" + std::to_string(side) + ", " + std::to_string(side) + ") in (" + std::to_string(tile) + ", " +
                 std::to_string(tile) + ") chunks, written tile by tile",
             [&] {
               for (std::int64_t i = 0; i < side; i += tile)
                 for (std::int64_t j = 0; j < side; j += tile) {
                   const std::vector<float> block = random_row(gen, tile * tile);
                   d.write(Box{{i, j}, {tile, tile}}, block.data(), DType(ScalarType::Float32));
                 }
             });
    const h5::DatasetProperties p = d.properties();
    ctx.note("chunks " + shape_string(p.chunks) + ", " + std::to_string(p.storage_bytes) +
             " bytes stored, chunk cache " + std::to_string(d.cache().bytes) + " bytes");
  }
}

const bool registered = register_tour_section({30, "3. HDF5", run_h5});

}  // namespace
}  // namespace mammoth::cli
