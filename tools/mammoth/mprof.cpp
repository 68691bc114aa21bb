// `mammoth mprof run [-o FILE] [-i SEC] [-c] -- CMD…` and `mammoth mprof plot FILE -o mem.svg`:
// memory_profiler's mprof, writing and reading its mprofile_*.dat files.
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "mammoth/error.hpp"
#include "mammoth/profile/command_memit.hpp"
#include "mammoth/profile/timeline.hpp"

namespace mammoth::cli {
namespace {

struct MprofArgs {
  profile::MemitOptions options;
  std::string output;
  std::vector<std::string> command;
  std::string input;
  std::string svg = "mem.svg";
  std::string title;
};

// mprof's own default name: mprofile_<YYYYmmddHHMMSS>.dat in the current folder.
std::string default_output() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char name[64];
  std::strftime(name, sizeof name, "mprofile_%Y%m%d%H%M%S.dat", &tm);
  return name;
}

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

int run_mprof(const MprofArgs& a) {
  const std::string path = a.output.empty() ? default_output() : a.output;
  std::ofstream out(path);
  if (!out) throw_io_error(path, "cannot create the mprofile file", errno);
  int status = 0;
  profile::MemitRun run;
  try {
    run = profile::measure_command(a.command, a.options, status);
  } catch (const IoError& e) {
    std::cerr << "mammoth: error: " << e.what() << "\n";
    return e.errnum() == ENOENT ? 127 : 126;
  }
  profile::write_mprofile(out, {join(a.command), run.timeline, run.peak}, a.options.include_children);
  out.flush();
  if (!out) throw_io_error(path, "cannot write the mprofile file", errno);
  std::cerr << "mprof: wrote " << path << " (" << run.timeline.size() << " samples; " << profile::format_memit(run)
            << ")\n";
  return status;
}

int plot_mprof(const MprofArgs& a) {
  std::ifstream in(a.input);
  if (!in) throw_io_error(a.input, "cannot open the mprofile file", errno);
  const profile::Timeline t = profile::read_mprofile(in, a.input);
  profile::PlotOptions po;
  po.title = a.title;
  std::ofstream out(a.svg);
  out << profile::plot_svg(t, po);
  out.flush();
  if (!out) throw_io_error(a.svg, "cannot write the SVG", errno);
  std::cerr << "mprof: wrote " << a.svg << " (" << t.samples.size() << " samples)\n";
  return 0;
}

std::function<int()> setup_mprof(CLI::App& app) {
  auto a = std::make_shared<MprofArgs>();
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "run a command and record its memory over time (mprofile_*.dat)");
  run->add_option("-o,--output", a->output, "the file to write (default: mprofile_<timestamp>.dat)");
  run->add_option("-i,--interval", a->options.interval, "seconds between samples (default 0.1)")
      ->check(CLI::PositiveNumber);
  run->add_flag("-c,--include-children", a->options.include_children,
                "MEM lines sum the child processes too; each child also gets CHLD lines");
  // As memit: the first word that is not our option starts the command.
  run->prefix_command();
  // A positional that takes no word itself: it lets CLI11 accept `--`, and shows in --help.
  run->validate_positionals();
  run->add_option("CMD", a->command, "the command to run and its arguments")
      ->expected(-1)
      ->check(CLI::Validator([](std::string&) { return std::string("collected as a prefix command"); }, ""));
  run->footer("usage: mammoth mprof run [OPTIONS] [--] CMD ARGS...; the command's exit status is passed through.");
  CLI::App* plot = app.add_subcommand("plot", "draw an mprofile file as an SVG chart");
  plot->add_option("file", a->input, "the mprofile_*.dat file")->required();
  plot->add_option("-o,--output", a->svg, "the SVG to write (default mem.svg)");
  plot->add_option("--title", a->title, "the chart's title (default: the command line)");
  return [a, run] {
    if (!run->parsed()) return plot_mprof(*a);
    a->command = run->remaining();
    if (!a->command.empty() && a->command.front() == "--") a->command.erase(a->command.begin());
    if (a->command.empty()) throw CLI::RequiredError("CMD (the command to record)");
    return run_mprof(*a);
  };
}

const bool registered = register_command(
    {"mprof", "record a command's memory over time (mprof run) and draw it (mprof plot)", 91, setup_mprof});

}  // namespace
}  // namespace mammoth::cli
