// The mammoth command: parses the command line and hands over to one subcommand.
// Errors print as "mammoth: error: …" and exit 1; usage errors exit 2.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <new>

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "command.hpp"
#include "mammoth/allocation.hpp"
#include "mammoth/error.hpp"
#include "mammoth/h5/watchdog.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/output.hpp"
#include "mpi_cli.hpp"

namespace mammoth::cli {

bool register_command(Command command) {
  auto& all = const_cast<std::vector<Command>&>(commands());
  all.push_back(std::move(command));
  return true;
}

const std::vector<Command>& commands() {
  static std::vector<Command> all;
  return all;
}

std::vector<std::int64_t> parse_shape(const std::string& text) {
  std::vector<std::int64_t> shape;
  std::size_t pos = 0;
  const std::string trimmed =
      text.size() >= 2 && text.front() == '(' && text.back() == ')' ? text.substr(1, text.size() - 2) : text;
  while (pos <= trimmed.size() && !trimmed.empty()) {
    const std::size_t comma = trimmed.find(',', pos);
    const std::string part = trimmed.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (part.empty() && comma == std::string::npos && !shape.empty()) break;  // trailing comma: "(5,)"
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || v < 0)
      throw CLI::ValidationError("--shape", "bad shape '" + text + "' (expected e.g. 100,1000000)");
    shape.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return shape;
}

}  // namespace mammoth::cli

// libgomp reads its settings in its constructor, before main. Unless the user chose, idle
// OpenMP threads sleep instead of spinning: the CLI alternates I/O and parallel compute, and
// on a shared 2-core machine spinning workers starved the I/O (the tour's row fill took
// 0.74-2.5 s spinning, 0.23 s passive). The executable's .preinit_array runs before any
// shared library's constructor, so the variable is in place when libgomp looks; re-executing
// the program to the same end doubled its start-up (12.6 ms of CPU instead of 6.3 ms).
void prefer_passive_openmp_threads(int, char**, char**) {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) ::setenv("OMP_WAIT_POLICY", "passive", 0);
}
__attribute__((section(".preinit_array"),
               used)) void (*const preinit_openmp_policy)(int, char**, char**) = prefer_passive_openmp_threads;

std::atomic<int> stop_requests{0};

// SIGINT/SIGTERM while an output is being written cancel it: the writer stops at its next
// block and the output commit removes the temporary, so the destination is as it was. With
// no output in progress, or at the second signal, the process stops at once as usual.
void on_stop_signal(int sig) {
#if MAMMOTH_MPI
  // Under mpirun every rank takes part in the output (rank 0 alone holds the commit): all
  // cancel at their next block, so rank 0 can remove the temporary. Ctrl-C reaches the ranks
  // and mpirun, which then sends SIGTERM (not a second Ctrl-C) and SIGKILL after its timeout:
  // that, not a second signal, ends a rank that does not stop.
  mammoth::ooc::request_cancel();
  (void)sig;
  return;
#endif
  if (mammoth::OutputCommit::active() == 0 || stop_requests.fetch_add(1) > 0) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  mammoth::ooc::request_cancel();
}

void install_signal_handlers() {
  // Past RLIMIT_FSIZE the kernel sends SIGXFSZ, which kills by default; ignored, the write
  // fails with EFBIG and the error names the file.
  ::signal(SIGXFSZ, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

// libhdf5 can spin without end on a damaged file's metadata (h5/watchdog.hpp): a call that
// has not returned after MAMMOTH_HDF5_TIMEOUT seconds ends the command with an error.
void install_hdf5_watchdog() {
  std::chrono::milliseconds limit;
  try {
    limit = mammoth::h5::stuck_call_limit();
  } catch (const mammoth::Error& e) {
    std::cerr << "mammoth: error: " << e.what() << "\n";
    std::exit(2);
  }
  mammoth::h5::on_stuck_metadata_call(
      [](const std::string& what) {
        std::fprintf(stderr, "mammoth: error: %s. Stopped (MAMMOTH_HDF5_TIMEOUT sets the limit).\n", what.c_str());
        std::fflush(stderr);
        std::_Exit(1);
      },
      limit);
}

int main(int argc, char** argv) {
  using namespace mammoth::cli;
#if MAMMOTH_MPI
  mammoth::mpi::Communicator comm(argc, argv);
#endif
  install_signal_handlers();
  install_hdf5_watchdog();
  CLI::App app{
      "mammoth — arrays too big for memory: memory-mapped .npy, HDF5, out-of-core algorithms, sparse matrices, "
      "memory profiling"};
  app.set_version_flag("--version", std::string("mammoth ") + MAMMOTH_VERSION);
  app.footer(
      "FILE:/path names an HDF5 dataset or sparse group. Sizes: 64MiB, 1.5G, 512k.\n"
      "Environment: MAMMOTH_MAX_ALLOCATION (e.g. 2GiB) refuses any single allocation above it;\n"
      "MAMMOTH_HDF5_TIMEOUT (seconds, default 30) ends a command stuck in libhdf5 on a damaged file;\n"
      "MAMMOTH_HDF5_ALIGNMENT (e.g. 1MiB, a stripe size) starts HDF5 objects that large on multiples of it.\n"
      "Errors: 'mammoth: error: ...', exit 1; usage errors exit 2. Docs: docs/*.md in the source tree.");
  app.require_subcommand(1);
  app.fallthrough(false);
#if MAMMOTH_MPI
  bool rank_memory = false;
  app.add_flag("--rank-memory", rank_memory, "at the end, rank 0 prints each rank's peak memory, their max and sum");
#endif

  std::vector<Command> sorted = commands();
  std::sort(sorted.begin(), sorted.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
  std::function<int()> chosen;
  for (const Command& command : sorted) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    auto run = std::make_shared<std::function<int()>>(command.setup(*sub));
    sub->callback([run, &chosen] { chosen = *run; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
#if MAMMOTH_MPI
    if (!comm.root()) return e.get_exit_code() == 0 ? 0 : 2;  // every rank parsed alike: rank 0 says it
#endif
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
#if MAMMOTH_MPI
  return mpi_cli::run(app, chosen, rank_memory);
#endif
  try {
    return chosen ? chosen() : 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "mammoth: error: " << e.what() << "\n";
    return 2;
  } catch (const mammoth::Error& e) {
    std::cerr << "mammoth: error: " << e.what() << "\n";
    return 1;
  } catch (const mammoth::MemoryLimitError& e) {
    std::cerr << "mammoth: error: out of memory: the operation " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "mammoth: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mammoth: error: " << e.what() << "\n";
    return 1;
  }
}
