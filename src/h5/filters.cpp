// Filters by name and ID, what to install for a missing one, the `--compression`
// grammar, and the plugin folders searched at library start.
#include "mammoth/h5/filters.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "call.hpp"
#include "pipeline.hpp"

namespace mammoth::h5 {

namespace {

struct KnownFilter {
  unsigned id;
  const char* name;
  const char* remedy;  // where a missing one comes from
};

constexpr const char* kBuiltIn = "it is built into libhdf5; install Debian's libhdf5-103-1";
constexpr const char* kPipHdf5plugin =
    "install pip's hdf5plugin (Debian 12 packages no plugin for it) and set HDF5_PLUGIN_PATH to its plugins folder";

// The HDF Group's registry (RegisteredFilterPlugins.md), the filters seen in the wild.
constexpr std::array<KnownFilter, 20> kKnownFilters{{
    {kFilterGzip, "gzip", kBuiltIn},
    {kFilterShuffle, "shuffle", kBuiltIn},
    {kFilterFletcher32, "fletcher32", kBuiltIn},
    {kFilterSzip, "szip", "install a libhdf5 built with szip (Debian's is, through libaec)"},
    {kFilterNbit, "nbit", kBuiltIn},
    {kFilterScaleOffset, "scaleoffset", kBuiltIn},
    {305, "lzo",
     "LZO is PyTables' own filter: read the file with PyTables, or rewrite it with "
     "`ptrepack --complib=zlib` (Debian's python3-tables)"},
    {kFilterBzip2, "bzip2", "install Debian's hdf5-filter-plugin"},
    {kFilterLzf, "lzf", "mammoth registers LZF itself; install Debian's liblzf1"},
    {kFilterBlosc, "blosc", "install Debian's hdf5-filter-plugin-blosc-serial"},
    {32002, "mafisc", "install the MAFISC HDF5 plugin and set HDF5_PLUGIN_PATH to its folder"},
    {32003, "snappy", "install an HDF5 snappy plugin and set HDF5_PLUGIN_PATH to its folder"},
    {kFilterLz4, "lz4", "install Debian's hdf5-filter-plugin"},
    {kFilterBitshuffle, "bitshuffle", kPipHdf5plugin},
    {32013, "zfp", "install Debian's hdf5-filter-plugin-zfp-serial"},
    {kFilterZstd, "zstd", kPipHdf5plugin},
    {32017, "sz", kPipHdf5plugin},
    {32018, "fcidecomp", kPipHdf5plugin},
    {32024, "sz3", kPipHdf5plugin},
    {32026, "blosc2", kPipHdf5plugin},
}};

const KnownFilter* known(unsigned id) {
  for (const KnownFilter& f : kKnownFilters)
    if (f.id == id) return &f;
  return nullptr;
}

constexpr std::array<const char*, 6> kBloscCompressors{"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};

std::string blosc_text(const std::vector<unsigned>& v) {
  // cd_values: [0..3] filled by the plugin (revision, version, type size, chunk bytes),
  // then what the writer chose: [4] level, [5] shuffle (0 none, 1 byte, 2 bit), [6] compressor.
  if (v.size() < 7) return "blosc";
  const std::string compressor = v[6] < kBloscCompressors.size() ? kBloscCompressors[v[6]] : std::to_string(v[6]);
  const char* shuffles[] = {"noshuffle", "shuffle", "bitshuffle"};
  return "blosc(" + compressor + ", " + std::to_string(v[4]) + ", " + (v[5] < 3 ? shuffles[v[5]] : "?") + ")";
}

std::string bitshuffle_text(const std::vector<unsigned>& v) {
  // cd_values: [0..2] filled by the plugin, then [3] block size, [4] 0 none, 2 lz4, 3 zstd, [5] zstd level.
  if (v.size() < 5) return "bitshuffle";
  if (v[4] == 2) return "bitshuffle(lz4)";
  if (v[4] == 3) return "bitshuffle(zstd" + (v.size() > 5 ? ", " + std::to_string(v[5]) : "") + ")";
  return "bitshuffle";
}

std::string settings_text(const Filter& f) {
  const std::string name = filter_name(f.id);
  const auto first = [&] { return name + "(" + std::to_string(f.values.empty() ? 0 : f.values[0]) + ")"; };
  switch (f.id) {
    case kFilterGzip:
      return first();
    case kFilterBzip2:
    case kFilterZstd:
      return f.values.empty() ? name : first();
    case kFilterBlosc:
      return blosc_text(f.values);
    case kFilterBitshuffle:
      return bitshuffle_text(f.values);
    default:
      return name;
  }
}

[[noreturn]] void bad_compression(const std::string& spec, const std::string& why) {
  std::string names;
  for (const auto& n : compression_names()) names += (names.empty() ? "" : ", ") + n;
  throw Error("compression '" + spec + "': " + why + " (expected none, " + names + ")");
}

int parse_level(const std::string& spec, const std::string& text, int low, int high) {
  std::size_t used = 0;
  int level = 0;
  try {
    level = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || level < low || level > high)
    bad_compression(
        spec, "level '" + text + "' is not an integer from " + std::to_string(low) + " to " + std::to_string(high));
  return level;
}

unsigned index_of(const std::string& spec, const std::string& name, const std::vector<std::string>& choices) {
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == name) return static_cast<unsigned>(i);
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  bad_compression(spec, "'" + name + "' is not one of " + list);
}

Filter blosc_filter(const std::string& spec, const std::string& settings) {
  // hdf5plugin.Blosc's defaults: lz4, level 5, byte shuffle.
  const std::size_t colon = settings.find(':');
  const std::string cname = settings.empty() ? "lz4" : settings.substr(0, colon);
  const unsigned compressor = index_of(spec, cname, {"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"});
  const int level = colon == std::string::npos ? 5 : parse_level(spec, settings.substr(colon + 1), 0, 9);
  return Filter{kFilterBlosc, {0, 0, 0, 0, static_cast<unsigned>(level), 1, compressor}, true};
}

Filter bitshuffle_filter(const std::string& spec, const std::string& settings) {
  // hdf5plugin.Bitshuffle's options: block size (0: about 8 KiB), then 0 none, 2 lz4, 3 zstd (level 3).
  const unsigned codes[] = {0, 2, 3};
  const unsigned which = index_of(spec, settings.empty() ? "lz4" : settings, {"none", "lz4", "zstd"});
  if (which == 2) return Filter{kFilterBitshuffle, {0, codes[which], 3}, true};
  return Filter{kFilterBitshuffle, {0, codes[which]}, true};
}

}  // namespace

std::string filter_name(unsigned id) {
  const KnownFilter* f = known(id);
  return f ? f->name : "filter " + std::to_string(id);
}

bool filter_available(unsigned id) {
  auto guard = detail::lock();
  detail::init_library();
  const htri_t r = H5Zfilter_avail(static_cast<H5Z_filter_t>(id));
  H5Eclear2(H5E_DEFAULT);  // a plugin that fails to load is an answer, not an error
  return r > 0;
}

std::string filter_text(const Filter& filter) {
  return settings_text(filter) + (filter_available(filter.id) ? "" : " (not available)");
}

std::string filter_remedy(unsigned id) {
  const KnownFilter* f = known(id);
  std::string remedy = f ? f->remedy
                         : "install the HDF5 plugin for filter " + std::to_string(id) +
                               " (The HDF Group's list of registered filters names it) and set HDF5_PLUGIN_PATH";
  if (const char* path = std::getenv("HDF5_PLUGIN_PATH"); path && *path)
    remedy += " (HDF5_PLUGIN_PATH is set to '" + std::string(path) + "': only those folders are searched)";
  return remedy;
}

void require_filter(unsigned id, const std::string& object) {
  if (!filter_available(id))
    throw Error(object + ": cannot compress with '" + filter_name(id) + "' (HDF5 filter " + std::to_string(id) +
                "), which is not available; " + filter_remedy(id));
}

std::vector<std::string> compression_names() {
  return {
      "gzip[=0-9]", "lzf", "zstd[=1-22]", "blosc[=CNAME[:0-9]]", "lz4", "bzip2[=1-9]", "bitshuffle[=lz4|zstd|none]"};
}

std::optional<Filter> parse_compression(const std::string& spec, int gzip_level) {
  if (spec.empty() || spec == "none") return std::nullopt;
  const std::size_t eq = spec.find('=');
  const std::string name = spec.substr(0, eq);
  const bool has_settings = eq != std::string::npos;
  const std::string settings = has_settings ? spec.substr(eq + 1) : "";
  const auto no_settings = [&] {
    if (has_settings) bad_compression(spec, "'" + name + "' takes no settings");
  };
  if (name == "gzip") {
    const int level = has_settings ? parse_level(spec, settings, 0, 9) : gzip_level;
    if (level < 0 || level > 9) bad_compression(spec, "gzip level " + std::to_string(level) + " is not 0-9");
    return Filter{kFilterGzip, {static_cast<unsigned>(level)}, false};
  }
  if (name == "lzf") {
    no_settings();
    return Filter{kFilterLzf, {}, true};
  }
  if (name == "zstd")
    return Filter{kFilterZstd, {static_cast<unsigned>(has_settings ? parse_level(spec, settings, 1, 22) : 3)}, true};
  if (name == "blosc") return blosc_filter(spec, settings);
  if (name == "lz4") {
    no_settings();
    return Filter{kFilterLz4, {0}, true};
  }
  if (name == "bzip2")
    return Filter{kFilterBzip2, {static_cast<unsigned>(has_settings ? parse_level(spec, settings, 1, 9) : 9)}, true};
  if (name == "bitshuffle") return bitshuffle_filter(spec, settings);
  bad_compression(spec, "unknown compression '" + name + "'");
}

namespace detail {

void add_plugin_paths() {
  // HDF5_PLUGIN_PATH replaces libhdf5's folders: the user chose, so add nothing.
  if (const char* path = std::getenv("HDF5_PLUGIN_PATH"); path && *path) return;
  std::set<std::string> present;
  unsigned n = 0;
  if (H5PLsize(&n) < 0) n = 0;
  for (unsigned i = 0; i < n; ++i) {
    char buf[4096] = {};
    if (H5PLget(i, buf, sizeof buf) > 0) present.insert(buf);
  }
  // Debian's plugin packages install into H5_DEFAULT_PLUGINDIR; python3-hdf5plugin's
  // folder is where pip's hdf5plugin keeps its .so files (Debian's ships none there).
  std::vector<std::string> folders{H5_DEFAULT_PLUGINDIR, "/usr/lib/python3/dist-packages/hdf5plugin/plugins"};
  std::error_code ec;
  for (const char* root : {"/usr/local/lib", "/usr/lib"})
    for (const auto& entry : std::filesystem::directory_iterator(root, ec))
      if (entry.path().filename().string().starts_with("python3"))
        for (const char* site : {"dist-packages", "site-packages"})
          folders.push_back((entry.path() / site / "hdf5plugin" / "plugins").string());
  for (const std::string& folder : folders)
    if (!present.count(folder) && std::filesystem::is_directory(folder, ec) && H5PLappend(folder.c_str()) >= 0)
      present.insert(folder);
  H5Eclear2(H5E_DEFAULT);
}

std::vector<Filter> read_pipeline(hid_t dcpl, const std::string& object) {
  std::vector<Filter> out;
  const int n = call("count filters", object, H5Pget_nfilters, dcpl);
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t nvalues = 16;
    std::vector<unsigned> values(nvalues);
    const H5Z_filter_t id = call("get filter", object, H5Pget_filter2, dcpl, static_cast<unsigned>(i), &flags, &nvalues,
                                 values.data(), std::size_t{0}, nullptr, &config);
    values.resize(std::min<std::size_t>(nvalues, 16));
    out.push_back(Filter{static_cast<unsigned>(id), std::move(values), (flags & H5Z_FLAG_OPTIONAL) != 0});
  }
  return out;
}

void add_filter(hid_t dcpl, const Filter& filter, const std::string& object) {
  require_filter(filter.id, object);
  if (filter.id == kFilterGzip) {
    call("set gzip", object, H5Pset_deflate, dcpl, filter.values.at(0));
    return;
  }
  call("set filter " + filter_name(filter.id), object, H5Pset_filter, dcpl, static_cast<H5Z_filter_t>(filter.id),
       filter.optional ? H5Z_FLAG_OPTIONAL : H5Z_FLAG_MANDATORY, filter.values.size(), filter.values.data());
}

void throw_if_filter_missing(hid_t dataset, const std::string& object) {
  auto guard = lock();
  const hid_t dcpl = H5Dget_create_plist(dataset);
  if (dcpl < 0) {
    H5Eclear2(H5E_DEFAULT);
    return;
  }
  const Handle owned(dcpl);
  for (const Filter& f : read_pipeline(dcpl, object))
    if (!filter_available(f.id))
      throw Error(object + ": compressed with '" + filter_name(f.id) + "' (HDF5 filter " + std::to_string(f.id) +
                  "), which is not available; " + filter_remedy(f.id));
}

}  // namespace detail
}  // namespace mammoth::h5
