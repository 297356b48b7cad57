// The seam between main.cpp and the desktop app. Implemented in app/gui/ when ATTNSCOPE_BUILD_GUI is on.
#pragma once

#include <memory>

namespace CLI {
class App;
}

namespace attnscope::gui {

/// The window's command-line options (defined in app/gui/window.cpp).
struct GuiCommandLine;
struct GuiCommandLineDeleter {
  void operator()(GuiCommandLine* options) const;
};
using GuiCommandLinePtr = std::unique_ptr<GuiCommandLine, GuiCommandLineDeleter>;

/// Adds the top-level options the window understands (e.g. --open, --bench-frames) to the root command, bound to the
/// returned object (keep it until runGui).
GuiCommandLinePtr installGuiOptions(CLI::App& root);

/// Opens the window with the built-in default scene (or what the options asked for) and runs until it closes.
/// Returns the process exit code.
int runGui(const GuiCommandLine& options);

}  // namespace attnscope::gui
