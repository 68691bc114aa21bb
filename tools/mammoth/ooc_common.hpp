// What the out-of-core subcommands (matvec, matmul, reduce) share: the budget/threads/
// quiet options, opening inputs, writing an output atomically, Ctrl-C, a summary line.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "command.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/store.hpp"

namespace mammoth::cli::ooc_cli {

struct CommonArgs {
  std::string budget = "64MiB";
  std::string block = "8MiB";
  int threads = 0;
  bool quiet = false;
  std::string raw_dtype;  // for raw (headerless) inputs
  std::string raw_shape;
  std::string out_dtype;  // the result's element type (matvec, matmul); empty: the accumulator's

  ooc::Options options(const std::string& label) const {
    ooc::Options o;
    o.budget = parse_bytes(budget, "--budget");
    o.block_bytes = parse_bytes(block, "--block");
    o.threads = threads;
    o.progress = !quiet;
    o.label = label;
    return o;
  }

  // The element type a product is written in: `--out-dtype` when given, else `accumulator`
  // (float64, complex128). The sums stay in the accumulator and are rounded once, on the
  // write. A complex result is refused in a real type: its imaginary parts would be lost.
  DType output_type(DType accumulator) const {
    if (out_dtype.empty()) return accumulator;
    const DType t = DType::parse(out_dtype, "--out-dtype");
    if (accumulator.kind() == Kind::Complex && t.kind() != Kind::Complex)
      throw TypeError("--out-dtype " + out_dtype + ": the product is complex (" + accumulator.name() +
                      "); a real output would drop its imaginary parts");
    return t;
  }
};

inline void add_common(CLI::App& app, CommonArgs& args) {
  app.add_option("--budget", args.budget, "memory the computation may hold (blocks, vectors, caches), e.g. 64MiB, 1G")
      ->capture_default_str();
  app.add_option("--block", args.block, "largest block one buffer holds (within the budget)")->capture_default_str();
  app.add_option("--threads", args.threads, "compute threads (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("-q,--quiet", args.quiet, "no progress bar and no summary line");
  app.add_option("--dtype", args.raw_dtype, "element type of raw (headerless) inputs, e.g. float32");
  app.add_option("--shape", args.raw_shape, "shape of a raw matrix input, e.g. 1000,100000");
}

// `--out-dtype` of the products (matvec, matmul): float32 gives what numpy's `A @ x` gives
// for float32 operands, at half the bytes of the default float64.
inline void add_out_dtype(CLI::App& app, CommonArgs& args) {
  app.add_option("--out-dtype", args.out_dtype,
                 "element type of the result (default float64, complex128 for complex operands); sums stay "
                 "in float64, rounded once")
      ->check(CLI::IsMember({"float32", "float64", "complex64", "complex128"}));
}

// Opens `spec` for reading: .npy, FILE.h5:/path, or raw with --dtype (and --shape;
// a raw vector's length is taken from the file size).
inline std::unique_ptr<BlockStore> open_input(const std::string& spec, const CommonArgs& args, bool matrix) {
  if (spec_format(spec) != FileFormat::Raw || args.raw_dtype.empty()) return open_store(spec);
  RawLayout layout;
  layout.dtype = DType::parse(args.raw_dtype, "--dtype");
  if (matrix && !args.raw_shape.empty()) layout.shape = parse_shape(args.raw_shape);
  return open_store(spec, Mode::Read, layout);
}

// Ctrl-C and SIGTERM stop the stream at the next block, so the temporary output is removed
// (main.cpp's handler requests the cancel; this starts a command with none pending).
class CancelOnSignal {
 public:
  CancelOnSignal() { ooc::clear_cancel(); }
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;
};

// Writes an in-memory result to `spec` (under a temporary name until complete).
inline void write_result(const std::string& spec, const AnyArray& result) {
  CreateOptions create;
  create.dtype = result.dtype();
  create.shape = result.shape();
  ooc::AtomicOutput out(spec, create);
  out.store().write(Box::whole(result.shape()), result.data(), result.dtype());
  out.commit();
}

// Prints a result that was not written to a file: one value per line.
inline void print_result(const AnyArray& result) {
  const AnyArray v = result.astype(DType(ScalarType::Complex128));
  const auto* p = reinterpret_cast<const std::complex<double>*>(v.data());
  const bool complex = result.dtype().kind() == Kind::Complex;
  for (std::int64_t i = 0; i < v.size(); ++i) {
    char text[80];
    if (complex)
      std::snprintf(text, sizeof text, "%.17g%+.17gj", p[i].real(), p[i].imag());
    else
      std::snprintf(text, sizeof text, "%.17g", p[i].real());
    std::cout << text << "\n";
  }
}

class Timer {
 public:
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// "matvec: A.npy (1000, 100000) float32 → y.npy (1000,) float64: 0.052 s, 7.4 GiB/s"
inline void summary(const CommonArgs& args, const std::string& what, const BlockStore& input, const std::string& output,
                    const AnyArray* result, double seconds, double bytes_read) {
  if (args.quiet) return;
  std::cerr << what << ": " << input.name() << " " << shape_string(input.shape()) << " " << input.dtype().name();
  if (!output.empty()) std::cerr << " -> " << output;
  if (result) std::cerr << " " << shape_string(result->shape()) << " " << result->dtype().name();
  char text[96];
  std::snprintf(text, sizeof text, ": %.3f s, %s/s\n", seconds,
                format_bytes(bytes_read / std::max(seconds, 1e-9)).c_str());
  std::cerr << text;
}

}  // namespace mammoth::cli::ooc_cli
