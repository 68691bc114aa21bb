// `mammoth tour` replays the seed notebook; each module adds its section in its own file.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

namespace mammoth::cli {

struct TourContext {
  std::filesystem::path dir;  // scratch folder for the tour's files
  bool small = false;         // --scale small: shrunken sizes for tests
  std::ostream& out;

  // Runs `fn`, then prints one line: label, wall time, resident memory change and peak.
  void step(const std::string& label, const std::function<void()>& fn);
  void heading(const std::string& title);
  void note(const std::string& text);
};

struct TourSection {
  int order;  // notebook section number × 10
  std::string title;
  std::function<void(TourContext&)> run;
};

bool register_tour_section(TourSection section);

}  // namespace mammoth::cli
