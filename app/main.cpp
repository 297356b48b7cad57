// attnscope entry point: with a subcommand, run it (no GL needed); with none, open the desktop app.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include "app/cli/command_registry.h"
#include "core/error.h"
#ifdef ATTNSCOPE_HAVE_GUI
#include "app/gui_entry.h"
#endif

int main(int argc, char** argv) {
  CLI::App root{"attnscope: a desktop lab for attention geometry (DPA, expressive attention, Gaussian keys)."};
  root.set_version_flag("--version", "attnscope 0.1.0");
  root.require_subcommand(0, 1);
  // A sorted copy: the registry is written only by the registrations during static initialisation.
  std::vector<attnscope::cli::CommandEntry> commands = attnscope::cli::registeredCommands();
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& command : commands) command.install(root);
#ifdef ATTNSCOPE_HAVE_GUI
  const attnscope::gui::GuiCommandLinePtr guiOptions = attnscope::gui::installGuiOptions(root);
#endif

  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e);  // --help, --version
    // One line naming the problem, like every other error (CLI11's own report spans two lines).
    std::fprintf(stderr, "attnscope: error: %s (see --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    // Subcommand callbacks run inside parse(); their failures land here.
    std::fprintf(stderr, "attnscope: error: %s\n", e.what());
    return 1;
  }
  if (!root.get_subcommands().empty()) return 0;
#ifdef ATTNSCOPE_HAVE_GUI
  try {
    return attnscope::gui::runGui(*guiOptions);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attnscope: error: %s\n", e.what());
    return 1;
  }
#else
  std::fputs(root.help().c_str(), stdout);
  std::fputs("\n(built without the desktop app: configure with -DATTNSCOPE_BUILD_GUI=ON to open the window)\n", stdout);
  return 0;
#endif
}
