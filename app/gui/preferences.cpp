// Preferences file handling: a small JSON file next to ImGui's imgui.ini (window layout).
#include "app/gui/preferences.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/gui/scene_io.h"

namespace attnscope::gui {

std::string configDirectory() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/')
    return std::string(xdg) + "/attnscope";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.config/attnscope";
  return {};
}

Preferences loadPreferences() {
  Preferences preferences;
  const std::string folder = configDirectory();
  if (folder.empty()) return preferences;
  std::ifstream file(folder + "/preferences.json");
  if (!file) return preferences;
  try {
    const nlohmann::json json = nlohmann::json::parse(file);
    preferences.windowWidth = std::clamp(json.value("windowWidth", preferences.windowWidth), 320, 16384);
    preferences.windowHeight = std::clamp(json.value("windowHeight", preferences.windowHeight), 240, 16384);
    preferences.windowX = json.value("windowX", preferences.windowX);
    preferences.windowY = json.value("windowY", preferences.windowY);
    preferences.uiScaleMultiplier = std::clamp(json.value("uiScaleMultiplier", 1.0f), 0.5f, 4.0f);
    preferences.lastFolder = json.value("lastFolder", std::string());
  } catch (const std::exception&) {
    // A damaged preferences file must not stop the app: fall back to defaults, it is rewritten on exit.
    return Preferences{};
  }
  return preferences;
}

bool savePreferences(const Preferences& preferences) {
  const std::string folder = configDirectory();
  if (folder.empty()) return false;
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return false;
  const nlohmann::json json = {{"windowWidth", preferences.windowWidth},
                               {"windowHeight", preferences.windowHeight},
                               {"windowX", preferences.windowX},
                               {"windowY", preferences.windowY},
                               {"uiScaleMultiplier", preferences.uiScaleMultiplier},
                               {"lastFolder", preferences.lastFolder}};
  try {
    writeFileAtomic(folder + "/preferences.json", json.dump(2) + "\n");
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace attnscope::gui
