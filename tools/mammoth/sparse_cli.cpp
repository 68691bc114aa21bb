// The sparse commands' bodies (thin: parse, call the library, print), which the generic
// info / random / convert commands dispatch to, and the `mammoth sparse op|bench` group.
#include "sparse_cli.hpp"

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "json.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/output.hpp"
#include "mammoth/profile/memit.hpp"
#include "mammoth/sparse/convert_file.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/ops.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/spy.hpp"
#include "mammoth/sparse/stream.hpp"
#include "mammoth/sparse/vector_io.hpp"
#include "mammoth/store.hpp"
#include "ooc_common.hpp"

namespace mammoth::cli {

using namespace mammoth::sparse;

bool is_npz_path_or_mtx(const std::string& path) { return is_npz_path(path) || is_mtx_path(path); }

namespace {

std::string dtype_name(const SparseFileInfo& info) {
  if (info.kind == "mtx") return info.value_descr;
  return info.value_descr == "|b1" ? "bool" : DType::from_descr(info.value_descr).name();
}

}  // namespace

int sparse_info(const std::string& path, bool json) {
  const SparseFileInfo info = sparse_file_info(path);
  const double cells = static_cast<double>(info.rows) * static_cast<double>(info.cols);
  const double density = cells > 0 ? static_cast<double>(info.nnz) / cells : 0.0;
  const std::int64_t itemsize = static_cast<std::int64_t>(info.value.itemsize());
  const std::int64_t isize = static_cast<std::int64_t>(info.index.itemsize());
  const std::int64_t csr_bytes = info.nnz * (itemsize + isize) + (info.rows + 1) * isize;
  const std::int64_t dense = info.rows * info.cols * itemsize;
  if (json) {
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "%.6g", density);
    std::cout << "{\"path\": " << json_string(path) << ", \"kind\": " << json_string(info.kind)
              << ", \"format\": " << json_string(info.format) << ", \"shape\": [" << info.rows << ", " << info.cols
              << "], \"nnz\": " << info.nnz << ", \"density\": " << numbers
              << ", \"dtype\": " << json_string(dtype_name(info))
              << ", \"index_dtype\": " << json_string(info.index.name()) << ", \"csr_bytes\": " << csr_bytes
              << ", \"dense_bytes\": " << dense << ", \"detail\": " << json_string(info.detail) << "}\n";
    return 0;
  }
  std::printf("%s: sparse %s (%s%s%s)\n", path.c_str(), info.format.c_str(), info.kind.c_str(),
              info.detail.empty() ? "" : ", ", info.detail.c_str());
  std::printf("  shape     (%lld, %lld)\n", static_cast<long long>(info.rows), static_cast<long long>(info.cols));
  std::printf("  nnz       %lld (density %.4g)\n", static_cast<long long>(info.nnz), density);
  std::printf("  dtype     %s, indices %s\n", dtype_name(info).c_str(), info.index.name().c_str());
  std::printf("  bytes     %s as CSR vs %s dense (%.1f%%)\n", format_bytes(static_cast<double>(csr_bytes)).c_str(),
              format_bytes(static_cast<double>(dense)).c_str(),
              dense > 0 ? 100.0 * static_cast<double>(csr_bytes) / static_cast<double>(dense) : 0.0);
  return 0;
}

namespace {

SaveOptions save_options(const std::string& format, bool compressed, bool bool_values) {
  SaveOptions opt;
  opt.format = parse_format(format.empty() ? "csr" : format);
  opt.compressed = compressed;
  opt.bool_values = bool_values;
  return opt;
}

}  // namespace

int sparse_random(const std::string& path, const std::vector<std::int64_t>& shape, double density,
                  const std::string& format, const std::string& dtype, std::uint64_t seed, bool compressed) {
  if (shape.size() != 2)
    throw ShapeError("random: a sparse matrix needs a 2-d --shape, got " + std::to_string(shape.size()) +
                     " dimensions");
  if (!(density >= 0 && density <= 1)) throw Error("random: --density must be in [0, 1]");
  const DType d = DType::parse(dtype.empty() ? "float64" : dtype);
  const bool is_bool = d.type() == ScalarType::Bool;
  const auto k =
      static_cast<std::int64_t>(std::llround(density * static_cast<double>(shape[0]) * static_cast<double>(shape[1])));
  const SaveOptions opt = save_options(format, compressed, is_bool);
  visit_held(held_type(d), !fits_int32(shape[0], shape[1], k), [&](auto tv, auto ti) {
    using T = typename decltype(tv)::type;
    using I = typename decltype(ti)::type;
    auto a = random_csr<T, I>(shape[0], shape[1], density, seed);
    if (is_bool) std::fill(a.data.begin(), a.data.end(), T(1));
    const auto bytes = static_cast<std::int64_t>(a.data.size() * sizeof(T) + a.indices.size() * sizeof(I) +
                                                 a.indptr.size() * sizeof(I));
    OutputCommit commit(path, bytes);  // reserved before an existing HDF5 file is touched
    commit.write([&] { save_sparse_file(commit.spec(), a, opt); });
    commit.commit();
  });
  return 0;
}

