// The one mapping primitive's page policy (mapping.hpp).
#include "mammoth/mapping.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mammoth/error.hpp"
#include "test_support.hpp"
#include "write_behind_sync.hpp"

namespace mammoth {
namespace {

constexpr std::size_t kBytes = 8 << 20;

std::string make_file(const testing::TempDir& dir, char fill) {
  const std::string path = dir.file("f.bin");
  testing::write_file(path, std::string(kBytes, fill));
  return path;
}

TEST(FileMap, ReleaseOfAWritableSharedMapKeepsTheWrites) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  {
    auto map = FileMap::open(path, 0, FileMap::kToEnd, MapMode::ReadWrite);
    std::memset(map->data(), 'b', kBytes);
    const double before = testing::mapping_rss_kib(map->data());
    map->release(0, kBytes);
    EXPECT_LE(testing::mapping_rss_kib(map->data()), before - kBytes / 2 / 1024.0);
    EXPECT_EQ(static_cast<char>(map->data()[kBytes / 2]), 'b');  // faults back from the page cache
  }
  EXPECT_EQ(testing::read_file(path), std::string(kBytes, 'b'));
}

using testing::counting_sync;
using testing::data_syncs;
using testing::failing_sync;
using testing::WriteBehindSync;

// Released writes are made durable beside the caller, and sync() waits for that: the
// commit's msync then finds them written. A span shared with unwritten boxes is not.
TEST(FileMap, ReleasedWritesAreSyncedBehindAndSyncWaitsForThem) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  const WriteBehindSync counted(&counting_sync);
  auto map = FileMap::open(path, 0, FileMap::kToEnd, MapMode::ReadWrite);
  std::memset(map->data(), 'b', kBytes / 2);
  map->release(0, kBytes / 2, false);
  map->sync(0, kBytes, true);
  EXPECT_EQ(data_syncs, 0);
  map->release(0, kBytes / 2);
  map->sync(0, kBytes, true);
  EXPECT_EQ(data_syncs, 1);
  map.reset();
  EXPECT_EQ(testing::read_file(path).substr(0, kBytes / 2), std::string(kBytes / 2, 'b'));
}

// An error the write-behind sync meets is the commit's: Linux reports a failed write-back
// to one fsync only, and that fsync was the write-behind thread's.
TEST(FileMap, AWriteBehindErrorIsReportedBySync) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  const WriteBehindSync failing(&failing_sync);
  auto map = FileMap::open(path, 0, FileMap::kToEnd, MapMode::ReadWrite);
  std::memset(map->data(), 'b', kBytes);
  map->release(0, kBytes);
  try {
    map->sync(0, kBytes, true);
    FAIL() << "the write-behind error was not reported";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(e.errnum(), EIO) << e.what();
  }
  EXPECT_EQ(data_syncs, 1);
}

TEST(FileMap, ReleaseOfAPrivateMapKeepsItsChangesAndNeverTouchesTheFile) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  {
    auto map = FileMap::open(path, 0, FileMap::kToEnd, MapMode::CopyOnWrite);
    std::memset(map->data(), 'c', kBytes);
    map->release(0, kBytes);
    EXPECT_EQ(static_cast<char>(map->data()[123]), 'c');
  }
  EXPECT_EQ(testing::read_file(path), std::string(kBytes, 'a'));
}

TEST(FileMap, ReleaseRoundsOutwardAndPopulateBringsPagesIn) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  auto map = FileMap::open(path, 100);  // an offset inside a page
  EXPECT_EQ(map->size(), kBytes - 100);
  const double before = testing::mapping_rss_kib(map->data());
  map->populate(0, map->size());
  const double populated = testing::mapping_rss_kib(map->data());
  EXPECT_GE(populated - before, kBytes / 2 / 1024.0);  // page tables filled, no fault needed
  // Bytes [1000, kBytes - 5000) start and end inside pages: rounded outward, all of them go.
  map->release(1000, map->size() - 6000);
  EXPECT_LE(testing::mapping_rss_kib(map->data()), populated - kBytes / 2 / 1024.0);
}

TEST(FileMap, ShortFilesAreAFormatErrorAndShrunkOnesAnIoError) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  EXPECT_THROW(FileMap::open(path, 0, kBytes + 1), FormatError);
  EXPECT_THROW(FileMap::open(path, kBytes + 1), FormatError);
  auto map = FileMap::open(path);
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  EXPECT_THROW(map->populate(0, kBytes), IoError);  // not SIGBUS
}

// copy() reads the file's bytes without mapping any in, from any offset of the region; a
// range past the region is an Error and a file shrunk under it an IoError naming it. A
// private mapping cannot copy (the file does not hold its written pages).
TEST(FileMap, CopyReadsTheFileWithoutMappingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("f.bin");
  std::string bytes(kBytes, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  testing::write_file(path, bytes);
  auto map = FileMap::open(path, 100);
  ASSERT_TRUE(map->copyable());
  std::string got(kBytes - 1000, '\0');
  map->copy(900, got.size(), reinterpret_cast<std::byte*>(got.data()));
  EXPECT_EQ(got, bytes.substr(1000, got.size()));
  EXPECT_EQ(testing::mapping_rss_kib(map->data()), 0.0);  // no page of the file mapped in
  EXPECT_THROW(map->copy(map->size() - 10, 11, reinterpret_cast<std::byte*>(got.data())), Error);
  EXPECT_FALSE(FileMap::open(path, 0, FileMap::kToEnd, MapMode::CopyOnWrite)->copyable());
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  try {
    map->copy(0, 8192, reinterpret_cast<std::byte*>(got.data()));
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("f.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

// resident() says a range is cached when it is, and not when its end or a stretch inside
// it is not (it samples a page a MiB and the last).
TEST(FileMap, ResidentTellsCachedRangesFromEvictedOnes) {
  testing::TempDir dir;
  const std::string path = make_file(dir, 'a');
  auto map = FileMap::open(path);
  std::string sink(kBytes, '\0');
  map->copy(0, kBytes, reinterpret_cast<std::byte*>(sink.data()));
  if (!map->resident(0, kBytes)) GTEST_SKIP() << "the page cache did not keep the file just read";
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  // Drop bytes [4 MiB, 6 MiB) from the page cache (written back first: dirty pages stay).
  ::fsync(fd);
  ::posix_fadvise(fd, 4 << 20, 2 << 20, POSIX_FADV_DONTNEED);
  ::close(fd);
  if (map->resident_bytes(4 << 20, 2 << 20) != 0) GTEST_SKIP() << "the page cache kept the range";
  EXPECT_TRUE(map->resident(0, 4 << 20));
  EXPECT_TRUE(map->resident(6 << 20, 2 << 20));
  EXPECT_FALSE(map->resident(0, kBytes));
  EXPECT_FALSE(map->resident(3 << 20, (1 << 20) + 4096));  // only its last page is out
  EXPECT_TRUE(map->resident(100, 0));
}

TEST(FileMap, IsFoundBehindAnArraysStorage) {
  testing::TempDir dir;
  std::shared_ptr<Storage> storage = FileMap::open(make_file(dir, 'a'));
  EXPECT_NE(FileMap::of(storage), nullptr);
  EXPECT_EQ(FileMap::of(std::make_shared<HeapStorage>(16)), nullptr);
}

}  // namespace
}  // namespace mammoth
