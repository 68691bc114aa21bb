#include "tour.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include <unistd.h>

#include "command.hpp"
#include "mammoth/error.hpp"
#include "mammoth/profile/memit.hpp"

namespace mammoth::cli {
namespace {

std::vector<TourSection>& sections() {
  static std::vector<TourSection> all;
  return all;
}

}  // namespace

bool register_tour_section(TourSection section) {
  sections().push_back(std::move(section));
  return true;
}

void TourContext::step(const std::string& label, const std::function<void()>& fn) {
  // The exact peak (VmHWM reset before the step) and the anon/file split of the increment.
  profile::MemitOptions options;
  options.quiet = true;
  options.interval = 0.05;
  profile::Measurement measurement(options);
  fn();
  const profile::MemitRun run = measurement.finish();
  char line[160];
  std::snprintf(line, sizeof line, "  %-52s %8.3f s   ", label.c_str(), run.elapsed);
  out << line << profile::format_memit(run) << "\n" << std::flush;
}

void TourContext::heading(const std::string& title) { out << "\n== " << title << " ==\n"; }
void TourContext::note(const std::string& text) { out << "  " << text << "\n"; }

namespace {

std::function<int()> setup_tour(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto scale = std::make_shared<std::string>("seed");
  app.add_option("--dir", *dir, "folder for the tour's files (default: a new temporary folder, removed after)");
  app.add_option("--scale", *scale, "seed: the notebook's sizes; small: shrunken, for a quick check")
      ->check(CLI::IsMember({"small", "seed"}));
  return [dir, scale] {
    namespace fs = std::filesystem;
    const bool temporary = dir->empty();
    fs::path folder =
        temporary ? fs::temp_directory_path() / ("mammoth-tour-" + std::to_string(::getpid())) : fs::path(*dir);
    fs::create_directories(folder);
    TourContext ctx{folder, *scale == "small", std::cout};
    std::cout << "mammoth tour — the notebook 'Handling Very Large Arrays, Memory Mappings', replayed\n"
              << "files in " << folder.string() << (ctx.small ? " (scale: small)" : "") << "\n";
    auto all = sections();
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
    for (const TourSection& s : all) {
      ctx.heading(s.title);
      s.run(ctx);
    }
    if (temporary) fs::remove_all(folder);
    std::cout << "\ntour complete\n";
    return 0;
  };
}

const bool registered =
    register_command({"tour", "replay the seed notebook: memit, memmap, HDF5, out-of-core, sparse", 100, setup_tour});

}  // namespace
}  // namespace mammoth::cli
