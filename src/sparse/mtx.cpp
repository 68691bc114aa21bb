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

std::string slurp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error(path, "cannot open", errno);
  struct stat st {};
  ::fstat(fd, &st);
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      throw_io_error(path, "cannot read", e);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return text;
}

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

Header parse_header(const std::string& path, std::string_view text) {
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
  else if (fi == "integer")
    h.info.field = MtxField::Integer;
  else if (fi == "complex")
    h.info.field = MtxField::Complex;
  else if (fi == "pattern")
    h.info.field = MtxField::Pattern;
  else
    fail(path, 1, "field '" + std::string(field) + "'; expected real, integer, complex or pattern");
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
  if (static_cast<std::uint64_t>(h.info.entries) > (text.size() - h.body) / least + 1)
    fail(path, line_no,
         "the size line declares " + std::to_string(h.info.entries) + " entries but the file holds only " +
             std::to_string(text.size() - h.body) + " more bytes");
  h.body_line = line_no + 1;
  return h;
}

struct Chunk {
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

}  // namespace

MtxInfo mtx_info(const std::string& path) {
  const std::string text = slurp(path);
  return parse_header(path, text).info;
}

MtxData read_mtx_data(const std::string& path) {
  const std::string text = slurp(path);
  const Header h = parse_header(path, text);
  const std::string_view body = std::string_view(text).substr(h.body);
  // Chunks end at line ends; small bodies stay in one chunk.
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
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < parts; ++k)
    parse_chunk(body.substr(cut[static_cast<std::size_t>(k)],
                            cut[static_cast<std::size_t>(k) + 1] - cut[static_cast<std::size_t>(k)]),
                h.info, chunks[static_cast<std::size_t>(k)]);
  std::int64_t line = h.body_line, count = 0;
  for (const Chunk& c : chunks) {
    if (c.error_line >= 0) fail(path, line + c.error_line - 1, c.error);
    const std::int64_t n =
        h.info.array ? static_cast<std::int64_t>(c.re.size() + c.ints.size()) : static_cast<std::int64_t>(c.row.size());
    if (count + n > h.info.entries) {
      // Find the first line past the declared count (rare: only on a bad file).
      std::int64_t seen = count, l = line;
      std::size_t pos = 0;
      const std::string_view t = body.substr(cut[static_cast<std::size_t>(&c - chunks.data())]);
      while (pos < t.size()) {
        const std::size_t end = std::min(t.find('\n', pos), t.size());
        if (!blank_or_comment(t.substr(pos, end - pos)) && ++seen > h.info.entries) break;
        pos = end + 1;
        ++l;
      }
      fail(path, l, "more entries than the " + std::to_string(h.info.entries) + " declared on the size line");
    }
    count += n;
    line += c.lines;
  }
  if (count < h.info.entries)
    fail(path, line,
         "the file ends after " + std::to_string(count) + " entries; the size line declares " +
             std::to_string(h.info.entries));

  MtxData d;
  d.info = h.info;
  auto join = [&](auto member, auto& out) {
    std::size_t n = 0;
    for (auto& c : chunks) n += (c.*member).size();
    out.reserve(n);
    for (auto& c : chunks) {
      out.insert(out.end(), (c.*member).begin(), (c.*member).end());
      std::vector<typename std::remove_reference_t<decltype(out)>::value_type>().swap(c.*member);
    }
  };
  join(&Chunk::row, d.row);
  join(&Chunk::col, d.col);
  join(&Chunk::re, d.re);
  join(&Chunk::im, d.im);
  join(&Chunk::ints, d.ints);
  if (h.info.array) {
    // Column-major; symmetric kinds hold the lower triangle (skew: strictly lower).
    const MtxSymmetry s = h.info.symmetry;
    for (std::int64_t c = 0; c < h.info.cols; ++c)
      for (std::int64_t r = s == MtxSymmetry::General         ? 0
                            : s == MtxSymmetry::SkewSymmetric ? c + 1
                                                              : c;
           r < h.info.rows; ++r) {
        d.row.push_back(r);
        d.col.push_back(c);
      }
  }
  if (h.info.symmetry != MtxSymmetry::General) {
    const std::size_t n = d.row.size();
    for (std::size_t k = 0; k < n; ++k) {
      if (d.row[k] == d.col[k]) continue;
      d.row.push_back(d.col[k]);
      d.col.push_back(d.row[k]);
      const double sign = h.info.symmetry == MtxSymmetry::SkewSymmetric ? -1.0 : 1.0;
      if (h.info.field == MtxField::Integer)  // negated in unsigned arithmetic: -INT64_MIN wraps as numpy's does
        d.ints.push_back(sign < 0 ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(d.ints[k])) : d.ints[k]);
      if (h.info.field == MtxField::Real || h.info.field == MtxField::Complex) d.re.push_back(sign * d.re[k]);
      if (h.info.field == MtxField::Complex)
        d.im.push_back(h.info.symmetry == MtxSymmetry::Hermitian ? -d.im[k] : sign * d.im[k]);
    }
  }
  return d;
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
