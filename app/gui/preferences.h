// Preferences and window layout persisted under $XDG_CONFIG_HOME/attnscope (fallback ~/.config/attnscope).
#pragma once

#include <string>

namespace attnscope::gui {

struct Preferences {
  int windowWidth = 1600;
  int windowHeight = 1000;
  int windowX = -1;  ///< -1: let the window manager place it
  int windowY = -1;
  float uiScaleMultiplier = 1.0f;  ///< on top of the monitor's content scale
  std::string lastFolder;          ///< remembered by the open/save/export prompts
};

/// The config folder ("" when neither $XDG_CONFIG_HOME nor $HOME is set: nothing is persisted then).
std::string configDirectory();
/// Reads preferences.json from the config folder; defaults when missing or unreadable (never throws).
Preferences loadPreferences();
/// Writes preferences.json atomically, creating the folder. Returns false (and does nothing) on failure.
bool savePreferences(const Preferences& preferences);

}  // namespace attnscope::gui
