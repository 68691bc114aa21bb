// Subcommands register themselves here, one file each, so adding one touches no other file.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace mammoth::cli {

// Adds its options to `app` and returns what runs when the subcommand is chosen;
// the returned function gives the process exit status.
using Setup = std::function<std::function<int()>(CLI::App& app)>;

struct Command {
  std::string name;
  std::string help;
  int order;  // position in `mammoth --help`
  Setup setup;
};

// Call from a namespace-scope initialiser: `const bool registered = register_command({...});`
bool register_command(Command command);
const std::vector<Command>& commands();

// "100,1000000" → {100, 1000000}; throws CLI::ValidationError (a usage error) on junk.
std::vector<std::int64_t> parse_shape(const std::string& text);

}  // namespace mammoth::cli
