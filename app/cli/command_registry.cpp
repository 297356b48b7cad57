#include "app/cli/command_registry.h"

namespace attnscope::cli {

namespace {
std::vector<CommandEntry>& registry() {
  static std::vector<CommandEntry> commands;  // function-local: safe against static-initialisation order
  return commands;
}
}  // namespace

const std::vector<CommandEntry>& registeredCommands() {
  return registry();
}

RegisterCommand::RegisterCommand(const char* name, InstallFunction install) {
  registry().push_back({name, install});
}

}  // namespace attnscope::cli
