// libzip behind ZipReader/ZipWriter; a source callback streams each member's header
// and data straight from the matrix, so saving never copies the arrays.
#include "mammoth/sparse/zip.hpp"

#include <libdeflate.h>
#include <zip.h>
#include <zlib.h>

#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <optional>

#include "../deflate.hpp"
#include "mammoth/error.hpp"
#include "mammoth/layout.hpp"

namespace mammoth::sparse {

namespace {

std::string zip_message(zip_t* z) { return z ? zip_strerror(z) : "unknown libzip error"; }

struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipFile = std::unique_ptr<zip_file_t, FileCloser>;

}  // namespace

struct ZipReader::Impl {
  zip_t* zip = nullptr;
  int fd = -1;  // for stored members: read straight into the destination with pread
  ~Impl() {
    if (zip) zip_discard(zip);
    if (fd >= 0) ::close(fd);
  }
  // The stored member's data offset, or nullopt when libzip must inflate it.
  std::optional<StoredMember> stored(const std::string& path, const std::string& member) {
    const zip_int64_t index = zip_name_locate(zip, (member + ".npy").c_str(), 0);
    zip_stat_t st;
    if (index < 0 || zip_stat_index(zip, static_cast<zip_uint64_t>(index), 0, &st) != 0) return std::nullopt;
    if (!(st.valid & ZIP_STAT_COMP_METHOD) || st.comp_method != ZIP_CM_STORE ||
        (st.valid & ZIP_STAT_ENCRYPTION_METHOD && st.encryption_method != ZIP_EM_NONE))
      return std::nullopt;
    auto it = offsets.find(member);
    if (it != offsets.end()) return it->second;
    const StoredMember s = stored_member(path, member);
    offsets.emplace(member, s);
    return s;
  }
  std::map<std::string, StoredMember> offsets;
};

ZipReader::ZipReader(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  int err = 0;
  impl_->zip = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!impl_->zip) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    const std::string msg = zip_error_strerror(&e);
    zip_error_fini(&e);
    if (err == ZIP_ER_OPEN || err == ZIP_ER_READ) throw IoError(path + ": cannot open: " + msg, errno);
    throw FormatError(path + ": not a .npz (zip) file: " + msg);
  }
}
ZipReader::~ZipReader() = default;
ZipReader::ZipReader(ZipReader&&) noexcept = default;
ZipReader& ZipReader::operator=(ZipReader&&) noexcept = default;

bool ZipReader::has(const std::string& member) const {
  return zip_name_locate(impl_->zip, (member + ".npy").c_str(), 0) >= 0;
}

static ZipFile open_member(zip_t* z, const std::string& path, const std::string& member) {
  const zip_int64_t index = zip_name_locate(z, (member + ".npy").c_str(), 0);
  if (index < 0) throw FormatError(path + ": no member '" + member + ".npy' in the archive");
  ZipFile f(zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0));
  if (!f) throw FormatError(path + ": cannot open member '" + member + ".npy': " + zip_message(z));
  return f;
}

static void read_exact(zip_file_t* f, void* dst, std::size_t bytes, const std::string& context) {
  auto* out = static_cast<char*>(dst);
  while (bytes > 0) {
    const zip_int64_t got = zip_fread(f, out, bytes);
    if (got < 0) throw FormatError(context + ": read failed: " + zip_file_strerror(f));
    if (got == 0) throw FormatError(context + ": member is truncated");
    out += got;
    bytes -= static_cast<std::size_t>(got);
  }
}

