// Self-registration of command-line subcommands: each app/cli/*.cpp file adds one subcommand with
//   static const attnscope::cli::RegisterCommand registration{"weights", &installWeightsCommand};
// so main.cpp never lists them. The install function adds the subcommand to `parent` and sets its callback;
// callbacks report failure by throwing (attnscope::Error or std::exception), which main turns into one line
// on stderr and exit code 1.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnscope::cli {

using InstallFunction = void (*)(CLI::App& parent);

struct CommandEntry {
  std::string name;
  InstallFunction install;
};

/// All registered subcommands, in registration order (main installs a sorted copy). Written only by RegisterCommand
/// objects during static initialisation, read-only afterwards.
const std::vector<CommandEntry>& registeredCommands();

struct RegisterCommand {
  RegisterCommand(const char* name, InstallFunction install);
};

}  // namespace attnscope::cli
