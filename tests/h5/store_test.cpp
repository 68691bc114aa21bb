#include <gtest/gtest.h>

#include <map>

#include "mammoth/h5.hpp"
#include "mammoth/store.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

using mammoth::testing::TempDir;

std::map<std::string, std::string> props(const BlockStore& s) {
  auto p = s.properties();
  return {p.begin(), p.end()};
}

TEST(H5Store, CreateOpenThroughStoreSpecs) {
  TempDir dir;
  const std::string spec = dir.file("s.h5") + ":/g/x";
  CreateOptions o;
  o.dtype = DType(ScalarType::Float32);
  o.shape = {40, 60};
  o.chunks = {10, 20};
  o.gzip_level = 3;
  o.shuffle = true;
  {
    auto s = create_store(spec, o);
    EXPECT_EQ(s->name(), spec);
    EXPECT_EQ(s->chunk_shape(), (Shape{10, 20}));
    EXPECT_GE(s->cache_bytes(), std::size_t{1} << 20);
    std::vector<double> rows(2 * 60);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<double>(i);
    s->write(Box::rows(s->shape(), 5, 7), rows.data(), DType(ScalarType::Float64));
    s->flush();
  }
  auto s = open_store(spec, Mode::Read);
  EXPECT_FALSE(s->writable());
  EXPECT_EQ(s->dtype(), DType(ScalarType::Float32));
  std::vector<float> row(60);
  s->read(Box::rows(s->shape(), 6, 7), row.data(), DType(ScalarType::Float32));
  EXPECT_EQ(row[59], 119.0f);
  auto p = props(*s);
  EXPECT_EQ(p["format"], "HDF5");
  EXPECT_EQ(p["layout"], "chunked");
  EXPECT_EQ(p["chunks"], "(10, 20)");
  EXPECT_EQ(p["filters"], "shuffle, gzip(3)");
  EXPECT_FALSE(s->mapped());
  EXPECT_THROW(s->write(Box::rows(s->shape(), 0, 1), row.data(), DType(ScalarType::Float32)), Error);
}

TEST(H5Store, ContiguousMapsAndCreateReplaces) {
  TempDir dir;
  const std::string file = dir.file("c.h5");
  CreateOptions o;
  o.dtype = DType(ScalarType::Int16, ByteOrder::Big);
  o.shape = {3, 4};
  {
    auto s = create_store(file + ":/x", o);
    const std::vector<std::int16_t> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    s->write(Box::whole(o.shape), v.data(), DType(ScalarType::Int16));
    auto other = create_store(file + ":/y", o);  // the file keeps /x
  }
  {
    auto s = open_store(file + ":/x", Mode::Read);
    EXPECT_EQ(props(*s)["layout"], "contiguous");
    auto m = s->mapped();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->dtype(), DType(ScalarType::Int16, ByteOrder::Big));
    EXPECT_EQ(m->to_native().as<std::int16_t>()(2, 3), 12);
  }
  o.shape = {2};
  create_store(file + ":/x", o);  // replaced
  EXPECT_EQ(open_store(file + ":/x")->shape(), Shape{2});
  EXPECT_EQ(open_store(file + ":/y")->shape(), (Shape{3, 4}));
  {
    h5::File f(file, "a");
    f.create_dataset("g/keep", {1}, DType(ScalarType::Int8));
  }
  EXPECT_THROW(create_store(file + ":/g", o), Error);  // a group is never replaced
  EXPECT_TRUE(h5::File(file, "r").contains("g/keep"));
  EXPECT_THROW(open_store(file + ":/x", Mode::CopyOnWrite), Error);
  EXPECT_THROW(open_store(file + ":/nope"), Error);
  EXPECT_THROW(open_store(std::string(MAMMOTH_SOURCE_DIR) + "/tests/h5/data/h5py_types.h5:/records"), TypeError);
}

}  // namespace
}  // namespace mammoth
