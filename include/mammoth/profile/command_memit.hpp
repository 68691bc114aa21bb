// memit for a whole command: runs it (fork/exec, no shell), follows it through /proc and
// reports its peak like `mammoth memit -- CMD ARGS…`.
//
// The process is traced (PTRACE_SEIZE) only to stop it for an instant at exec, where the
// baseline is read, and at exit, where VmHWM — the exact peak of its own memory — is
// read before the kernel tears the memory down. wait4's ru_maxrss cannot serve for that
// alone: it also holds the peaks of any children the command waited for (and of the
// copy fork made of us), so it is used only for the tree with include_children.
#pragma once

#include <string>
#include <vector>

#include "mammoth/profile/memit.hpp"

namespace mammoth::profile {

struct CommandResult {
  MemitResult memit;    // one run per repeat; baseline = the process right after exec
  int exit_status = 0;  // the command's: its exit code, 128 + signal, or 124 on timeout
};

// Runs `argv` options.repeat times (stopping at the first failing run) and measures
// each run. `timeout` ends a run with SIGTERM (SIGKILL 2 s later) and status 124.
// Throws IoError (errnum ENOENT, EACCES…) when the command cannot be started.
CommandResult memit_command(const std::vector<std::string>& argv, const MemitOptions& options = {});

// One run, the timeline sampled at options.interval: what `mprof run` records.
MemitRun measure_command(const std::vector<std::string>& argv, const MemitOptions& options, int& exit_status);

}  // namespace mammoth::profile
