#include <gtest/gtest.h>

#include <bit>
#include <functional>
#include <numeric>
#include <random>

#include "mammoth/h5.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

DatasetOptions compressed(const std::string& spec, Shape chunks) {
  DatasetOptions o;
  o.compression = spec;
  o.chunks = std::move(chunks);
  return o;
}

NdArray<double> ramp(const Shape& shape) {
  NdArray<double> a = NdArray<double>::empty(shape);
  std::iota(a.data(), a.data() + a.size(), 0.0);
  return a;
}

// Random bits: no compressor shrinks them.
NdArray<double> noise(const Shape& shape) {
  NdArray<double> a = NdArray<double>::empty(shape);
  std::mt19937_64 gen(7);
  for (std::int64_t i = 0; i < a.size(); ++i) a.data()[i] = std::bit_cast<double>(gen() & 0x7fefffffffffffffULL);
  return a;
}

TEST(H5Filters, LzfRoundTripsWithH5pysClientData) {
  TempDir dir;
  File f(dir.file("l.h5"), "w");
  Dataset d = f.create_dataset("x", AnyArray(ramp({200, 100})), compressed("lzf", {50, 100}));
  EXPECT_TRUE(array_equal(d.read_all_as<double>(), ramp({200, 100})));
  const DatasetProperties p = d.properties();
  ASSERT_EQ(p.filters, std::vector<std::string>{"lzf"});
  ASSERT_EQ(p.pipeline.size(), 1U);
  EXPECT_EQ(p.pipeline[0].id, kFilterLzf);
  EXPECT_TRUE(p.pipeline[0].optional);
  // h5py's lzf_filter.c: [0] filter revision 4, [2] the chunk's bytes.
  ASSERT_GE(p.pipeline[0].values.size(), 3U);
  EXPECT_EQ(p.pipeline[0].values[0], 4U);
  EXPECT_EQ(p.pipeline[0].values[2], 50U * 100U * 8U);
  EXPECT_LT(p.storage_bytes, 200U * 100U * 8U);
}

TEST(H5Filters, LzfStoresChunksItCannotShrinkRaw) {
  TempDir dir;
  File f(dir.file("n.h5"), "w");
  Dataset d = f.create_dataset("x", AnyArray(noise({64, 64})), compressed("lzf", {16, 64}));
  EXPECT_TRUE(array_equal(d.read_all_as<double>(), noise({64, 64})));
  EXPECT_EQ(d.properties().storage_bytes, 64U * 64U * 8U);
}

TEST(H5Filters, DebiansPluginsWriteAndRead) {
  // hdf5-filter-plugin and hdf5-filter-plugin-blosc-serial (scripts/setup).
  TempDir dir;
  File f(dir.file("p.h5"), "w");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"blosc", "blosc(lz4, 5, shuffle)"},
      {"blosc=zstd:7", "blosc(zstd, 7, shuffle)"},
      {"lz4", "lz4"},
      {"bzip2=3", "bzip2(3)"},
      {"gzip=6", "gzip(6)"},
  };
  int i = 0;
  for (const auto& [spec, shown] : cases) {
    const std::string name = "x" + std::to_string(i++);
    Dataset d = f.create_dataset(name, AnyArray(ramp({100, 50})), compressed(spec, {25, 50}));
    EXPECT_TRUE(array_equal(d.read_all_as<double>(), ramp({100, 50}))) << spec;
    EXPECT_EQ(d.properties().filters, std::vector<std::string>{shown}) << spec;
  }
}

TEST(H5Filters, ShuffleGoesBeforeTheCompressor) {
  TempDir dir;
  File f(dir.file("s.h5"), "w");
  DatasetOptions o = compressed("lzf", {25, 50});
  o.shuffle = true;
  o.fletcher32 = true;
  Dataset d = f.create_dataset("x", AnyArray(ramp({100, 50})), o);
  EXPECT_EQ(d.properties().filters, (std::vector<std::string>{"shuffle", "lzf", "fletcher32"}));
  EXPECT_TRUE(array_equal(d.read_all_as<double>(), ramp({100, 50})));
}

TEST(H5Filters, ParseCompression) {
  EXPECT_FALSE(parse_compression("none"));
  EXPECT_FALSE(parse_compression(""));
  EXPECT_EQ(parse_compression("gzip")->values, std::vector<unsigned>{4});
  EXPECT_EQ(parse_compression("gzip", 7)->values, std::vector<unsigned>{7});
  EXPECT_EQ(parse_compression("gzip=9")->values, std::vector<unsigned>{9});
  EXPECT_EQ(parse_compression("zstd=5")->id, kFilterZstd);
  EXPECT_EQ(parse_compression("zstd=5")->values, std::vector<unsigned>{5});
  // hdf5plugin.Blosc(cname='zstd', clevel=2): four zeros the plugin fills, level, shuffle, compressor.
  EXPECT_EQ(parse_compression("blosc=zstd:2")->values, (std::vector<unsigned>{0, 0, 0, 0, 2, 1, 5}));
  EXPECT_EQ(parse_compression("bitshuffle=zstd")->values, (std::vector<unsigned>{0, 3, 3}));
  for (const char* bad : {"gzip=10", "gzip=x", "lzf=3", "zstd=0", "blosc=foo", "blosc=lz4:12", "snappy", "GZIP"})
    EXPECT_THROW(parse_compression(bad), Error) << bad;
  EXPECT_NE(error_of([] { parse_compression("snappy"); }).find("expected none, gzip[=0-9], lzf"), std::string::npos);
}

TEST(H5Filters, NamesAndRemedies) {
  EXPECT_EQ(filter_name(kFilterLzf), "lzf");
  EXPECT_EQ(filter_name(kFilterBlosc), "blosc");
  EXPECT_EQ(filter_name(32766), "filter 32766");
  EXPECT_TRUE(filter_available(kFilterLzf));  // registered by mammoth itself
  EXPECT_TRUE(filter_available(kFilterGzip));
  EXPECT_FALSE(filter_available(32766));
  EXPECT_NE(filter_remedy(kFilterBlosc).find("hdf5-filter-plugin-blosc-serial"), std::string::npos);
  EXPECT_NE(filter_remedy(kFilterLz4).find("hdf5-filter-plugin"), std::string::npos);
  EXPECT_NE(filter_remedy(kFilterZstd).find("hdf5plugin"), std::string::npos);
  EXPECT_EQ(
      error_of([] {
        require_filter(32766, "f.h5:/x");
      }).rfind("f.h5:/x: cannot compress with 'filter 32766' (HDF5 filter 32766), which is not available; install", 0),
      0U);
  EXPECT_EQ(error_of([] { require_filter(kFilterLzf, "f.h5:/x"); }), "");
}

TEST(H5Filters, LsTextShowsFiltersByNameAndMarksMissingOnes) {
  EXPECT_EQ(filter_text(Filter{kFilterGzip, {4}, false}), "gzip(4)");
  EXPECT_EQ(filter_text(Filter{kFilterBlosc, {2, 2, 8, 40000, 5, 2, 1}, true}), "blosc(lz4, 5, bitshuffle)");
  EXPECT_EQ(filter_text(Filter{32766, {}, true}), "filter 32766 (not available)");
}

}  // namespace
}  // namespace mammoth::h5
