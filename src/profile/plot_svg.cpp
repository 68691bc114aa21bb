// The mprof timeline as a standalone SVG: no plotting library, just paths on two axes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>

#include "mammoth/profile/timeline.hpp"

namespace mammoth::profile {
namespace {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

std::string fmt(const char* f, double a) {
  char b[64];
  std::snprintf(b, sizeof b, f, a);
  return b;
}

// 1, 2 or 5 × 10^k: the step that gives about `target` ticks over `span`.
double nice_step(double span, int target) {
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

struct Frame {
  double left = 70, right = 20, top = 40, bottom = 70;
  double width, height;
  double t_max, mib_max;
  double x(double t) const { return left + (width - left - right) * (t_max > 0 ? t / t_max : 0); }
  double y(double mib) const { return height - bottom - (height - top - bottom) * (mib_max > 0 ? mib / mib_max : 0); }
};

void axes(std::ostringstream& svg, const Frame& f) {
  const double t_step = nice_step(f.t_max, 8), m_step = nice_step(f.mib_max, 6);
  svg << "<g class=\"axes\" font-size=\"12\" fill=\"#333\">\n";
  for (double m = 0; m <= f.mib_max + 1e-9; m += m_step) {
    svg << "<line x1=\"" << f.left << "\" x2=\"" << f.width - f.right << "\" y1=\"" << f.y(m) << "\" y2=\"" << f.y(m)
        << "\" stroke=\"#ddd\"/>\n";
    svg << "<text x=\"" << f.left - 6 << "\" y=\"" << f.y(m) + 4 << "\" text-anchor=\"end\">" << fmt("%g", m)
        << "</text>\n";
  }
  for (double t = 0; t <= f.t_max + 1e-9; t += t_step) {
    svg << "<line x1=\"" << f.x(t) << "\" x2=\"" << f.x(t) << "\" y1=\"" << f.height - f.bottom << "\" y2=\""
        << f.height - f.bottom + 5 << "\" stroke=\"#333\"/>\n";
    svg << "<text x=\"" << f.x(t) << "\" y=\"" << f.height - f.bottom + 18 << "\" text-anchor=\"middle\">"
        << fmt("%g", t) << "</text>\n";
  }
  svg << "<line x1=\"" << f.left << "\" x2=\"" << f.width - f.right << "\" y1=\"" << f.height - f.bottom << "\" y2=\""
      << f.height - f.bottom << "\" stroke=\"#333\"/>\n";
  svg << "<line x1=\"" << f.left << "\" x2=\"" << f.left << "\" y1=\"" << f.top << "\" y2=\"" << f.height - f.bottom
      << "\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << (f.left + f.width - f.right) / 2 << "\" y=\"" << f.height - f.bottom + 36
      << "\" text-anchor=\"middle\">time (s)</text>\n";
  svg << "<text transform=\"translate(18," << (f.top + f.height - f.bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">memory used (MiB)</text>\n";
  svg << "</g>\n";
}

// A closed area between two polylines (upper over lower), for the stacked split.
std::string area(const Frame& f, const std::vector<double>& t, const std::vector<double>& lo,
                 const std::vector<double>& hi) {
  std::ostringstream d;
  for (std::size_t i = 0; i < t.size(); ++i) d << (i ? " L" : "M") << f.x(t[i]) << "," << f.y(hi[i]);
  for (std::size_t i = t.size(); i-- > 0;) d << " L" << f.x(t[i]) << "," << f.y(lo[i]);
  d << " Z";
  return d.str();
}

std::string line(const Frame& f, const std::vector<double>& t, const std::vector<double>& v) {
  std::ostringstream d;
  for (std::size_t i = 0; i < t.size(); ++i) d << (i ? " L" : "M") << f.x(t[i]) << "," << f.y(v[i]);
  return d.str();
}

}  // namespace

std::string plot_svg(const Timeline& timeline, const PlotOptions& options) {
  const auto& samples = timeline.samples;
  const double t0 = samples.empty() ? 0 : samples.front().time;
  std::vector<double> t, total, anon, anon_file, all_split;
  bool split = !samples.empty();
  std::size_t peak_i = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    t.push_back(s.time - t0);
    total.push_back(to_mib(s.total()));
    anon.push_back(to_mib(s.self.anon));
    anon_file.push_back(to_mib(s.self.anon + s.self.file));
    all_split.push_back(to_mib(s.self.anon + s.self.file + s.self.shmem));
    split = split && s.has_split;
    if (total[i] > total[peak_i]) peak_i = i;
  }
  Frame f;
  f.width = options.width;
  f.height = options.height;
  f.t_max = t.empty() ? 1 : std::max(t.back(), 1e-3);
  const double exact = to_mib(timeline.exact_peak);
  const double top = std::max(exact, total.empty() ? 1 : *std::max_element(total.begin(), total.end()));
  f.mib_max = std::max(1.0, top * 1.1);
  f.mib_max = std::ceil(f.mib_max / nice_step(f.mib_max, 6)) * nice_step(f.mib_max, 6);

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f.width << "\" height=\"" << f.height
      << "\" viewBox=\"0 0 " << f.width << " " << f.height << "\" font-family=\"sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string title = options.title.empty() ? timeline.cmdline : options.title;
  if (title.size() > 110) title = title.substr(0, 107) + "...";
  svg << "<text x=\"" << f.width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" << xml_escape(title)
      << "</text>\n";
  axes(svg, f);
  if (split && !t.empty()) {
    std::vector<double> zero(t.size(), 0.0);
    svg << "<path class=\"anon\" d=\"" << area(f, t, zero, anon) << "\" fill=\"#f4a261\" fill-opacity=\"0.6\"/>\n";
    svg << "<path class=\"file\" d=\"" << area(f, t, anon, anon_file) << "\" fill=\"#90be6d\" fill-opacity=\"0.6\"/>\n";
    svg << "<path class=\"shmem\" d=\"" << area(f, t, anon_file, all_split)
        << "\" fill=\"#a29bfe\" fill-opacity=\"0.6\"/>\n";
  }
  // One dashed line per child process, as mprof plot draws them.
  std::map<pid_t, std::pair<std::vector<double>, std::vector<double>>> children;
  for (std::size_t i = 0; i < samples.size(); ++i)
    for (const ChildSample& c : samples[i].children) {
      children[c.pid].first.push_back(t[i]);
      children[c.pid].second.push_back(to_mib(c.rss));
    }
  for (const auto& [pid, series] : children)
    svg << "<path class=\"child\" data-pid=\"" << pid << "\" d=\"" << line(f, series.first, series.second)
        << "\" fill=\"none\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\n";
  if (!t.empty()) {
    svg << "<path class=\"total\" d=\"" << line(f, t, total)
        << "\" fill=\"none\" stroke=\"#1d3557\" stroke-width=\"2\"/>\n";
    // The exact peak (VmHWM) when recorded: samples may miss the top of a spike.
    const bool known = exact > total[peak_i] + 1e-6;
    const double px = f.x(t[peak_i]), py = f.y(known ? exact : total[peak_i]);
    char label[128];
    if (known)
      std::snprintf(label, sizeof label, "peak %.2f MiB (exact); highest sample %.2f MiB at %.2f s", exact,
                    total[peak_i], t[peak_i]);
    else
      std::snprintf(label, sizeof label, "peak %.2f MiB at %.2f s", total[peak_i], t[peak_i]);
    svg << "<g class=\"peak\"><circle cx=\"" << px << "\" cy=\"" << f.y(total[peak_i])
        << "\" r=\"5\" fill=\"#d62828\"/>\n"
        << "<line x1=\"" << f.left << "\" x2=\"" << f.width - f.right << "\" y1=\"" << py << "\" y2=\"" << py
        << "\" stroke=\"#d62828\" stroke-dasharray=\"6 4\"/>\n"
        << "<text x=\"" << std::min(px + 8, f.width - f.right - 6.2 * static_cast<double>(std::strlen(label)))
        << "\" y=\"" << py - 8 << "\" font-size=\"12\" fill=\"#d62828\">" << label << "</text></g>\n";
  }
  // Legend: one row under the time axis, clear of the data.
  const double ly = f.height - 14;
  double lx = f.left;
  auto legend = [&](const char* color, const char* label, bool dashed) {
    svg << "<line x1=\"" << lx << "\" x2=\"" << lx + 24 << "\" y1=\"" << ly << "\" y2=\"" << ly << "\" stroke=\""
        << color << "\" stroke-width=\"6\"" << (dashed ? " stroke-dasharray=\"4 3\"" : "") << "/><text x=\"" << lx + 30
        << "\" y=\"" << ly + 4 << "\" font-size=\"12\">" << label << "</text>\n";
    lx += 44 + 6.5 * static_cast<double>(std::string(label).size());
  };
  svg << "<g class=\"legend\">\n";
  legend("#1d3557", "total resident", false);
  if (split) {
    legend("#f4a261", "anonymous", false);
    legend("#90be6d", "file-backed", false);
    legend("#a29bfe", "shared memory", false);
  }
  if (!children.empty()) legend("#555", "child processes", true);
  svg << "</g>\n</svg>\n";
  return svg.str();
}

}  // namespace mammoth::profile
