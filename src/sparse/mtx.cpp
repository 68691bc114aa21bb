// Matrix Market reading and writing. The body after the size line is split into
// chunks at line ends and parsed in parallel; each chunk counts its lines, so an
// error anywhere still reports the file's own line number.
#include "mammoth/sparse/mtx.hpp"

#include <fcntl.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

namespace mammoth::sparse {

namespace {

[[noreturn]] void fail(const std::string& path, std::int64_t line, const std::string& what) {
  throw FormatError(path + ":" + std::to_string(line) + ": " + what);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool blank_or_comment(std::string_view line) {
  for (char c : line) {
    if (c == '%') return true;
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Reads the next whitespace-separated number from `s` at `p`.
template <class V>
bool next_number(std::string_view s, std::size_t& p, V& out) {
  while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r')) ++p;
  if (p >= s.size()) return false;
  const char* b = s.data() + p;
  if (*b == '+') ++b;  // from_chars refuses a leading '+', which some writers emit
  auto [e, ec] = std::from_chars(b, s.data() + s.size(), out);
  if (ec != std::errc()) return false;
  p = static_cast<std::size_t>(e - s.data());
  return p >= s.size() || s[p] == ' ' || s[p] == '\t' || s[p] == '\r';
}
bool at_end(std::string_view s, std::size_t p) {
  while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r')) ++p;
  return p >= s.size();
}

struct Header {
  MtxInfo info;
  std::size_t body = 0;        // byte offset of the first line after the size line
  std::int64_t body_line = 0;  // its line number (1-based)
};

// `text` is the file's beginning (at least through the size line), `file_size` its length.
Header parse_header(const std::string& path, std::string_view text, std::uint64_t file_size) {
  Header h;
  std::size_t pos = 0;
  std::int64_t line_no = 0;
  auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    return true;
  };
  std::string_view line;
  if (!next_line(line)) fail(path, 1, "empty file; expected a %%MatrixMarket banner");
  char obj[64] = {}, fmt[64] = {}, field[64] = {}, sym[64] = {};
  const std::string banner(line);
  if (banner.rfind("%%MatrixMarket", 0) != 0 ||
      std::sscanf(banner.c_str(), "%%%%MatrixMarket %63s %63s %63s %63s", obj, fmt, field, sym) != 4)
    fail(path, 1,
         "bad banner '" + banner +
             "'; expected '%%MatrixMarket matrix coordinate|array real|integer|complex|pattern "
             "general|symmetric|skew-symmetric|hermitian'");
  if (lower(obj) != "matrix") fail(path, 1, "object '" + std::string(obj) + "' is not supported; expected 'matrix'");
  const std::string f = lower(fmt), fi = lower(field), sy = lower(sym);
  if (f == "coordinate")
    h.info.array = false;
  else if (f == "array")
    h.info.array = true;
  else
    fail(path, 1, "format '" + std::string(fmt) + "'; expected coordinate or array");
  if (fi == "real" || fi == "double")
    h.info.field = MtxField::Real;
  else if (fi == "integer" || fi == "unsigned-integer")  // the latter: scipy's mmwrite of unsigned values,
    h.info.field = MtxField::Integer;                    // held as int64 (a value past 2^63-1 is refused)
  else if (fi == "complex")
    h.info.field = MtxField::Complex;
  else if (fi == "pattern")
    h.info.field = MtxField::Pattern;
  else
    fail(path, 1, "field '" + std::string(field) + "'; expected real, integer, unsigned-integer, complex or pattern");
  if (sy == "general")
    h.info.symmetry = MtxSymmetry::General;
  else if (sy == "symmetric")
    h.info.symmetry = MtxSymmetry::Symmetric;
  else if (sy == "skew-symmetric")
    h.info.symmetry = MtxSymmetry::SkewSymmetric;
  else if (sy == "hermitian")
    h.info.symmetry = MtxSymmetry::Hermitian;
  else
    fail(path, 1, "symmetry '" + std::string(sym) + "'; expected general, symmetric, skew-symmetric or hermitian");
  if (h.info.array && h.info.field == MtxField::Pattern) fail(path, 1, "array files cannot be 'pattern'");
  if (h.info.symmetry == MtxSymmetry::Hermitian && h.info.field != MtxField::Complex)
    fail(path, 1, "'hermitian' needs complex values");
  while (next_line(line) && blank_or_comment(line)) {
  }
  if (blank_or_comment(line)) fail(path, line_no, "missing the size line");
  std::size_t p = 0;
  bool ok = next_number(line, p, h.info.rows) && next_number(line, p, h.info.cols);
  if (!h.info.array) ok = ok && next_number(line, p, h.info.entries);
  if (!ok || !at_end(line, p) || h.info.rows < 0 || h.info.cols < 0 || h.info.entries < 0)
    fail(
        path, line_no,
        "bad size line '" + std::string(line) + "'; expected '" + (h.info.array ? "rows cols'" : "rows cols entries'"));
  if (h.info.symmetry != MtxSymmetry::General && h.info.rows != h.info.cols)
    fail(path, line_no, "a " + sy + " matrix must be square");
  if (h.info.array) {
    const std::int64_t n = h.info.rows;
    std::int64_t product = 0;
    const bool overflow =
        h.info.symmetry == MtxSymmetry::General
            ? __builtin_mul_overflow(h.info.rows, h.info.cols, &product)
            : __builtin_mul_overflow(n, h.info.symmetry == MtxSymmetry::SkewSymmetric ? n - 1 : n + 1, &product);
    if (overflow)
      fail(path, line_no,
           "size " + std::to_string(h.info.rows) + " x " + std::to_string(h.info.cols) + " is too large");
    h.info.entries = h.info.symmetry == MtxSymmetry::General ? product : product / 2;
  }
  h.body = std::min(pos, text.size());
  // Every entry takes at least two characters ("1\n"; a coordinate one "1 1\n"): a size
  // line declaring more than the file can hold is refused before anything is allocated.
  const std::uint64_t least = h.info.array ? 2 : 4;
  if (static_cast<std::uint64_t>(h.info.entries) > (file_size - h.body) / least + 1)
    fail(path, line_no,
         "the size line declares " + std::to_string(h.info.entries) + " entries but the file holds only " +
             std::to_string(file_size - h.body) + " more bytes");
  h.body_line = line_no + 1;
  return h;
}

struct Chunk {
  std::string_view text;
  std::vector<std::int64_t> row, col, ints;
  std::vector<double> re, im;
  std::int64_t lines = 0;
  std::int64_t error_line = -1;  // local line index of the first error
  std::string error;
};

void parse_chunk(std::string_view text, const MtxInfo& info, Chunk& c) {
  const bool coord = !info.array;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++c.lines;
    if (blank_or_comment(line)) continue;
    std::size_t p = 0;
    std::int64_t i = 0, j = 0;
    if (coord) {
      if (!next_number(line, p, i) || !next_number(line, p, j)) {
        c.error_line = c.lines;
        c.error = "bad entry '" + std::string(line) + "'; expected 'row col" +
                  (info.field == MtxField::Pattern ? "'" : " value'");
        return;
      }
      if (i < 1 || i > info.rows || j < 1 || j > info.cols) {
        c.error_line = c.lines;
        c.error = "index (" + std::to_string(i) + ", " + std::to_string(j) + ") is outside the " +
                  std::to_string(info.rows) + " x " + std::to_string(info.cols) + " matrix (indices are 1-based)";
        return;
      }
      c.row.push_back(i - 1);
      c.col.push_back(j - 1);
    }
    bool ok = true;
    switch (info.field) {
      case MtxField::Pattern:
        break;
      case MtxField::Integer: {
        std::int64_t v = 0;
        ok = next_number(line, p, v);
        c.ints.push_back(v);
        break;
      }
      case MtxField::Real: {
        double v = 0;
        ok = next_number(line, p, v);
        c.re.push_back(v);
        break;
      }
      case MtxField::Complex: {
        double a = 0, b = 0;
        ok = next_number(line, p, a) && next_number(line, p, b);
        c.re.push_back(a);
        c.im.push_back(b);
        break;
      }
    }
    if (!ok || !at_end(line, p)) {
      c.error_line = c.lines;
      c.error = "bad value in '" + std::string(line) + "'; expected " +
                (info.field == MtxField::Integer   ? "an integer"
                 : info.field == MtxField::Complex ? "two reals"
                 : info.field == MtxField::Pattern ? "nothing after the indices"
                                                   : "a real");
      return;
    }
  }
}

// Splits `body` at line ends into chunks parsed in parallel (small bodies stay in one).
std::vector<Chunk> parse_block(std::string_view body, const MtxInfo& info) {
  const int parts = body.size() < (1u << 20) ? 1 : std::max(1, omp_get_max_threads()) * 4;
  std::vector<std::size_t> cut(static_cast<std::size_t>(parts) + 1, body.size());
  cut[0] = 0;
  for (int k = 1; k < parts; ++k) {
    std::size_t at = std::max(cut[static_cast<std::size_t>(k) - 1],
                              body.size() * static_cast<std::size_t>(k) / static_cast<std::size_t>(parts));
    const std::size_t nl = body.find('\n', at);
    cut[static_cast<std::size_t>(k)] = nl == std::string_view::npos ? body.size() : nl + 1;
  }
  std::vector<Chunk> chunks(static_cast<std::size_t>(parts));
  for (int k = 0; k < parts; ++k)
    chunks[static_cast<std::size_t>(k)].text = body.substr(
        cut[static_cast<std::size_t>(k)], cut[static_cast<std::size_t>(k) + 1] - cut[static_cast<std::size_t>(k)]);
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < parts; ++k)
    parse_chunk(chunks[static_cast<std::size_t>(k)].text, info, chunks[static_cast<std::size_t>(k)]);
  return chunks;
}

// Where the reading stands: the next line's number and the entries read so far.
struct Position {
  std::int64_t line = 0, count = 0;
};

// Raises the first error of `chunks` with the file's own line number, or an entry past
// the declared count; advances `at` over them.
void account(const std::string& path, const MtxInfo& info, const std::vector<Chunk>& chunks, Position& at) {
  for (const Chunk& c : chunks) {
    if (c.error_line >= 0) fail(path, at.line + c.error_line - 1, c.error);
    const std::int64_t n =
        info.array ? static_cast<std::int64_t>(c.re.size() + c.ints.size()) : static_cast<std::int64_t>(c.row.size());
    if (at.count + n > info.entries) {
      // Find the first line past the declared count (rare: only on a bad file).
      std::int64_t seen = at.count, l = at.line;
      std::size_t pos = 0;
      while (pos < c.text.size()) {
        const std::size_t end = std::min(c.text.find('\n', pos), c.text.size());
        if (!blank_or_comment(c.text.substr(pos, end - pos)) && ++seen > info.entries) break;
        pos = end + 1;
        ++l;
      }
      fail(path, l, "more entries than the " + std::to_string(info.entries) + " declared on the size line");
    }
    at.count += n;
    at.line += c.lines;
  }
}

void check_complete(const std::string& path, const MtxInfo& info, const Position& at) {
  if (at.count < info.entries)
    fail(path, at.line,
         "the file ends after " + std::to_string(at.count) + " entries; the size line declares " +
             std::to_string(info.entries));
}

// The chunks' entries appended to `d`, the chunks' memory freed as they go.
void join(std::vector<Chunk>& chunks, MtxData& d) {
  auto move = [&](auto member, auto& out) {
    std::size_t n = out.size();
    for (auto& c : chunks) n += (c.*member).size();
    out.reserve(n);
    for (auto& c : chunks) {
      out.insert(out.end(), (c.*member).begin(), (c.*member).end());
      std::vector<typename std::remove_reference_t<decltype(out)>::value_type>().swap(c.*member);
    }
  };
  move(&Chunk::row, d.row);
  move(&Chunk::col, d.col);
  move(&Chunk::re, d.re);
  move(&Chunk::im, d.im);
  move(&Chunk::ints, d.ints);
}

// Appends the mirrored half of entries [from, end) of a symmetric kind's `d`.
void mirror(MtxData& d, std::size_t from) {
  const MtxInfo& info = d.info;
  if (info.symmetry == MtxSymmetry::General) return;
  const std::size_t n = d.row.size();
  const double sign = info.symmetry == MtxSymmetry::SkewSymmetric ? -1.0 : 1.0;
  for (std::size_t k = from; k < n; ++k) {
    if (d.row[k] == d.col[k]) continue;
    d.row.push_back(d.col[k]);
    d.col.push_back(d.row[k]);
    if (info.field == MtxField::Integer)  // negated in unsigned arithmetic: -INT64_MIN wraps as numpy's does
      d.ints.push_back(sign < 0 ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(d.ints[k])) : d.ints[k]);
    if (info.field == MtxField::Real || info.field == MtxField::Complex) d.re.push_back(sign * d.re[k]);
    if (info.field == MtxField::Complex)
      d.im.push_back(info.symmetry == MtxSymmetry::Hermitian ? -d.im[k] : sign * d.im[k]);
  }
}

// The file open for reading pieces of it.
class TextFile {
 public:
  explicit TextFile(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw_io_error(path, "cannot open", errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int e = errno;
      ::close(fd_);
      throw_io_error(path, "cannot stat", e);
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  ~TextFile() { ::close(fd_); }
  TextFile(const TextFile&) = delete;
  TextFile& operator=(const TextFile&) = delete;
  std::uint64_t size() const { return size_; }
  // Up to `bytes` from `offset` appended to `out`; fewer only at the end of the file.
  void read(std::uint64_t offset, std::size_t bytes, std::string& out) const {
    const std::size_t at = out.size();
    out.resize(at + bytes);
    std::size_t done = 0;
    while (done < bytes) {
      const ssize_t n = ::pread(fd_, out.data() + at + done, bytes - done, static_cast<off_t>(offset + done));
      if (n < 0) throw_io_error(path_, "cannot read", errno);
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    out.resize(at + done);
  }

 private:
  std::string path_;
  int fd_;
  std::uint64_t size_ = 0;
};

// The header from as much of the file's beginning as holds the size line.
Header read_header(const std::string& path, const TextFile& file, std::string& text) {
  for (std::size_t want = 1 << 16;; want *= 4) {
    text.clear();
    file.read(0, static_cast<std::size_t>(std::min<std::uint64_t>(want, file.size())), text);
    if (text.size() == file.size()) return parse_header(path, text, file.size());
    // Complete when a line other than the banner, blank or a comment has ended.
    std::size_t pos = text.find('\n');
    while (pos != std::string::npos) {
      const std::size_t end = text.find('\n', pos + 1);
      if (end == std::string::npos) break;
      if (!blank_or_comment(std::string_view(text).substr(pos + 1, end - pos - 1)))
        return parse_header(path, text, file.size());
      pos = end;
    }
  }
}

}  // namespace

MtxInfo mtx_info(const std::string& path) {
  const TextFile file(path);
  std::string text;
  return read_header(path, file, text).info;
}

MtxData read_mtx_data(const std::string& path) {
  const TextFile file(path);
  std::string text;
  const Header h = read_header(path, file, text);
  text.clear();
  file.read(0, static_cast<std::size_t>(file.size()), text);
  std::vector<Chunk> chunks = parse_block(std::string_view(text).substr(h.body), h.info);
  Position at{h.body_line, 0};
  account(path, h.info, chunks, at);
  check_complete(path, h.info, at);
  MtxData d;
  d.info = h.info;
  join(chunks, d);
  if (h.info.array) {
    // Column-major; symmetric kinds hold the lower triangle (skew: strictly lower). A
    // column's first row only grows, so the walk stops at the first empty column: a header
    // of 0 rows and 5e13 columns (found by fuzz/mtx_fuzz) holds no value to visit.
    const MtxSymmetry s = h.info.symmetry;
    for (std::int64_t c = 0; c < h.info.cols; ++c) {
      const std::int64_t first = s == MtxSymmetry::General ? 0 : s == MtxSymmetry::SkewSymmetric ? c + 1 : c;
      if (first >= h.info.rows) break;
      for (std::int64_t r = first; r < h.info.rows; ++r) {
        d.row.push_back(r);
        d.col.push_back(c);
      }
    }
  }
  mirror(d, 0);
  return d;
}

void read_mtx_blocks(const std::string& path, std::size_t text_bytes, const std::function<void(MtxData&)>& block) {
  const TextFile file(path);
  std::string text;
  const Header h = read_header(path, file, text);
  if (h.info.array) throw Error(path + ": an array (dense) Matrix Market file is read whole, not in blocks");
  Position at{h.body_line, 0};
  MtxData d;
  d.info = h.info;
  text_bytes = std::max<std::size_t>(text_bytes, 4096);
  for (std::uint64_t offset = h.body; offset < file.size();) {
    text.clear();
    file.read(offset, static_cast<std::size_t>(std::min<std::uint64_t>(text_bytes, file.size() - offset)), text);
    std::size_t end = text.size();
    if (offset + end < file.size()) {  // the block ends at its last whole line
      const std::size_t nl = text.rfind('\n');
      if (nl == std::string::npos) {  // one line longer than the block
        text_bytes *= 2;
        continue;
      }
      end = nl + 1;
    }
    offset += end;
    std::vector<Chunk> chunks = parse_block(std::string_view(text).substr(0, end), h.info);
    account(path, h.info, chunks, at);
    for (auto* v : {&d.row, &d.col, &d.ints}) v->clear();
    for (auto* v : {&d.re, &d.im}) v->clear();
    join(chunks, d);
    mirror(d, 0);
    block(d);
  }
  check_complete(path, h.info, at);
}

namespace {

void append_number(std::string& out, double v) {
  char buf[64];
  auto [e, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, e);
}
void append_number(std::string& out, std::int64_t v) {
  char buf[32];
  auto [e, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, e);
}

}  // namespace

std::string mtx_banner(const MtxInfo& info, const std::string& comment) {
  static const char* fields[] = {"real", "integer", "complex", "pattern"};
  static const char* syms[] = {"general", "symmetric", "skew-symmetric", "hermitian"};
  std::string head = std::string("%%MatrixMarket matrix ") + (info.array ? "array " : "coordinate ") +
                     fields[static_cast<int>(info.field)] + " " + syms[static_cast<int>(info.symmetry)] + "\n";
  std::size_t start = 0;
  while (start < comment.size()) {
    const std::size_t end = std::min(comment.find('\n', start), comment.size());
    head += '%';
    head.append(comment, start, end - start);
    head += '\n';
    start = end + 1;
  }
  head.append(std::to_string(info.rows)).append(1, ' ').append(std::to_string(info.cols));
  if (!info.array) head.append(1, ' ').append(std::to_string(info.entries));
  head.append(1, '\n');
  return head;
}

void append_mtx_entry(std::string& out, const MtxInfo& info, std::int64_t row, std::int64_t col, double re, double im,
                      std::int64_t integer) {
  if (!info.array) {
    append_number(out, row + 1);
    out += ' ';
    append_number(out, col + 1);
  }
  switch (info.field) {
    case MtxField::Pattern:
      break;
    case MtxField::Integer:
      if (!info.array) out += ' ';
      append_number(out, integer);
      break;
    case MtxField::Real:
      if (!info.array) out += ' ';
      append_number(out, re);
      break;
    case MtxField::Complex:
      if (!info.array) out += ' ';
      append_number(out, re);
      out += ' ';
      append_number(out, im);
      break;
  }
  out += '\n';
}

void write_mtx_text(const std::string& path, const MtxInfo& info, const std::string& comment,
                    const std::vector<std::int64_t>& row, const std::vector<std::int64_t>& col,
                    const std::vector<double>& re, const std::vector<double>& im,
                    const std::vector<std::int64_t>& ints) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw_io_error(path, "cannot create", errno);
  std::string out = mtx_banner(info, comment);
  auto flush = [&] {
    if (std::fwrite(out.data(), 1, out.size(), f.get()) != out.size()) throw_io_error(path, "cannot write", errno);
    out.clear();
  };
  for (std::size_t k = 0; k < row.size(); ++k) {
    append_mtx_entry(out, info, row[k], col[k], re.empty() ? 0.0 : re[k], im.empty() ? 0.0 : im[k],
                     ints.empty() ? 0 : ints[k]);
    if (out.size() > (1u << 20)) flush();
  }
  flush();
  if (std::fflush(f.get()) != 0) throw_io_error(path, "cannot write", errno);
}

}  // namespace mammoth::sparse