NpyHeader ZipReader::header(const std::string& member) {
  const std::string context = path_ + ": " + member + ".npy";
  ZipFile f = open_member(impl_->zip, path_, member);
  zip_stat_t st;
  if (zip_stat(impl_->zip, (member + ".npy").c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    throw FormatError(context + ": the archive does not say the member's size");
  const auto size = static_cast<std::int64_t>(st.size);
  std::string bytes(static_cast<std::size_t>(std::min<std::int64_t>(size, 12)), '\0');
  read_exact(f.get(), bytes.data(), bytes.size(), context);
  // The whole header when its length is plausible; otherwise the parser names the problem.
  const std::uint64_t need = npy_header_size(bytes);
  if (need > bytes.size() && need <= static_cast<std::uint64_t>(size) && need <= (std::uint64_t{1} << 24)) {
    const std::size_t have = bytes.size();
    bytes.resize(static_cast<std::size_t>(need));
    read_exact(f.get(), bytes.data() + have, bytes.size() - have, context);
  }
  NpyHeader h = parse_npy_header(bytes, size, context, true);
  if (h.order == Order::Fortran && h.shape.size() > 1)
    throw FormatError(context + ": Fortran-order arrays are not expected in a sparse .npz");
  check_claim(member, h);
  return h;
}

// A header claiming more than the member holds is refused before anyone allocates for it.
void ZipReader::check_claim(const std::string& member, const NpyHeader& h) {
  const std::string context = path_ + ": " + member + ".npy";
  const auto data = static_cast<std::uint64_t>(h.data_bytes());
  zip_stat_t st;
  const zip_int64_t index = zip_name_locate(impl_->zip, (member + ".npy").c_str(), 0);
  if (index < 0 || zip_stat_index(impl_->zip, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
      !(st.valid & ZIP_STAT_SIZE))
    return;
  const auto header_bytes = static_cast<std::uint64_t>(h.data_offset);
  if (header_bytes + data > st.size)
    throw FormatError(context + ": the header claims shape " + shape_string(h.shape) + " (" + std::to_string(data) +
                      " bytes of data) but the member holds " +
                      std::to_string(st.size - std::min<std::uint64_t>(st.size, header_bytes)));
  // deflate expands at most ~1032:1; a larger claim is a corrupt directory entry.
  if ((st.valid & ZIP_STAT_COMP_SIZE) && st.comp_method != ZIP_CM_STORE && st.size / 1032 > st.comp_size + 1024)
    throw FormatError(context + ": the archive claims " + std::to_string(st.size) + " uncompressed bytes from " +
                      std::to_string(st.comp_size) + " compressed ones, more than deflate can produce");
}

void ZipReader::read_data(const std::string& member, void* dst, std::size_t bytes) {
  const std::string context = path_ + ": " + member + ".npy";
  const NpyHeader h = header(member);
  // Stored members (np.savez): read with pread straight into dst, the CRC computed on the
  // way, as numpy's zipfile checks it (deflated members: libzip checks it).
  if (const auto s = impl_->stored(path_, member)) {
    if (static_cast<std::uint64_t>(h.data_offset) + bytes > s->size)
      throw FormatError(context + ": member is truncated");
    if (impl_->fd < 0) impl_->fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (impl_->fd < 0) throw_io_error(path_, "cannot open", errno);
    const bool whole = static_cast<std::size_t>(h.data_offset) + bytes == s->size;
    uLong crc = crc32(0L, Z_NULL, 0);
    auto read_span = [&](char* out, std::size_t n, std::uint64_t at) {
      while (n > 0) {
        const ssize_t got =
            ::pread(impl_->fd, out, std::min<std::size_t>(n, std::size_t{1} << 30), static_cast<off_t>(at));
        if (got < 0) throw_io_error(context, "read failed", errno);
        if (got == 0) throw FormatError(context + ": member is truncated");
        if (whole) crc = crc32(crc, reinterpret_cast<const Bytef*>(out), static_cast<uInt>(got));
        out += got;
        at += static_cast<std::uint64_t>(got);
        n -= static_cast<std::size_t>(got);
      }
    };
    std::string head(static_cast<std::size_t>(h.data_offset), '\0');
    if (whole) read_span(head.data(), head.size(), s->offset);
    read_span(static_cast<char*>(dst), bytes, s->offset + static_cast<std::uint64_t>(h.data_offset));
    if (whole && s->crc && crc != *s->crc)
      throw FormatError(context + ": CRC mismatch (the member is corrupt; numpy refuses it too)");
    return;
  }
  ZipFile f = open_member(impl_->zip, path_, member);
  std::string skip(static_cast<std::size_t>(h.data_offset), '\0');
  read_exact(f.get(), skip.data(), skip.size(), context);
  read_exact(f.get(), dst, bytes, context);
}

std::optional<StoredMember> ZipReader::stored(const std::string& member) { return impl_->stored(path_, member); }

std::string ZipReader::read_text(const std::string& member) {
  const std::string context = path_ + ": " + member + ".npy";
  const NpyHeader h = header(member);
  if (!h.is_text()) throw FormatError(context + ": expected a string, found dtype " + h.descr());
  std::string raw(static_cast<std::size_t>(h.data_bytes()), '\0');
  read_data(member, raw.data(), raw.size());
  std::string out;
  const std::size_t step = h.text_descr[1] == 'U' ? 4 : 1;
  for (std::size_t k = 0; k < raw.size(); k += step)
    if (raw[k] != '\0') out += raw[k];
  return out;
}

// ---- writer ----

namespace {

// A deflated member is compressed here, in parallel, not by libzip (one thread, zlib):
// pigz's way. The member's bytes are cut into kDeflateBlock blocks, each deflated whole by
// libdeflate (2-7 times zlib's speed at the same level, the size within a fraction of a per
// cent); every block but the member's last is made joinable (its final bit cleared, an empty
// stored block after it, as zlib's sync flush ends a block), so the concatenation is one
// valid deflate stream. Blocks are deflated without the 32 KiB before them (libdeflate takes
// no dictionary): 0.2 % larger at 512 KiB blocks than one stream. The CRC-32s of the blocks
// combine with crc32_combine. Same level as scipy's save_npz (zlib's default, 6).
// kRoundBlocks blocks per thread are in memory at once, in and out.
constexpr std::size_t kDeflateBlock = std::size_t{512} << 10;
constexpr int kRoundBlocks = 1;
constexpr int kDeflateLevel = 6;

struct DeflatedBlock {
  std::vector<unsigned char> bytes;
  uLong crc = 0;
  std::size_t plain = 0;
  std::exception_ptr error;
};

struct Deflater {
  std::vector<char> input;  // this round's uncompressed bytes
  std::vector<DeflatedBlock> blocks;
  std::vector<std::unique_ptr<detail::DeflateCompressor>> compressors;  // one a thread
  std::size_t block = 0, pos = 0;                                       // next compressed byte handed out
  std::uint64_t consumed = 0;                                           // uncompressed bytes deflated so far
  uLong crc = crc32(0L, Z_NULL, 0);
  bool finished = false;  // the member's last block is made
};

void deflate_block(detail::DeflateCompressor& compressor, const char* input, std::size_t n, bool last,
                   DeflatedBlock& out) {
  try {
    const auto* bytes = reinterpret_cast<const unsigned char*>(input);
    out.bytes = detail::deflate_raw(compressor, {bytes, n}, last);
    out.crc = libdeflate_crc32(0, bytes, n);
    out.plain = n;
  } catch (...) {
    out.error = std::current_exception();
  }
}

struct MemberSource {
  std::string header;
  const char* data = nullptr;
  // When set, the data comes from pull(dst, offset, bytes) instead of `data`; an
  // exception it throws is kept and rethrown by close() (never through libzip's C frames).
  ZipWriter::Pull pull;
  std::exception_ptr failure;
  std::size_t bytes = 0;
  std::size_t pos = 0;
  zip_error_t error{};
  std::unique_ptr<Deflater> deflater;  // deflated members: the stream being made
  bool deflate = false;
  int threads = 1;  // deflating in parallel

  std::uint64_t total() const { return header.size() + bytes; }

  // The member's uncompressed bytes [from, from + n): header, then data.
  void copy_plain(char* dst, std::uint64_t from, std::size_t n) {
    std::size_t done = 0;
    if (from < header.size()) {
      done = std::min<std::size_t>(n, header.size() - static_cast<std::size_t>(from));
      std::memcpy(dst, header.data() + from, done);
    }
    if (done == n) return;
    const std::uint64_t offset = from + done - header.size();
    if (pull)
      pull(dst + done, offset, n - done);
    else
      std::memcpy(dst + done, data + offset, n - done);
  }

  // The next round of blocks of the deflate stream.
  void deflate_round() {
    Deflater& d = *deflater;
    const std::uint64_t left = total() - d.consumed;
    const std::size_t round = static_cast<std::size_t>(std::min<std::uint64_t>(
        left, static_cast<std::uint64_t>(kDeflateBlock) * kRoundBlocks * static_cast<std::uint64_t>(threads)));
    d.input.resize(round);
    copy_plain(d.input.data(), d.consumed, round);
    const std::size_t count = std::max<std::size_t>(1, (round + kDeflateBlock - 1) / kDeflateBlock);
    const bool ends = d.consumed + round == total();
    const int team = std::min<int>(threads, static_cast<int>(count));
    while (d.compressors.size() < static_cast<std::size_t>(team))
      d.compressors.push_back(std::make_unique<detail::DeflateCompressor>(kDeflateLevel));
    d.blocks.assign(count, DeflatedBlock{});
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
    for (std::size_t b = 0; b < count; ++b) {
      const std::size_t begin = b * kDeflateBlock, n = std::min(kDeflateBlock, round - std::min(round, begin));
      deflate_block(*d.compressors[static_cast<std::size_t>(omp_get_thread_num())], d.input.data() + begin, n,
                    ends && b + 1 == count, d.blocks[b]);
    }
    for (const DeflatedBlock& b : d.blocks) {
      if (b.error) std::rethrow_exception(b.error);
      d.crc = crc32_combine(d.crc, b.crc, static_cast<z_off_t>(b.plain));
    }
    d.consumed += round;
    d.finished = ends;
    d.block = d.pos = 0;
  }

  // Up to n bytes of the deflate stream into dst; 0 at its end.
  std::size_t read_deflated(char* dst, std::size_t n) {
    Deflater& d = *deflater;
    std::size_t done = 0;
    while (done < n) {
      if (d.block == d.blocks.size()) {
        if (d.finished) break;
        deflate_round();
        continue;
      }
      const auto& bytes = d.blocks[d.block].bytes;
      const std::size_t k = std::min(n - done, bytes.size() - d.pos);
      std::memcpy(dst + done, bytes.data() + d.pos, k);
      done += k;
      d.pos += k;
      if (d.pos == bytes.size()) ++d.block, d.pos = 0;
    }
    // The member is written: its buffers and compressors are not held through the members
    // after it (the archive's sources live until it closes). The CRC and `finished` stay.
    if (d.finished && d.block == d.blocks.size()) {
      d.blocks = {};
      d.input = {};
      d.compressors.clear();
      d.block = 0;
    }
    return done;
  }
};

zip_int64_t member_callback(void* state, void* out, zip_uint64_t len, zip_source_cmd_t cmd) {
  auto* s = static_cast<MemberSource*>(state);
  switch (cmd) {
    case ZIP_SOURCE_OPEN:
      s->pos = 0;
      if (s->deflate) s->deflater = std::make_unique<Deflater>();
      return 0;
    case ZIP_SOURCE_READ: {
      try {
        if (s->deflate) return static_cast<zip_int64_t>(s->read_deflated(static_cast<char*>(out), len));
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, s->total() - s->pos));
        s->copy_plain(static_cast<char*>(out), s->pos, n);
        s->pos += n;
        return static_cast<zip_int64_t>(n);
      } catch (...) {
        s->failure = std::current_exception();
        zip_error_set(&s->error, ZIP_ER_READ, 0);
        return -1;
      }
    }
    case ZIP_SOURCE_CLOSE:
      return 0;
    case ZIP_SOURCE_STAT: {
      auto* st = static_cast<zip_stat_t*>(out);
      zip_stat_init(st);
      st->size = s->total();
      st->mtime = 315532800;  // 1980-01-01, zip's epoch: reproducible archives
      st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
      if (s->deflate) {
        // Already deflated: libzip copies the stream and takes the CRC from here once the
        // stream has been read.
        st->comp_method = ZIP_CM_DEFLATE;
        st->valid |= ZIP_STAT_COMP_METHOD;
        if (s->deflater && s->deflater->finished && s->deflater->block == s->deflater->blocks.size()) {
          st->crc = static_cast<zip_uint32_t>(s->deflater->crc);
          st->valid |= ZIP_STAT_CRC;
        }
      }
      return sizeof(zip_stat_t);
    }
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&s->error, out, len);
    case ZIP_SOURCE_FREE:
      return 0;
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                            ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SUPPORTS, -1);
    default:
      zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

}  // namespace

struct ZipWriter::Impl {
  zip_t* zip = nullptr;
  bool compressed = false;
  int threads = 1;
  std::uint64_t offset = 0;  // where the next member's local header goes (stored members)
  std::vector<std::unique_ptr<MemberSource>> sources;
  ~Impl() {
    if (zip) zip_discard(zip);
  }
};

namespace {

// One deflating thread's input and output block and libdeflate's compressor at level 6
// (656 KiB).
constexpr std::size_t kThreadBytes = kRoundBlocks * 2 * kDeflateBlock + (std::size_t{700} << 10);

int all_threads() { return std::max(1, omp_get_max_threads()); }

}  // namespace

std::size_t ZipWriter::working_bytes(bool compressed, int threads) {
  if (!compressed) return 0;
  return static_cast<std::size_t>(threads > 0 ? threads : all_threads()) * kThreadBytes;
}

int ZipWriter::threads_within(std::size_t memory) {
  return static_cast<int>(std::clamp<std::size_t>(memory / kThreadBytes, 1, static_cast<std::size_t>(all_threads())));
}

ZipWriter::ZipWriter(const std::string& path, bool compressed, int threads)
    : impl_(std::make_unique<Impl>()), path_(path) {
  impl_->threads = threads > 0 ? threads : all_threads();
  int err = 0;
  impl_->zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!impl_->zip) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    const std::string msg = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw IoError(path + ": cannot create: " + msg, errno);
  }
  impl_->compressed = compressed;
}
ZipWriter::~ZipWriter() = default;
ZipWriter::ZipWriter(ZipWriter&&) noexcept = default;
ZipWriter& ZipWriter::operator=(ZipWriter&&) noexcept = default;

