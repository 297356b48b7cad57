// The seam between main.cpp and the desktop app. Implemented in app/gui/ when ATTNSCOPE_BUILD_GUI is on.
#pragma once

namespace CLI {
class App;
}

namespace attnscope::gui {

/// Adds the top-level options the window understands (e.g. --open, --bench-frames) to the root command.
void installGuiOptions(CLI::App& root);

/// Opens the window with the built-in default scene (or what the options asked for) and runs until it closes.
/// Returns the process exit code.
int runGui();

}  // namespace attnscope::gui
