// footprint(x…): the bytes mammoth objects hold — the notebook's get_size, but true for
// C++ objects. An array's bytes live in a Storage shared by all its views, so storages
// are counted once however many arrays show them; a mapped file counts what is resident
// (mincore) apart from what is merely mapped.
//
// Extending it: for a type of your own, declare in its namespace
//   void add_footprint(mammoth::profile::FootprintCounter& c, const YourType& x);
// adding its arrays (c.add(array)) and plain buffers (c.add_buffer(vector)); then
// footprint(x) and footprint(x, y, …) find it by argument-dependent lookup.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/layout.hpp"
#include "mammoth/ndarray.hpp"

namespace mammoth::profile {

struct Footprint {
  std::int64_t nbytes = 0;    // bytes of the elements the objects show (numpy's nbytes, summed)
  std::int64_t heap = 0;      // heap buffers held, each counted once
  std::int64_t mapped = 0;    // file mappings held (address space, not memory)
  std::int64_t resident = 0;  // of `mapped`, the pages in RAM now
  std::int64_t shared = 0;    // of heap + mapped, storage also held by objects not counted
                              // (the objects are views of someone else's buffer)
  int storages = 0;           // distinct storages

  // What the objects occupy in memory now.
  std::int64_t bytes() const { return heap + resident; }
};

class FootprintCounter {
 public:
  // A storage, once however often it is added; `nbytes` is what the adding view shows.
  void add(const std::shared_ptr<Storage>& storage, std::int64_t nbytes);
  template <Scalar T>
  void add(const NdArray<T>& a) {
    add(a.storage(), static_cast<std::int64_t>(a.nbytes()));
  }
  void add(const AnyArray& a) { add(a.storage(), static_cast<std::int64_t>(a.nbytes())); }
  // A plain heap buffer owned by the object (its capacity counts, its size is shown).
  template <class T>
  void add_buffer(const std::vector<T>& v) {
    add_heap(static_cast<std::int64_t>(v.capacity() * sizeof(T)), static_cast<std::int64_t>(v.size() * sizeof(T)));
  }
  void add_heap(std::int64_t held, std::int64_t shown);

  Footprint total() const;

 private:
  struct Seen {
    std::weak_ptr<Storage> storage;
    long references = 0;  // how many of the counted objects hold it
  };
  std::map<const Storage*, Seen> seen_;
  Footprint plain_;
};

template <Scalar T>
void add_footprint(FootprintCounter& c, const NdArray<T>& a) {
  c.add(a);
}
inline void add_footprint(FootprintCounter& c, const AnyArray& a) { c.add(a); }
inline void add_footprint(FootprintCounter& c, const std::shared_ptr<Storage>& s) {
  c.add(s, s ? static_cast<std::int64_t>(s->size()) : 0);
}
template <class T>
void add_footprint(FootprintCounter& c, const std::vector<T>& v) {
  c.add_buffer(v);
}

// The footprint of one or more objects together (shared storage counted once).
template <class... X>
Footprint footprint(const X&... xs) {
  FootprintCounter c;
  (add_footprint(c, xs), ...);
  return c.total();
}

// Pages of [data, data + size) in RAM now (mincore); for any mapping, file or anonymous.
std::int64_t resident_bytes(const void* data, std::size_t size);

// "381.47 MiB held (heap 0 B; mapped 381.47 MiB, resident 12.00 MiB)"
std::string format_footprint(const Footprint& f);
std::string format_bytes(std::int64_t bytes);

}  // namespace mammoth::profile
