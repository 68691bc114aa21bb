// `mammoth ls FILE.h5 [--json]`: the tree of groups and datasets with shape, dtype,
// chunks, filters and attributes (h5ls -r -v, more readable).
#include <cstdio>
#include <iostream>
#include <sstream>

#include "command.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/sparse/h5_group.hpp"
#include "mammoth/store.hpp"

#include "json.hpp"

namespace mammoth::cli {
namespace {

// Text for the tree: control characters escaped (PyTables pickles multi-line FILTERS
// into attributes), at most `limit` bytes, cut on a character boundary with "…".
std::string printable(const std::string& s, std::size_t limit = std::string::npos) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() <= limit) return out;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return out.substr(0, cut) + "…";
}

// Longest attribute value the tree shows (--json shows every value whole).
constexpr std::size_t kAttributeChars = 200;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// One element of a native-order array as text (JSON when `json`).
std::string element(const AnyArray& a, std::int64_t i, bool json) {
  return visit_scalar(a.dtype().type(), [&](auto tag) -> std::string {
    using T = typename decltype(tag)::type;
    const T v = reinterpret_cast<const T*>(a.data())[i];
    if constexpr (std::is_same_v<T, bool>) {
      return json ? (v ? "true" : "false") : (v ? "True" : "False");
    } else if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, json ? "%.17g" : "%g", static_cast<double>(v));
      return buf;
    } else if constexpr (std::is_integral_v<T>) {
      return std::to_string(v);
    } else {
      const std::string s = number(v.real()) + (v.imag() < 0 ? "" : "+") + number(v.imag()) + "j";
      return json ? json_string(s) : s;
    }
  });
}

std::string attribute_text(const h5::AttributeValue& value, bool json) {
  if (const auto* s = std::get_if<std::string>(&value))
    return json ? json_string(*s) : "\"" + printable(*s, kAttributeChars) + "\"";
  const AnyArray a = std::get<AnyArray>(value).to_native().copy();
  if (a.ndim() == 0) return element(a, 0, json);
  std::string out = "[";
  for (std::int64_t i = 0; i < a.size(); ++i) {
    out += (i ? ", " : "") + element(a, i, json);
    if (!json && out.size() > kAttributeChars) return printable(out, kAttributeChars);
  }
  return out + "]";
}

std::string shape_json(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + (s[i] == h5::kUnlimited ? std::string("null") : std::to_string(s[i]));
  return out + "]";
}

// The values of a dataset, flat in C order (at most `limit` of them), or why not;
// an Error when they cannot be read (a missing filter…).
std::string data_text(const h5::Dataset& d, std::int64_t limit, bool json) {
  if (!d.supported()) return json ? "null" : "(unsupported type)";
  if (d.size() > limit)
    return json
               ? "null"
               : "(" + std::to_string(d.size()) + " elements; more than " + std::to_string(limit) + " are not printed)";
  const AnyArray a = d.read_all();
  std::string out = "[";
  for (std::int64_t i = 0; i < a.size(); ++i) out += (i ? ", " : "") + element(a, i, json);
  return out + "]";
}

// `"data": […]`, or for a dataset that cannot be read `"data": null, "data_error": "…"`:
// one unreadable dataset does not end the listing.
std::string data_json(const h5::Dataset& d, std::int64_t limit) {
  try {
    return "\"data\": " + data_text(d, limit, true);
  } catch (const Error& e) {
    return "\"data\": null, \"data_error\": " + json_string(e.what());
  }
}

std::string data_line(const h5::Dataset& d, std::int64_t limit) {
  try {
    return data_text(d, limit, false);
  } catch (const Error& e) {
    return "(unreadable: " + printable(e.what()) + ")";
  }
}

// h5py's spelling: (None, 3).
std::string maxshape_text(const Shape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + (s[i] == h5::kUnlimited ? std::string("None") : std::to_string(s[i]));
  return out + (s.size() == 1 ? ",)" : ")");
}

struct Entry {
  std::string path;
  h5::ObjectKind kind;
  std::vector<std::pair<std::string, h5::AttributeValue>> attrs;
  std::optional<h5::Dataset> dataset;
  std::string soft_link;
  std::optional<sparse::H5GroupInfo> sparse;  // a group encoding a CSR/CSC matrix
  std::string sparse_error;                   // its attributes name an encoding it does not follow
};

