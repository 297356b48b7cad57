// Preferences file handling: a small JSON file next to ImGui's imgui.ini (window layout).
#include "app/gui/preferences.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/gui/scene_io.h"
#include "core/atomic_file.h"

namespace attnscope::gui {

std::string configDirectory() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/')
    return std::string(xdg) + "/attnscope";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.config/attnscope";
  return {};
}

namespace {

/// json[key] clamped to [lo, hi], or `fallback` when absent or not a finite number. A value such as 1e300 must not
/// reach get<int>() (converting an out-of-range double to int is undefined behaviour), so it is clamped as a double.
template <typename T>
T numberField(const nlohmann::json& json, const char* key, T fallback, T lo, T hi) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_number()) return fallback;
  const double value = it->get<double>();
  if (!std::isfinite(value)) return fallback;
  return static_cast<T>(std::clamp(value, static_cast<double>(lo), static_cast<double>(hi)));
}

}  // namespace

Preferences loadPreferences() {
  Preferences preferences;
  const std::string folder = configDirectory();
  if (folder.empty()) return preferences;
  std::ifstream file(folder + "/preferences.json");
  if (!file) return preferences;
  try {
    const nlohmann::json json = nlohmann::json::parse(file);
    preferences.windowWidth = numberField(json, "windowWidth", preferences.windowWidth, 320, 16384);
    preferences.windowHeight = numberField(json, "windowHeight", preferences.windowHeight, 240, 16384);
    preferences.windowX = numberField(json, "windowX", preferences.windowX, -65536, 65536);
    preferences.windowY = numberField(json, "windowY", preferences.windowY, -65536, 65536);
    preferences.uiScaleMultiplier = numberField(json, "uiScaleMultiplier", 1.0f, 0.5f, 4.0f);
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
    writeFileAtomically(folder + "/preferences.json", json.dump(2) + "\n");
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace attnscope::gui
