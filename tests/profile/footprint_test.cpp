#include "mammoth/profile/footprint.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "test_support.hpp"

namespace mammoth::profile {
namespace {

// A file mapping as the memmap module's storage is: is_mapped() and the bytes of a file.
class TestMapping final : public Storage {
 public:
  TestMapping(const std::string& path, std::size_t bytes) : size_(bytes) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_EQ(::ftruncate(fd_, static_cast<off_t>(bytes)), 0);
    data_ = static_cast<std::byte*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0));
  }
  ~TestMapping() override {
    ::munmap(data_, size_);
    ::close(fd_);
  }
  std::byte* data() override { return data_; }
  std::size_t size() const override { return size_; }
  bool is_mapped() const override { return true; }

 private:
  int fd_;
  std::byte* data_;
  std::size_t size_;
};

TEST(Footprint, AnArrayHoldsItsBuffer) {
  const auto a = NdArray<double>::full({100, 100}, 1.0);
  const Footprint f = footprint(a);
  EXPECT_EQ(f.heap, 80000);
  EXPECT_EQ(f.nbytes, 80000);
  EXPECT_EQ(f.bytes(), 80000);
  EXPECT_EQ(f.shared, 0);
  EXPECT_EQ(f.storages, 1);
}

TEST(Footprint, AViewHoldsAllOfSomeoneElsesBufferAndSaysSo) {
  const auto a = NdArray<float>::zeros({1000, 10});
  const auto row = a[3];
  const Footprint f = footprint(row);
  EXPECT_EQ(f.nbytes, 40);
  EXPECT_EQ(f.heap, 40000);  // the view keeps the whole buffer alive
  EXPECT_EQ(f.shared, 40000);
}

TEST(Footprint, SharedStorageIsCountedOnce) {
  const auto a = NdArray<std::int32_t>::zeros({256});
  const auto half = a.slice({Slice::range(0, 128)});
  const auto b = NdArray<std::int32_t>::zeros({10});
  const Footprint f = footprint(a, half, b);
  EXPECT_EQ(f.heap, 1024 + 40);
  EXPECT_EQ(f.nbytes, 1024 + 512 + 40);
  EXPECT_EQ(f.shared, 0);  // nobody outside the three holds these buffers
  EXPECT_EQ(f.storages, 2);
}

TEST(Footprint, AnyArrayAndVectorsAdd) {
  const AnyArray a = NdArray<std::int16_t>::zeros({50});
  std::vector<double> v;
  v.reserve(100);
  v.resize(10);
  const Footprint f = footprint(a, v);
  EXPECT_EQ(f.heap, 100 + 800);
  EXPECT_EQ(f.nbytes, 100 + 80);
}

TEST(Footprint, AMappedFileCountsResidentPagesApartFromMapped) {
  testing::TempDir dir;
  const std::int64_t bytes = 64 << 20;
  auto storage = std::make_shared<TestMapping>(dir.file("m.dat"), static_cast<std::size_t>(bytes));
  const NdArray<std::uint8_t> a(storage, reinterpret_cast<std::uint8_t*>(storage->data()), {bytes}, {1});
  // A fresh sparse file: nothing resident yet.
  Footprint f = footprint(a);
  EXPECT_EQ(f.mapped, bytes);
  EXPECT_EQ(f.heap, 0);
  EXPECT_EQ(f.resident, 0);
  EXPECT_EQ(f.shared, bytes);  // `storage` here holds it too
  // Write 4 MiB: fault readahead and large folios bring in a few MiB more, never the
  // whole 64 MiB.
  std::memset(storage->data(), 1, 4 << 20);
  f = footprint(a);
  EXPECT_GE(f.resident, 4 << 20);
  EXPECT_LE(f.resident, 16 << 20);
  EXPECT_EQ(f.bytes(), f.resident);
}

TEST(FormatFootprint, NamesEachPart) {
  Footprint f;
  f.mapped = 256 << 10;
  f.resident = 128 << 10;
  f.shared = 256 << 10;
  f.nbytes = 256 << 10;
  EXPECT_EQ(format_footprint(f),
            "128.00 KiB held (heap 0 B; mapped 256.00 KiB, resident 128.00 KiB; "
            "shared with other objects 256.00 KiB; elements 256.00 KiB)");
}

TEST(ResidentBytes, CountsOnlyTheRangeAskedFor) {
  std::vector<char> v(3 * 4096, 1);
  EXPECT_EQ(resident_bytes(v.data() + 100, 1000), 1000);
  EXPECT_EQ(resident_bytes(nullptr, 10), 0);
}

// A type from another module joins through add_footprint in its own namespace.
}  // namespace
}  // namespace mammoth::profile

namespace other_module {
struct Pair {
  mammoth::NdArray<double> values;
  std::vector<std::int64_t> index;
};
void add_footprint(mammoth::profile::FootprintCounter& c, const Pair& p) {
  c.add(p.values);
  c.add_buffer(p.index);
}
}  // namespace other_module

namespace mammoth::profile {
namespace {

TEST(Footprint, OtherModulesExtendItByArgumentDependentLookup) {
  other_module::Pair p{NdArray<double>::zeros({10}), std::vector<std::int64_t>(5)};
  const auto view = p.values.slice({Slice::range(0, 5)});
  const Footprint f = footprint(p, view);  // p.values and view share storage: once
  EXPECT_EQ(f.heap, 80 + 40);
  EXPECT_EQ(f.nbytes, 80 + 40 + 40);
}

}  // namespace
}  // namespace mammoth::profile
