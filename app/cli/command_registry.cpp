#include "app/cli/command_registry.h"

namespace attnscope::cli {

std::vector<CommandEntry>& registeredCommands() {
  static std::vector<CommandEntry> commands;  // function-local: safe against static-initialisation order
  return commands;
}

}  // namespace attnscope::cli
