// Memory profiling from Python: memit and the Measurement behind `with mm.memscope()`
// and %memit, mprof's timeline, and footprint's counter. The report lines are the
// library's own (format_memit); printing is left to Python so it reaches the notebook.
#include <sstream>
#include <string>

#include "bindings.hpp"
#include "mammoth/profile/command_memit.hpp"
#include "mammoth/profile/footprint.hpp"
#include "mammoth/profile/memit.hpp"
#include "mammoth/profile/timeline.hpp"

namespace mammoth::python {
namespace {

using namespace mammoth::profile;

MemitOptions memit_options(int repeat, double timeout, double interval, bool include_children) {
  MemitOptions o;
  o.repeat = repeat;
  o.timeout = timeout;
  o.interval = interval;
  o.include_children = include_children;
  o.quiet = true;
  return o;
}

py::dict figures(const MemFigures& f) {
  py::dict d;
  d["rss"] = f.rss;
  d["anon"] = f.anon;
  d["file"] = f.file;
  d["shmem"] = f.shmem;
  return d;
}

Timeline timeline_of(const MemitRun& run, const std::string& label) {
  Timeline t;
  t.cmdline = label;
  t.samples = run.timeline;
  t.exact_peak = run.peak;
  return t;
}

}  // namespace

void bind_profile(py::module_& m) {
  py::class_<MemitRun>(m, "MemitRun", "One measured run: exact peak (VmHWM), baseline, anon/file split, timeline")
      .def_property_readonly("peak", [](const MemitRun& r) { return r.peak; })
      .def_property_readonly("increment", &MemitRun::increment)
      .def_property_readonly("baseline", [](const MemitRun& r) { return figures(r.baseline); })
      .def_property_readonly("peak_split", [](const MemitRun& r) { return figures(r.peak_split); })
      .def_property_readonly("increment_split", [](const MemitRun& r) { return figures(r.increment_split()); })
      .def_property_readonly("between_samples", &MemitRun::between_samples)
      .def_property_readonly("elapsed", [](const MemitRun& r) { return r.elapsed; })
      .def_property_readonly("timed_out", [](const MemitRun& r) { return r.timed_out; })
      .def_property_readonly("exact", [](const MemitRun& r) { return r.exact; })
      .def_property_readonly("timeline",
                             [](const MemitRun& r) {
                               py::list l;
                               for (const Sample& s : r.timeline) l.append(py::make_tuple(s.time, s.self.rss));
                               return l;
                             })
      .def(
          "mprofile",
          [](const MemitRun& r, const std::string& label) {
            std::ostringstream out;
            write_mprofile(out, timeline_of(r, label), false);
            return out.str();
          },
          py::arg("label") = "python", "The run in memory_profiler's mprofile_*.dat format")
      .def(
          "svg", [](const MemitRun& r, const std::string& label) { return plot_svg(timeline_of(r, label)); },
          py::arg("label") = "python", "The run's timeline as an SVG chart")
      .def("__str__", [](const MemitRun& r) { return format_memit(r); })
      .def("__repr__", [](const MemitRun& r) { return "<MemitRun " + format_memit(r) + ">"; });

  py::class_<MemitResult>(m, "MemitResult", "What memit measured: the run with the highest peak and every run")
      .def_property_readonly("runs", [](const MemitResult& r) { return py::cast(r.runs); })
      .def_property_readonly("run", [](const MemitResult& r) { return r.run(); })
      .def_property_readonly("peak", &MemitResult::peak)
      .def_property_readonly("increment", &MemitResult::increment)
      .def_property_readonly("baseline", [](const MemitResult& r) { return figures(r.baseline()); })
      .def_property_readonly("mem_usage",
                             [](const MemitResult& r) {
                               py::list l;  // memory_profiler's -o: the peak of each run, MiB
                               for (const MemitRun& run : r.runs) l.append(to_mib(run.peak));
                               return l;
                             })
      .def("json", [](const MemitResult& r) { return to_json(r); })
      .def("__str__", [](const MemitResult& r) { return format_memit(r); })
      .def("__repr__", [](const MemitResult& r) { return "<MemitResult " + format_memit(r) + ">"; });

  m.def(
      "_memit",
      [](const py::function& fn, int repeat, double timeout, double interval, bool include_children) {
        return memit([&] { fn(); }, memit_options(repeat, timeout, interval, include_children));
      },
      py::arg("fn"), py::arg("repeat"), py::arg("timeout"), py::arg("interval"), py::arg("include_children"));

  m.def(
      "_memit_command",
      [](const std::vector<std::string>& argv, int repeat, double timeout, double interval, bool include_children) {
        py::gil_scoped_release release;
        return memit_command(argv, memit_options(repeat, timeout, interval, include_children)).memit;
      },
      py::arg("argv"), py::arg("repeat"), py::arg("timeout"), py::arg("interval"), py::arg("include_children"));

  py::class_<Measurement>(m, "Measurement", "A measurement from construction until finish() (what memscope holds)")
      .def(py::init([](double interval, bool include_children) {
             return std::make_unique<Measurement>(memit_options(1, 0, interval, include_children));
           }),
           py::arg("interval") = 0.1, py::arg("include_children") = false)
      .def("finish", &Measurement::finish);

  py::class_<Footprint>(m, "Footprint", "Bytes objects hold: heap, mapped, resident (shared storage counted once)")
      .def_readonly("nbytes", &Footprint::nbytes)
      .def_readonly("heap", &Footprint::heap)
      .def_readonly("mapped", &Footprint::mapped)
      .def_readonly("resident", &Footprint::resident)
      .def_readonly("shared", &Footprint::shared)
      .def_readonly("storages", &Footprint::storages)
      .def_property_readonly("bytes", &Footprint::bytes)
      .def("__int__", &Footprint::bytes)
      .def("__index__", &Footprint::bytes)
      .def("__str__", &format_footprint)
      .def("__repr__", [](const Footprint& f) { return "<Footprint " + format_footprint(f) + ">"; });

  py::class_<FootprintCounter>(m, "FootprintCounter")
      .def(py::init<>())
      .def("add_buffer", [](FootprintCounter& c, const MappedBuffer& b) { c.add(b.array); })
      .def("add_array",
           [](FootprintCounter& c, const ArrayHandle& h) {
             if (const auto mapped = h.get().mapped()) c.add(*mapped);
             c.add_heap(static_cast<std::int64_t>(h.get().cache_bytes()), 0);
           })
      .def("add_heap", &FootprintCounter::add_heap, py::arg("held"), py::arg("shown"))
      .def("total", &FootprintCounter::total);
}

}  // namespace mammoth::python
