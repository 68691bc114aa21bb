// `mammoth info PATH`: what an array file holds, from its store's own description.
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "command.hpp"
#include "mammoth/store.hpp"
#include "sparse_cli.hpp"

#include "json.hpp"

namespace mammoth::cli {
namespace {

bool is_integer(const std::string& s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

std::string json_list(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

void print_text(const BlockStore& store) {
  std::cout << "file:    " << store.name() << "\n"
            << "dtype:   " << store.dtype().name() << " (" << store.dtype().descr() << ")\n"
            << "shape:   " << shape_string(store.shape()) << "\n"
            << "size:    " << element_count(store.shape()) << " elements\n";
  for (const auto& [key, value] : store.properties()) {
    std::string label = key + ":";
    label.resize(std::max<std::size_t>(label.size(), 8), ' ');
    std::cout << label << " " << value << "\n";
  }
}

void print_json(const BlockStore& store) {
  std::cout << "{\"file\": " << json_string(store.name()) << ", \"dtype\": " << json_string(store.dtype().descr())
            << ", \"dtype_name\": " << json_string(store.dtype().name()) << ", \"shape\": " << json_list(store.shape())
            << ", \"size\": " << element_count(store.shape());
  for (const auto& [key, value] : store.properties())
    std::cout << ", " << json_string(key) << ": " << (is_integer(value) ? value : json_string(value));
  std::cout << "}\n";
}

std::function<int()> setup_info(CLI::App& app) {
  struct Options {
    std::string path, dtype, shape, order = "C";
    std::int64_t offset = 0;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option(
         "path", o->path,
         "FILE.npy, FILE.h5:/dataset, a sparse FILE.npz, FILE.mtx or FILE.h5:/group, or a raw file with --dtype")
      ->required();
  app.add_flag("--json", o->json, "print one JSON object");
  app.add_option("--dtype", o->dtype, "raw file: element type (float32, <f4, int64…)");
  app.add_option("--shape", o->shape, "raw file: shape, e.g. 100,1000000 (default: as many items as the file holds)");
  app.add_option("--offset", o->offset, "raw file: bytes before the first element")->check(CLI::NonNegativeNumber);
  app.add_option("--order", o->order, "raw file: C or F")->check(CLI::IsMember({"C", "F"}));
  return [o] {
    if (o->dtype.empty() && names_sparse(o->path)) return sparse_info(o->path, o->json);
    std::optional<RawLayout> raw;
    if (!o->dtype.empty())
      raw = RawLayout{DType::parse(o->dtype, "--dtype"), parse_shape(o->shape), o->offset,
                      o->order == "F" ? Order::Fortran : Order::C};
    else if (!o->shape.empty())
      throw CLI::ValidationError("--shape", "describes a raw file and needs --dtype");
    const auto store = open_store(o->path, Mode::Read, raw);
    if (o->json)
      print_json(*store);
    else
      print_text(*store);
    return 0;
  };
}

const bool registered = register_command(
    {"info", "show the dtype, shape, order, size and format of an array or sparse matrix file", 10, setup_info});

}  // namespace
}  // namespace mammoth::cli