void ZipWriter::add(const std::string& member, std::string header, const void* data, std::size_t bytes) {
  add(member, std::move(header), bytes, Pull{}, data);
}

void ZipWriter::add(const std::string& member, std::string header, std::size_t bytes, Pull pull) {
  add(member, std::move(header), bytes, std::move(pull), nullptr);
}

void ZipWriter::add(const std::string& member, std::string header, std::size_t bytes, Pull pull, const void* data) {
  auto src = std::make_unique<MemberSource>();
  src->header = std::move(header);
  src->data = static_cast<const char*>(data);
  src->pull = std::move(pull);
  src->bytes = bytes;
  src->deflate = impl_->compressed;
  src->threads = impl_->threads;
  zip_error_init(&src->error);
  zip_source_t* zs = zip_source_function(impl_->zip, member_callback, src.get());
  if (!zs) throw IoError(path_ + ": cannot add " + member + ".npy: " + zip_message(impl_->zip), 0);
  const zip_int64_t index = zip_file_add(impl_->zip, (member + ".npy").c_str(), zs, ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(zs);
    throw IoError(path_ + ": cannot add " + member + ".npy: " + zip_message(impl_->zip), 0);
  }
  zip_set_file_compression(impl_->zip, static_cast<zip_uint64_t>(index),
                           impl_->compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE, impl_->compressed ? 6 : 0);
  if (!impl_->compressed) align_stored(static_cast<zip_uint64_t>(index), member.size() + 4, src->header.size(), bytes);
  impl_->sources.push_back(std::move(src));
}