int sparse_convert(const std::string& src, const std::string& dst, const ConvertOptions& options) {
  ooc_cli::CancelOnSignal cancel;
  convert_file(src, dst, options);
  return 0;
}

int sparse_spmv(const std::string& matrix, const std::string& xpath, const std::string& ypath,
                const std::optional<ooc::Options>& streamed, bool transpose) {
  if (streamed) {
    ooc_cli::CancelOnSignal cancel;
    const SparseSource a = open_sparse(matrix);
    const AnyArray y = sparse::spmv(a, load_npy(xpath), *streamed, transpose);
    save_npy(ypath, y);
    return 0;
  }
  visit_csr_file(matrix, [&](auto& a, const SparseFileInfo&) {
    using T = typename std::remove_cvref_t<decltype(a.data)>::value_type;
    const auto x = read_npy_vector<T>(xpath);
    std::vector<T> y(static_cast<std::size_t>(transpose ? a.cols : a.rows));
    if (transpose)
      spmv(sparse::transpose(a), std::span<const T>(x), std::span<T>(y));
    else
      spmv(a, std::span<const T>(x), std::span<T>(y));
    write_npy_vector<T>(ypath, y);
  });
  return 0;
}

int sparse_spy(const std::string& matrix, const std::string& png, std::int64_t size) {
  visit_csr_file(matrix, [&](auto& a, const SparseFileInfo&) { spy(a, png, size); });
  return 0;
}

// ---- `mammoth sparse bench`: one operation timed in-process, for bench/peers_sparse.py ----

namespace {

// Best time of `op` over `reps` runs and its largest peak-RSS increment, measured as
// peers.py measures the Python peer: VmHWM reset before, VmRSS as the base.
std::pair<double, double> time_op(int reps, const std::function<void()>& op) {
  profile::MemitOptions options;
  options.repeat = std::max(reps, 1);
  options.quiet = true;
  double best = 1e300, inc = 0;
  for (const profile::MemitRun& run : profile::memit(op, options).runs) {
    best = std::min(best, run.elapsed);
    inc = std::max(inc, static_cast<double>(run.increment()) / (1 << 20));
  }
  return {best, inc};
}

volatile int benchmark_sink = 0;

int sparse_bench(const std::string& op, const std::string& input, const std::vector<std::int64_t>& shape,
                 double density, int reps) {
  std::pair<double, double> r{0, 0};
  // Start OpenMP's thread pool first: a process-wide cost, like the interpreter's start.
#pragma omp parallel
  { benchmark_sink = omp_get_thread_num(); }
  if (op == "random") {
    if (shape.size() != 2) throw ShapeError("bench random: --shape m,n needed");
    r = time_op(reps, [&] {
      auto a = random_csr<double, std::int32_t>(shape[0], shape[1], density, 1);
      if (a.nnz() < 0) std::abort();
    });
  } else if (op == "load") {
    r = time_op(reps, [&] {
      auto a = load_npz<Csr<double, std::int32_t>>(input);
      if (a.nnz() < 0) std::abort();
    });
  } else {
    const auto a = load_npz<Csr<double, std::int32_t>>(input);
    if (op == "spmv") {
      std::vector<double> x(static_cast<std::size_t>(a.cols));
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 13) / 13.0;
      r = time_op(reps, [&] {
        std::vector<double> y(static_cast<std::size_t>(a.rows));
        spmv(a, std::span<const double>(x), std::span<double>(y));
      });
    } else if (op == "tocsc") {
      r = time_op(reps, [&] { auto c = to_csc(a); });
    } else if (op == "tocoo") {
      // As scipy's tocoo(copy=False): indices and data are taken over, not copied.
      double best = 1e300, inc = 0;
      for (int k = 0; k < reps; ++k) {
        Csr<double, std::int32_t> copy = a;
        auto [s, m] = time_op(1, [&] { auto c = to_coo(std::move(copy)); });
        best = std::min(best, s);
        inc = std::max(inc, m);
      }
      r = {best, inc};
    } else if (op == "tocoo-copy") {
      r = time_op(reps, [&] { auto c = to_coo(a); });
    } else if (op == "tolil") {
      r = time_op(reps, [&] { auto c = to_lil(a); });
    } else if (op == "todok") {
      r = time_op(reps, [&] { auto c = to_dok(a); });
    } else {
      throw Error("bench: unknown --op '" + op + "' (random, load, spmv, tocsc, tocoo, tocoo-copy, tolil, todok)");
    }
  }
  std::printf("{\"op\": \"%s\", \"seconds\": %.6f, \"peak_mib\": %.2f}\n", op.c_str(), r.first, r.second);
  return 0;
}

