// `sparse_ops NAME A [--b B] [--args …] [--alpha a] -o OUT`, a test fixture: one library
// operation on files, so tests/interop/test_sparse.py can hold every operation the
// library exposes against scipy's answer on the same input (not a subcommand of the CLI).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/ops.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/vector_io.hpp"

namespace mammoth::sparse {
namespace {

struct OpArgs {
  std::string name, a, b, out;
  std::vector<std::int64_t> args;
  double alpha = 1;
};

void run(const OpArgs& o) {
  visit_csr_file(o.a, [&](auto& a, const SparseFileInfo& info) {
    using M = std::remove_cvref_t<decltype(a)>;
    using T = typename std::remove_cvref_t<decltype(a.data)>::value_type;
    using I = std::remove_cvref_t<decltype(a.indptr[0])>;
    SaveOptions opt;
    opt.bool_values = info.value_descr == "|b1";
    auto b_path = [&] {
      if (o.b.empty()) throw Error(o.name + " needs a second operand (--b)");
      return o.b;
    };
    auto second = [&] { return load_csr_as<T, I>(b_path()); };
    auto arg = [&](std::size_t k) {
      if (o.args.size() <= k) throw Error(o.name + " needs --args");
      return o.args[k];
    };
    auto save_vector = [&](const auto& v) {
      using V = typename std::remove_cvref_t<decltype(v)>::value_type;
      write_npy_vector<V>(o.out, std::span<const V>(v.data(), v.size()));
    };
    const std::string& name = o.name;
    if (name == "add")
      save_sparse_file(o.out, M(add(a, second())), opt);
    else if (name == "subtract")
      save_sparse_file(o.out, M(subtract(a, second())), opt);
    else if (name == "multiply")
      save_sparse_file(o.out, M(multiply(a, second())), opt);
    else if (name == "matmul")
      save_sparse_file(o.out, M(matmul(a, second())), opt);
    else if (name == "scale")
      save_sparse_file(o.out, M(scale(a, static_cast<T>(o.alpha))), opt);
    else if (name == "transpose")
      save_sparse_file(o.out, M(transpose(a)), opt);
    else if (name == "slice")
      save_sparse_file(o.out, M(slice(a, arg(0), arg(1), arg(2), arg(3))), opt);
    else if (name == "eliminate_zeros") {
      eliminate_zeros(a);
      save_sparse_file(o.out, a, opt);
    } else if (name == "sum0")
      save_vector(sum(a, 0));
    else if (name == "sum1")
      save_vector(sum(a, 1));
    else if (name == "mean0")
      save_vector(mean(a, 0));
    else if (name == "mean1")
      save_vector(mean(a, 1));
    else if (name == "diagonal")
      save_vector(diagonal(a, o.args.empty() ? 0 : o.args[0]));
    else if (name == "spmm")
      save_npy(o.out, spmm(a, read_npy_array<T>(b_path())));
    else if (name == "roundtrip") {
      // Through every in-memory format and back: csr→coo→csc→bsr→lil→dok→dia→csr.
      auto r = to_csr(to_dia(to_dok(to_lil(to_bsr(to_csc(to_coo(a)), arg(0), arg(1))))));
      eliminate_zeros(r);
      save_sparse_file(o.out, r, opt);
    } else {
      throw Error("unknown operation '" + name + "'");
    }
  });
}

}  // namespace
}  // namespace mammoth::sparse

int main(int argc, char** argv) {
  using namespace mammoth;
  CLI::App app("one sparse library operation on files, for tests/interop/test_sparse.py", "sparse_ops");
  sparse::OpArgs o;
  app.add_option("name", o.name,
                 "add, subtract, multiply, matmul, scale, transpose, slice, eliminate_zeros, sum0, sum1, mean0, "
                 "mean1, diagonal, spmm, roundtrip")
      ->required();
  app.add_option("a", o.a, "first matrix (.npz, .mtx or FILE.h5:/group)")->required();
  app.add_option("--b", o.b, "second matrix, or the dense (cols, k) .npy for spmm");
  app.add_option("-o,--output", o.out, "result: a matrix file or a .npy vector")->required();
  app.add_option("--args", o.args, "integers: slice r0 r1 c0 c1; diagonal k; roundtrip R C");
  app.add_option("--alpha", o.alpha, "scale factor");
  CLI11_PARSE(app, argc, argv);
  try {
    sparse::run(o);
  } catch (const std::exception& e) {
    std::cerr << "sparse_ops: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
