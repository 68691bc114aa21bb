#include "mammoth/profile/footprint.hpp"
#include "mammoth/units.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace mammoth::profile {

void FootprintCounter::add(const std::shared_ptr<Storage>& storage, std::int64_t nbytes) {
  if (!storage) return;
  plain_.nbytes += nbytes;
  Seen& s = seen_[storage.get()];
  s.storage = storage;
  ++s.references;
}

void FootprintCounter::add_heap(std::int64_t held, std::int64_t shown) {
  plain_.heap += held;
  plain_.nbytes += shown;
}

Footprint FootprintCounter::total() const {
  Footprint f = plain_;
  for (const auto& [raw, seen] : seen_) {
    const auto storage = seen.storage.lock();
    if (!storage) continue;
    const auto size = static_cast<std::int64_t>(storage->size());
    ++f.storages;
    if (storage->is_mapped()) {
      f.mapped += size;
      f.resident += resident_bytes(storage->data(), storage->size());
    } else {
      f.heap += size;
    }
    // `storage` here is one more reference of our own.
    if (storage.use_count() - 1 > seen.references) f.shared += size;
  }
  return f;
}

std::int64_t resident_bytes(const void* data, std::size_t size) {
  if (!data || size == 0) return 0;
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data) & ~(page - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(data) + size;
  std::int64_t resident = 0;
  // In windows of 64 Ki pages, so a terabyte mapping needs no terabyte/4096 vector.
  constexpr std::uintptr_t kWindowPages = 1 << 16;
  std::vector<unsigned char> vec(kWindowPages);
  for (std::uintptr_t at = begin; at < end; at += kWindowPages * page) {
    const std::uintptr_t len = std::min<std::uintptr_t>(end - at, kWindowPages * page);
    if (::mincore(reinterpret_cast<void*>(at), len, vec.data()) != 0) return -1;
    const std::uintptr_t pages = (len + page - 1) / page;
    for (std::uintptr_t i = 0; i < pages; ++i) {
      if (!(vec[i] & 1)) continue;
      // The first and last pages count only the part inside [data, data + size).
      const std::uintptr_t lo = std::max(at + i * page, reinterpret_cast<std::uintptr_t>(data));
      const std::uintptr_t hi = std::min(at + (i + 1) * page, end);
      resident += static_cast<std::int64_t>(hi - lo);
    }
  }
  return resident;
}

std::string format_bytes(std::int64_t bytes) { return mammoth::format_bytes(static_cast<double>(bytes), 2); }

std::string format_footprint(const Footprint& f) {
  std::string text = format_bytes(f.bytes()) + " held (heap " + format_bytes(f.heap);
  if (f.mapped > 0) text += "; mapped " + format_bytes(f.mapped) + ", resident " + format_bytes(f.resident);
  if (f.shared > 0) text += "; shared with other objects " + format_bytes(f.shared);
  text += "; elements " + format_bytes(f.nbytes) + ")";
  return text;
}

}  // namespace mammoth::profile
