// `mammoth memit [-r N] [-t SEC] [-i SEC] [-c] [-q] [--json] -- CMD ARGS…`: %memit for a command.
#include <fstream>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "mammoth/error.hpp"
#include "mammoth/profile/command_memit.hpp"

namespace mammoth::cli {
namespace {

// The words CLI11 left over (prefix_command), without a leading "--"; a usage error when none.
std::vector<std::string> command_words(CLI::App& app) {
  std::vector<std::string> words = app.remaining();
  if (!words.empty() && words.front() == "--") words.erase(words.begin());
  if (words.empty()) throw CLI::RequiredError("CMD (the command to measure)");
  return words;
}

struct MemitArgs {
  profile::MemitOptions options;
  bool json = false;
  std::string report;
  std::vector<std::string> command;
};

std::function<int()> setup_memit(CLI::App& app) {
  auto a = std::make_shared<MemitArgs>();
  app.add_option("-r,--repeat", a->options.repeat, "run the command N times, report the highest peak (default 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("-t,--timeout", a->options.timeout, "stop the command after SEC seconds (SIGTERM; exit status 124)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-i,--interval", a->options.interval, "seconds between samples of the timeline (default 0.1)")
      ->check(CLI::PositiveNumber);
  app.add_flag("-c,--include-children", a->options.include_children, "add the memory of the command's child processes");
  app.add_flag("-q,--quiet", a->options.quiet, "print nothing; only pass the exit status through");
  app.add_flag("--json", a->json, "print the result as JSON (bytes, per-run figures)");
  app.add_option("--report", a->report, "write the report to FILE instead of standard error");
  // Everything from the first word that is not one of our options on is the command's,
  // so `mammoth memit python3 -c …` leaves -c to python; `--` works too.
  app.prefix_command();
  // A positional that takes no word itself: it lets CLI11 accept `--`, and shows in --help.
  app.validate_positionals();
  app.add_option("CMD", a->command, "the command to run and its arguments")
      ->expected(-1)
      ->check(CLI::Validator([](std::string&) { return std::string("collected as a prefix command"); }, ""));
  app.footer(
      "usage: mammoth memit [OPTIONS] [--] CMD ARGS...\n"
      "The report goes to standard error (as time(1) does), after the command's own output.\n"
      "The command's exit status is passed through.");
  return [a, &app] {
    a->command = command_words(app);
    profile::MemitOptions options = a->options;
    const bool quiet = options.quiet;
    options.quiet = true;
    profile::CommandResult r;
    try {
      r = profile::memit_command(a->command, options);
    } catch (const IoError& e) {
      // As a shell: 127 when the command is not found, 126 when it cannot be run.
      std::cerr << "mammoth: error: " << e.what() << "\n";
      return e.errnum() == ENOENT ? 127 : 126;
    }
    if (quiet && !a->json) return r.exit_status;
    const std::string text = a->json ? profile::to_json(r.memit) : profile::format_memit(r.memit);
    if (a->report.empty()) {
      std::cerr << text << "\n" << std::flush;
    } else {
      std::ofstream out(a->report);
      out << text << "\n";
      if (!out) throw_io_error(a->report, "cannot write the memit report", errno);
    }
    return r.exit_status;
  };
}

const bool registered = register_command(
    {"memit", "measure a command's peak memory and increment, split anon/file (%memit)", 90, setup_memit});

}  // namespace
}  // namespace mammoth::cli
