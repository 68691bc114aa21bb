// The profile test program doubles as the command that memit and mprof measure:
// `profile_tests --profile-helper WHAT ARGS…` does WHAT and exits before GoogleTest starts.
#pragma once

#include <string>
#include <vector>

namespace mammoth::testing {

// {"/proc/…/profile_tests", "--profile-helper", args…}
std::vector<std::string> helper_command(const std::vector<std::string>& args);

// Maps `mib` MiB of fresh anonymous memory and writes one byte per page.
void* touch_anonymous(std::size_t mib);
void release_anonymous(void* p, std::size_t mib);

}  // namespace mammoth::testing