// A stored member's data is read in place by streaming code (a mapping of the archive), so
// it starts on a 64-byte boundary, as numpy's own arrays do: a local extra field (0xd935,
// Android zipalign's: the alignment, then zeros) pads the header. numpy's writer aligns
// nothing, and an int32 or float64 member 1 byte off costs a streamed spmv a quarter more
// CPU in loads that straddle cache lines. Readers skip the field.
void ZipWriter::align_stored(std::uint64_t index, std::size_t name_bytes, std::size_t header_bytes,
                             std::size_t data_bytes) {
  constexpr std::uint64_t kAlign = 64, kLocalHeader = 30, kZip64Extra = 20, kField = 6;
  const std::uint64_t member = header_bytes + data_bytes;
  const std::uint64_t fixed =
      impl_->offset + kLocalHeader + name_bytes + (member >= 0xffffffffu ? kZip64Extra : 0) + kField;
  const auto pad = static_cast<std::size_t>((kAlign - (fixed + header_bytes) % kAlign) % kAlign);
  std::vector<zip_uint8_t> field(2 + pad, 0);
  field[0] = static_cast<zip_uint8_t>(kAlign);
  if (zip_file_extra_field_set(impl_->zip, index, 0xd935, ZIP_EXTRA_FIELD_NEW, field.data(),
                               static_cast<zip_uint16_t>(field.size()), ZIP_FL_LOCAL) != 0)
    throw IoError(path_ + ": cannot pad a member: " + zip_message(impl_->zip), 0);
  impl_->offset = fixed + pad + member;
}

