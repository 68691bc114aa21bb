#include "mpi_cli.hpp"

#if MAMMOTH_MPI

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <new>
#include <set>
#include <thread>

#include "mammoth/mpi/distributed.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/profile/proc_status.hpp"
#include "mammoth/sparse/source.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli::mpi_cli {
namespace {

mpi::Communicator& comm() { return *mpi::Communicator::current(); }

// Opens an input on every rank; a rank that cannot fails the phase for all.
std::unique_ptr<BlockStore> open_everywhere(const std::function<std::unique_ptr<BlockStore>()>& open) {
  std::unique_ptr<BlockStore> store;
  comm().phase([&] { store = open(); });
  return store;
}

// Agrees on a check every rank makes alike (a shape), so all fail together.
void agree(const std::function<void()>& check) { comm().phase(check); }

}  // namespace

bool quiet_rank() { return !comm().root(); }

namespace {

// An error only this rank knows of (outside any phase): printed, then every rank ends.
// Ranks other than 0 wait a moment first, so an error every rank meets alike (a bad
// option value) is printed once, by rank 0, whose MPI_Abort ends the others.
[[noreturn]] void fail_alone(const std::string& message, int code) {
  if (!comm().root()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::cerr << "mammoth: error: rank " << comm().rank() << ": " << message << std::endl;
  comm().abort(code);
}

// Rank 0 prints each rank's peak resident memory (VmHWM), their max and their sum.
void print_rank_memory() {
  const auto status = profile::read_proc_status();
  const std::int64_t peak = status ? status->hwm : 0;
  const std::vector<std::byte> all = comm().gather(&peak, sizeof peak);
  if (!comm().root()) return;
  std::vector<std::int64_t> peaks(all.size() / sizeof(std::int64_t));
  std::memcpy(peaks.data(), all.data(), peaks.size() * sizeof(std::int64_t));
  std::int64_t max = 0, sum = 0;
  std::cerr << "peak memory by rank:";
  for (std::size_t r = 0; r < peaks.size(); ++r) {
    std::cerr << (r ? "," : "") << " " << r << ": " << format_bytes(static_cast<double>(peaks[r]));
    max = std::max(max, peaks[r]);
    sum += peaks[r];
  }
  std::cerr << "; max " << format_bytes(static_cast<double>(max)) << ", sum " << format_bytes(static_cast<double>(sum))
            << std::endl;
}

}  // namespace

int run(const CLI::App& app, const std::function<int()>& chosen, bool rank_memory) {
  static const std::set<std::string> distributed{"matvec", "matmul", "spmv", "reduce", "random", "convert"};
  const auto subcommands = app.get_subcommands();
  const bool everywhere = !subcommands.empty() && distributed.count(subcommands.front()->get_name()) > 0;
  int rc = 0;
  try {
    if (everywhere || comm().root()) rc = chosen ? chosen() : 0;
  } catch (const mpi::JobError& e) {  // every rank has it: rank 0 says it
    if (comm().root()) std::cerr << "mammoth: error: " << e.what() << std::endl;
    // Rank 0 has removed the temporary output by now (unwinding closed it). mpirun ends the
    // whole job once any rank exits non-zero, so no rank exits before rank 0 is done.
    comm().barrier();
    return 1;
  } catch (const CLI::ParseError& e) {
    if (comm().size() == 1) {
      std::cerr << "mammoth: error: " << e.what() << "\n";
      return 2;
    }
    fail_alone(e.what(), 2);
  } catch (const std::bad_alloc&) {
    if (comm().size() == 1) {
      std::cerr << "mammoth: error: out of memory\n";
      return 1;
    }
    fail_alone("out of memory", 1);
  } catch (const std::exception& e) {
    if (comm().size() == 1) {
      std::cerr << "mammoth: error: " << e.what() << "\n";
      return 1;
    }
    fail_alone(e.what(), 1);
  }
  if (rank_memory) print_rank_memory();
  return rc;
}

int matvec(const std::string& a_spec, const std::string& x_spec, const std::string& out, bool transpose,
           const ooc_cli::CommonArgs& common) {
  const ooc::Options options = mpi::rank_options(comm(), common.options(transpose ? "rmatvec" : "matvec"));
  ooc_cli::CancelOnSignal cancel;
  auto a = open_everywhere([&] { return ooc_cli::open_input(a_spec, common, true); });
  auto x = open_everywhere([&] { return ooc_cli::open_input(x_spec, common, false); });
  agree([&] {
    if (a->shape().size() != 2)
      throw ShapeError(a->name() + ": matvec needs a 2-d matrix, found shape " + shape_string(a->shape()));
    const std::int64_t in_len = a->shape()[transpose ? 0 : 1];
    if (x->shape() != Shape{in_len})
      throw ShapeError(a->name() + ": " + (transpose ? "Aᵀ·y" : "A·x") + " with A of shape " +
                       shape_string(a->shape()) + " needs a vector of shape (" + std::to_string(in_len) + "), found " +
                       shape_string(x->shape()) + " in " + x->name());
  });
  const ooc_cli::Timer timer;
  const double bytes = static_cast<double>(a->dtype().itemsize() * element_count(a->shape()));
  ooc_cli::CommonArgs shown = common;
  shown.quiet = common.quiet || quiet_rank();
  if (out.empty()) {
    const AnyArray y = mpi::matvec(comm(), *a, *x, transpose, options);
    ooc_cli::summary(shown, options.label, *a, "", &y, timer.seconds(), bytes);
    if (comm().root()) ooc_cli::print_result(y.astype(common.output_type(y.dtype())));
    return 0;
  }
  CreateOptions create;
  create.dtype = common.output_type(ooc::product_type(a->dtype(), x->dtype()));
  create.shape = {a->shape()[transpose ? 1 : 0]};
  mpi::ParallelOutput y(comm(), out, create);
  mpi::matvec(comm(), *a, *x, y, transpose, options);
  y.commit();
  ooc_cli::summary(shown, options.label, *a, out, nullptr, timer.seconds(), bytes);
  return 0;
}

int matmul(const std::string& a_spec, const std::string& b_spec, const std::string& out,
           const ooc_cli::CommonArgs& common) {
  const ooc::Options options = mpi::rank_options(comm(), common.options("matmul"));
  ooc_cli::CancelOnSignal cancel;
  auto a = open_everywhere([&] { return ooc_cli::open_input(a_spec, common, true); });
  auto b = open_everywhere([&] { return ooc_cli::open_input(b_spec, common, true); });
  agree([&] {
    if (a->shape().size() != 2 || b->shape().size() != 2)
      throw ShapeError("matmul needs two 2-d matrices, found " + a->name() + " " + shape_string(a->shape()) + " and " +
                       b->name() + " " + shape_string(b->shape()));
    if (a->shape()[1] != b->shape()[0])
      throw ShapeError("matmul: " + a->name() + " " + shape_string(a->shape()) + " · " + b->name() + " " +
                       shape_string(b->shape()) + ": the inner dimensions differ");
  });
  const ooc_cli::Timer timer;
  CreateOptions create;
  create.dtype = common.output_type(ooc::product_type(a->dtype(), b->dtype()));
  create.shape = {a->shape()[0], b->shape()[1]};
  mpi::ParallelOutput c(comm(), out, create);
  mpi::matmul(comm(), *a, *b, c, options);
  c.commit();
  ooc_cli::CommonArgs shown = common;
  shown.quiet = common.quiet || quiet_rank();
  ooc_cli::summary(shown, "matmul", *a, out, nullptr, timer.seconds(),
                   static_cast<double>(a->dtype().itemsize() * element_count(a->shape())));
  return 0;
}

int spmv(const std::string& m, const std::string& x_spec, const std::string& out, bool transpose,
         const ooc_cli::CommonArgs& common) {
  const ooc::Options options = mpi::rank_options(comm(), common.options(transpose ? "rmatvec" : "spmv"));
  ooc_cli::CancelOnSignal cancel;
  std::unique_ptr<sparse::SparseSource> a;
  comm().phase([&] { a = std::make_unique<sparse::SparseSource>(sparse::open_sparse(m)); });
  if (a->format != sparse::Format::Csr && a->format != sparse::Format::Csc) {
    if (!comm().root()) return 0;  // the one-process command, which loads the matrix
    a.reset();
    return sparse_spmv(m, x_spec, out, std::nullopt, transpose);
  }
  // Each rank reads only its range of x (mpi::spmv); the shape is checked there.
  auto x = open_everywhere([&] { return open_store(x_spec); });
  const ooc_cli::Timer timer;
  CreateOptions create;
  create.dtype = ooc::product_type(a->data().dtype(), x->dtype());
  create.shape = {transpose ? a->cols : a->rows};
  mpi::ParallelOutput y(comm(), out, create);
  mpi::spmv(comm(), *a, *x, y, transpose, options);
  y.commit();
  ooc_cli::CommonArgs shown = common;
  shown.quiet = common.quiet || quiet_rank();
  ooc_cli::summary(shown, transpose ? "rmatvec" : "spmv", a->data(), out, nullptr, timer.seconds(),
                   static_cast<double>(a->data().dtype().itemsize() * a->nnz()));
  return 0;
}

int reduce(const std::string& a_spec, const std::string& op_name, std::optional<int> axis, const std::string& out,
           const ooc_cli::CommonArgs& common) {
  const ooc::Options options = mpi::rank_options(comm(), common.options(op_name));
  ooc_cli::CancelOnSignal cancel;
  auto a = open_everywhere([&] { return ooc_cli::open_input(a_spec, common, true); });
  const ooc::ReduceOp op = ooc::parse_reduce_op(op_name);
  agree([&] {
    if (a->shape().empty() || a->shape().size() > 2)
      throw ShapeError(a->name() + ": a distributed reduce takes a 1-d or 2-d array, found shape " +
                       shape_string(a->shape()));
    if (axis && *axis >= static_cast<int>(a->shape().size()))
      throw ShapeError(a->name() + ": axis " + std::to_string(*axis) + " is out of bounds for shape " +
                       shape_string(a->shape()));
  });
  const ooc_cli::Timer timer;
  const double bytes = static_cast<double>(a->dtype().itemsize() * element_count(a->shape()));
  ooc_cli::CommonArgs shown = common;
  shown.quiet = common.quiet || quiet_rank();
  if (out.empty()) {
    const AnyArray r = mpi::reduce(comm(), *a, op, axis, options);
    ooc_cli::summary(shown, "reduce " + op_name, *a, out, &r, timer.seconds(), bytes);
    if (comm().root()) ooc_cli::print_result(r);
    return 0;
  }
  CreateOptions create;
  create.dtype = ooc::reduce_type(a->dtype(), op);
  if (axis)
    for (std::size_t d = 0; d < a->shape().size(); ++d)
      if (static_cast<int>(d) != *axis) create.shape.push_back(a->shape()[d]);
  mpi::ParallelOutput result(comm(), out, create);
  mpi::reduce(comm(), *a, op, axis, result, options);
  result.commit();
  ooc_cli::summary(shown, "reduce " + op_name, *a, out, nullptr, timer.seconds(), bytes);
  return 0;
}

int random(const std::string& path, const CreateOptions& create, const RandomSpec& spec) {
  ooc::clear_cancel();
  mpi::ParallelOutput out(comm(), path, create);
  mpi::fill_random(comm(), out, spec);
  out.commit();
  return 0;
}

int convert(const std::string& src_spec, const std::optional<RawLayout>& raw, const std::string& dst,
            const std::function<CreateOptions(const BlockStore&)>& destination, const ooc::Options& options) {
  ooc_cli::CancelOnSignal cancel;
  auto src = open_everywhere([&] { return open_store(src_spec, Mode::Read, raw); });
  CreateOptions create;
  agree([&] { create = destination(*src); });
  mpi::ParallelOutput out(comm(), dst, create);
  mpi::copy(comm(), *src, out, mpi::rank_options(comm(), options));
  out.commit();
  return 0;
}

}  // namespace mammoth::cli::mpi_cli

#endif