std::vector<std::pair<std::string, h5::AttributeValue>> read_attrs(const h5::Attributes& attrs) {
  std::vector<std::pair<std::string, h5::AttributeValue>> out;
  for (const auto& name : attrs.names()) {
    try {
      out.emplace_back(name, attrs.read(name));
    } catch (const Error& e) {  // an attribute mammoth cannot hold or read: say so and go on
      out.emplace_back(name, std::string("<") + e.what() + ">");
    }
  }
  return out;
}

Entry group_entry(std::string path, const h5::Group& g, std::string soft_link) {
  Entry e{std::move(path), h5::ObjectKind::Group, read_attrs(g.attrs()), std::nullopt, std::move(soft_link), {}, {}};
  try {
    e.sparse = sparse::sparse_group_info(g);
  } catch (const Error& err) {
    e.sparse_error = err.what();
  }
  return e;
}

// The object at `start` ("/" for the whole file) and, for a group, everything below it.
std::vector<Entry> collect(const h5::File& file, const std::string& start) {
  std::vector<Entry> entries;
  const h5::ObjectKind kind = file.kind(start);
  if (kind == h5::ObjectKind::Missing) throw Error(file.path() + ":" + start + ": no such group or dataset");
  if (kind == h5::ObjectKind::Dataset) {
    Entry e{file.dataset(start).name(), kind, {}, file.dataset(start), "", {}, {}};
    e.attrs = read_attrs(e.dataset->attrs());
    entries.push_back(std::move(e));
    return entries;
  }
  const h5::Group top = file.group(start);
  entries.push_back(group_entry(top.name(), top, ""));
  const std::string prefix = top.name() == "/" ? "/" : top.name() + "/";
  top.visit([&](const h5::Member& m) {
    if (m.kind == h5::ObjectKind::Group) {
      entries.push_back(group_entry(prefix + m.name, top.group(m.name), m.soft_link));
      return;
    }
    Entry e{prefix + m.name, m.kind, {}, std::nullopt, m.soft_link, {}, {}};
    if (m.kind == h5::ObjectKind::Dataset) {
      e.dataset.emplace(top.dataset(m.name));
      e.attrs = read_attrs(e.dataset->attrs());
    }
    entries.push_back(std::move(e));
  });
  return entries;
}

std::string dtype_text(const h5::Dataset& d) {
  return d.supported() ? d.dtype().name() : d.type_description() + " (unsupported)";
}

std::string sparse_text(const sparse::H5GroupInfo& m) {
  return std::string("sparse ") + sparse::format_name(m.format) + " matrix (" + std::to_string(m.rows) + ", " +
         std::to_string(m.cols) + ") " + m.value.name() + ", nnz " + std::to_string(m.nnz) + ", " + m.index.name() +
         " indices (" + m.encoding + " encoding)";
}

std::string sparse_json(const sparse::H5GroupInfo& m) {
  return std::string("{\"format\": ") + json_string(sparse::format_name(m.format)) + ", \"shape\": [" +
         std::to_string(m.rows) + ", " + std::to_string(m.cols) + "], \"nnz\": " + std::to_string(m.nnz) +
         ", \"dtype\": " + json_string(m.value.descr()) + ", \"index_dtype\": " + json_string(m.index.descr()) +
         ", \"encoding\": " + json_string(m.encoding) + "}";
}