void ZipWriter::close() {
  if (zip_close(impl_->zip) != 0) {
    for (const auto& source : impl_->sources)
      if (source->failure) std::rethrow_exception(source->failure);
    const std::string msg = zip_message(impl_->zip);
    throw IoError(path_ + ": cannot write the archive: " + msg, errno);
  }
  impl_->zip = nullptr;
}

// ---- local directory parsing for stored members ----

namespace {

std::uint64_t le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | p[k];
  return v;
}

}  // namespace

StoredMember stored_member(const std::string& path, const std::string& member) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open", errno);
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  const std::uint64_t tail = std::min<std::uint64_t>(file_size, 65536 + 22 + 20 + 56);
  std::vector<unsigned char> t(tail);
  in.seekg(static_cast<std::streamoff>(file_size - tail));
  in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(tail));
  std::int64_t eocd = -1;
  for (std::int64_t k = static_cast<std::int64_t>(tail) - 22; k >= 0; --k)
    if (le(&t[static_cast<std::size_t>(k)], 4) == 0x06054b50) {
      eocd = k;
      break;
    }
  if (eocd < 0) throw FormatError(path + ": no zip end-of-central-directory record");
  std::uint64_t cd_offset = le(&t[static_cast<std::size_t>(eocd) + 16], 4);
  std::uint64_t cd_size = le(&t[static_cast<std::size_t>(eocd) + 12], 4);
  if (cd_offset == 0xffffffff && eocd >= 20 && le(&t[static_cast<std::size_t>(eocd) - 20], 4) == 0x07064b50) {
    const std::uint64_t z64 = le(&t[static_cast<std::size_t>(eocd) - 20 + 8], 8);
    unsigned char rec[56];
    in.seekg(static_cast<std::streamoff>(z64));
    in.read(reinterpret_cast<char*>(rec), 56);
    if (!in) throw FormatError(path + ": truncated zip64 end-of-central-directory record");
    cd_size = le(rec + 40, 8);
    cd_offset = le(rec + 48, 8);
  }
  if (cd_offset > file_size || cd_size > file_size - cd_offset)
    throw FormatError(path + ": the zip central directory (" + std::to_string(cd_size) + " bytes at " +
                      std::to_string(cd_offset) + ") lies outside the file of " + std::to_string(file_size) + " bytes");
  std::vector<unsigned char> cd(cd_size);
  in.seekg(static_cast<std::streamoff>(cd_offset));
  in.read(reinterpret_cast<char*>(cd.data()), static_cast<std::streamsize>(cd_size));
  if (!in) throw FormatError(path + ": truncated zip central directory");
  const std::string want = member + ".npy";
  for (std::size_t p = 0; p + 46 <= cd.size();) {
    if (le(&cd[p], 4) != 0x02014b50) throw FormatError(path + ": corrupt zip central directory");
    const auto method = le(&cd[p + 10], 2);
    const auto crc = le(&cd[p + 16], 4);
    std::uint64_t csize = le(&cd[p + 20], 4), usize = le(&cd[p + 24], 4), local = le(&cd[p + 42], 4);
    const auto name_len = le(&cd[p + 28], 2), extra_len = le(&cd[p + 30], 2), comment_len = le(&cd[p + 32], 2);
    if (p + 46 + name_len + extra_len + comment_len > cd.size())
      throw FormatError(path + ": corrupt zip central directory (an entry runs past its end)");
    const std::string name(reinterpret_cast<const char*>(&cd[p + 46]), name_len);
    if (name == want) {
      // zip64 extra field: the 0xffffffff fields appear in order usize, csize, local.
      const std::size_t extra_end = p + 46 + name_len + extra_len;
      for (std::size_t e = p + 46 + name_len; e + 4 <= extra_end;) {
        const auto id = le(&cd[e], 2), sz = le(&cd[e + 2], 2);
        if (id == 1) {
          std::size_t q = e + 4;
          const std::size_t end = std::min<std::size_t>(e + 4 + sz, extra_end);
          if (usize == 0xffffffff && q + 8 <= end) usize = le(&cd[q], 8), q += 8;
          if (csize == 0xffffffff && q + 8 <= end) csize = le(&cd[q], 8), q += 8;
          if (local == 0xffffffff && q + 8 <= end) local = le(&cd[q], 8);
        }
        e += 4 + sz;
      }
      if (method != 0)
        throw FormatError(path + ": member " + want +
                          " is compressed; streaming needs an uncompressed .npz (save_npz(..., compressed=False))");
      unsigned char lh[30];
      in.seekg(static_cast<std::streamoff>(local));
      in.read(reinterpret_cast<char*>(lh), 30);
      if (!in || le(lh, 4) != 0x04034b50) throw FormatError(path + ": corrupt local header for " + want);
      const std::uint64_t data = local + 30 + le(lh + 26, 2) + le(lh + 28, 2);
      if (data > file_size || usize > file_size - data)
        throw FormatError(path + ": member " + want + " claims " + std::to_string(usize) +
                          " bytes but the file ends first");
      return {data, usize, static_cast<std::uint32_t>(crc)};
    }
    p += 46 + name_len + extra_len + comment_len;
  }
  throw FormatError(path + ": no member '" + want + "' in the archive");
}

}  // namespace mammoth::sparse