// `mammoth sparse op NAME A [B] -o OUT`: one library operation on files, so the
// interop tests can hold every operation against scipy's answer.
int sparse_op(const std::string& name, const std::string& a_path, const std::string& b_path, const std::string& out,
              const std::vector<std::int64_t>& args, double alpha) {
  visit_csr_file(a_path, [&](auto& a, const SparseFileInfo& info) {
    using M = std::remove_cvref_t<decltype(a)>;
    using T = typename std::remove_cvref_t<decltype(a.data)>::value_type;
    using I = std::remove_cvref_t<decltype(a.indptr[0])>;
    const SaveOptions opt = save_options("csr", true, info.value_descr == "|b1");
    auto second = [&] {
      if (b_path.empty()) throw Error("op " + name + " needs a second matrix (--b)");
      return load_csr_as<T, I>(b_path);
    };
    auto arg = [&](std::size_t k) {
      if (args.size() <= k) throw Error("op " + name + " needs --args");
      return args[k];
    };
    auto save_vector = [&](const auto& v) {
      using V = typename std::remove_cvref_t<decltype(v)>::value_type;
      write_npy_vector<V>(out, std::span<const V>(v.data(), v.size()));
    };
    if (name == "add")
      save_sparse_file(out, M(add(a, second())), opt);
    else if (name == "subtract")
      save_sparse_file(out, M(subtract(a, second())), opt);
    else if (name == "multiply")
      save_sparse_file(out, M(multiply(a, second())), opt);
    else if (name == "matmul")
      save_sparse_file(out, M(matmul(a, second())), opt);
    else if (name == "scale")
      save_sparse_file(out, M(scale(a, static_cast<T>(alpha))), opt);
    else if (name == "transpose")
      save_sparse_file(out, M(transpose(a)), opt);
    else if (name == "slice")
      save_sparse_file(out, M(slice(a, arg(0), arg(1), arg(2), arg(3))), opt);
    else if (name == "eliminate_zeros") {
      eliminate_zeros(a);
      save_sparse_file(out, a, opt);
    } else if (name == "sum0")
      save_vector(sum(a, 0));
    else if (name == "sum1")
      save_vector(sum(a, 1));
    else if (name == "mean0")
      save_vector(mean(a, 0));
    else if (name == "mean1")
      save_vector(mean(a, 1));
    else if (name == "diagonal")
      save_vector(diagonal(a, args.empty() ? 0 : args[0]));
    else if (name == "spmm") {
      const auto Y = spmm(a, read_npy_array<T>(b_path));  // b: a dense (cols, k) .npy
      save_npy(out, Y);
    } else if (name == "roundtrip") {
      // Through every in-memory format and back: csr→coo→csc→bsr→lil→dok→dia→csr.
      const auto r = to_csr(to_dia(to_dok(to_lil(to_bsr(to_csc(to_coo(a)), arg(0), arg(1))))));
      auto c = r;
      eliminate_zeros(c);
      save_sparse_file(out, c, opt);
    } else {
      throw Error("unknown op '" + name + "'");
    }
  });
  return 0;
}

std::function<int()> setup_sparse(CLI::App& app) {
  app.require_subcommand(1);
  struct Args {
    std::string path, shape, op, input, b, out;
    std::vector<std::int64_t> args;
    double density = 0.01, alpha = 1;
    int reps = 3;
  };
  auto a = std::make_shared<Args>();
  auto* bench = app.add_subcommand("bench", "time one operation in-process (for bench/peers_sparse.py)");
  bench->add_option("--op", a->op, "random, load, spmv, tocsc, tocoo, tocoo-copy, tolil, todok")->required();
  bench->add_option("--input", a->input, "CSR float64 .npz (all ops but random)");
  bench->add_option("--shape", a->shape, "m,n (random)");
  bench->add_option("--density", a->density, "density (random)");
  bench->add_option("--reps", a->reps, "repetitions; the best is reported (default 3)");
  auto* op = app.add_subcommand("op",
                                "one operation on files (add, subtract, multiply, matmul, scale, transpose, slice, "
                                "eliminate_zeros, sum0, sum1, mean0, mean1, diagonal, spmm, roundtrip)");
  op->add_option("name", a->op, "operation")->required();
  op->add_option("a", a->path, "first matrix (.npz or .mtx)")->required();
  op->add_option("--b", a->b, "second matrix, or the dense .npy for spmm");
  op->add_option("-o,--output", a->out, "result: .npz/.mtx matrix or .npy vector")->required();
  op->add_option("--args", a->args, "integers: slice r0 r1 c0 c1; diagonal k; spmm k; roundtrip R C");
  op->add_option("--alpha", a->alpha, "scale factor");
  return [a, bench, op] {
    if (op->parsed()) return sparse_op(a->op, a->path, a->b, a->out, a->args, a->alpha);
    if (bench->parsed())
      return sparse_bench(a->op, a->input, a->shape.empty() ? std::vector<std::int64_t>{} : parse_shape(a->shape),
                          a->density, a->reps);
    return 2;
  };
}

const bool registered = register_command(
    {"sparse", "sparse matrices: one operation on files (op), in-process timings (bench)", 45, setup_sparse});

}  // namespace

}  // namespace mammoth::cli