// The tree: a sparse group is one line, its data/indices/indptr are not listed apart.
void print_text(const std::vector<Entry>& entries, std::int64_t data, std::ostream& out) {
  std::string inside_sparse;  // "/X/" while listing below a sparse group
  for (const Entry& e : entries) {
    if (!inside_sparse.empty() && e.path.starts_with(inside_sparse)) continue;
    inside_sparse.clear();
    out << printable(e.path);
    if (e.kind == h5::ObjectKind::Group && e.path != "/") out << "/";
    if (!e.soft_link.empty()) out << " -> " << printable(e.soft_link);
    if (e.sparse) {
      out << "  " << sparse_text(*e.sparse);
      inside_sparse = e.path == "/" ? "/" : e.path + "/";
    } else if (!e.sparse_error.empty()) {
      out << "  (not a valid sparse group: " << printable(e.sparse_error) << ")";
    }
    if (e.dataset) {
      const h5::Dataset& d = *e.dataset;
      const h5::DatasetProperties p = d.properties();
      out << "  " << shape_string(d.shape()) << " " << dtype_text(d);
      out << (p.chunks.empty() ? ", contiguous" : ", chunks " + shape_string(p.chunks));
      for (const auto& f : p.filters) out << ", " << f;
      if (p.maxshape != d.shape()) out << ", maxshape " << maxshape_text(p.maxshape);
      if (p.fill_value) out << ", fill " << number(*p.fill_value);
      out << ", " << p.storage_bytes << " bytes stored";
    } else if (e.kind == h5::ObjectKind::Missing) {
      out << "  (dangling link)";
    } else if (e.kind != h5::ObjectKind::Group) {
      out << "  (" << h5::kind_name(e.kind) << ")";
    }
    out << "\n";
    if (data > 0 && e.dataset) out << "    data: " << data_line(*e.dataset, data) << "\n";
    for (const auto& [name, value] : e.attrs)
      out << "    @" << printable(name) << " = " << attribute_text(value, false) << "\n";
  }
}

void print_json(const std::string& file, const std::vector<Entry>& entries, std::int64_t data, std::ostream& out) {
  out << "{\"file\": " << json_string(file) << ", \"objects\": [";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    out << (i ? ",\n  " : "\n  ") << "{\"path\": " << json_string(e.path)
        << ", \"kind\": " << json_string(h5::kind_name(e.kind));
    if (!e.soft_link.empty()) out << ", \"soft_link\": " << json_string(e.soft_link);
    if (e.sparse) out << ", \"sparse\": " << sparse_json(*e.sparse);
    if (!e.sparse_error.empty()) out << ", \"sparse_error\": " << json_string(e.sparse_error);
    if (e.dataset) {
      const h5::Dataset& d = *e.dataset;
      const h5::DatasetProperties p = d.properties();
      out << ", \"shape\": " << shape_json(d.shape());
      out << ", \"dtype\": " << (d.supported() ? json_string(d.dtype().descr()) : "null");
      out << ", \"type\": " << json_string(d.type_description());
      out << ", \"chunks\": " << (p.chunks.empty() ? "null" : shape_json(p.chunks));
      out << ", \"maxshape\": " << shape_json(p.maxshape);
      out << ", \"filters\": [";
      for (std::size_t f = 0; f < p.filters.size(); ++f) out << (f ? ", " : "") << json_string(p.filters[f]);
      out << "], \"fill_value\": " << (p.fill_value ? number(*p.fill_value) : "null");
      out << ", \"storage_bytes\": " << p.storage_bytes;
      if (data > 0) out << ", " << data_json(d, data);
    }
    out << ", \"attrs\": {";
    for (std::size_t a = 0; a < e.attrs.size(); ++a)
      out << (a ? ", " : "") << json_string(e.attrs[a].first) << ": " << attribute_text(e.attrs[a].second, true);
    out << "}}";
  }
  out << "\n]}\n";
}

std::function<int()> setup_ls(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto data = std::make_shared<bool>(false);
  auto limit = std::make_shared<std::int64_t>(1000);
  app.add_option("file", *file, "HDF5 file, or FILE.h5:/group to list one group (or dataset)")->required();
  app.add_flag("--json", *json, "print JSON instead of the tree");
  app.add_flag("-d,--data", *data, "print the values of small datasets (flat, C order)");
  app.add_option("--limit", *limit, "with --data: largest dataset printed, in elements")->capture_default_str();
  return [=] {
    const StorePath where = parse_store_path(*file);
    h5::File f(where.file, Mode::Read);
    const std::vector<Entry> entries = collect(f, where.is_hdf5() ? where.inner : "/");
    std::ostringstream out;
    if (*json)
      print_json(f.path(), entries, *data ? *limit : 0, out);
    else
      print_text(entries, *data ? *limit : 0, out);
    std::cout << out.str();
    return 0;
  };
}

const bool registered =
    register_command({"ls", "list the groups, datasets and attributes of an HDF5 file", 35, setup_ls});

}  // namespace
}  // namespace mammoth::cli
