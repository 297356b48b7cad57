// Scene files: versioned JSON (issue 5). Unknown fields are reported as warnings, a newer version is refused, and a
// corrupt file throws before anything in the open scene changes.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "app/gui/app_state.h"

namespace attnscope::gui {

constexpr int kSceneFormatVersion = 1;
constexpr const char* kSceneFormatName = "attnscope-scene";
/// Key of the PNG text chunk that carries the scene JSON in exported images.
constexpr const char* kPngSceneKey = "attnscope-scene";

nlohmann::json sceneToJson(const Scene& scene);
/// Throws FileError-free InputError with the JSON path of the first problem ("kernel.mgk.priors[1][0]: ...").
/// `warnings` receives one line per unknown field.
Scene sceneFromJson(const nlohmann::json& json, std::vector<std::string>* warnings = nullptr);

std::string sceneToString(const Scene& scene);
Scene sceneFromString(const std::string& text, const std::string& origin, std::vector<std::string>* warnings);

/// Loads a .json scene, a PNG exported by attnscope (scene in its text metadata) or a NumPy .npz holding arrays q and k
/// (or queries and keys; N x d and M x d, d >= 2) as a new scene with default parameters. Throws FileError naming the
/// file.
Scene loadSceneFile(const std::string& path, std::vector<std::string>* warnings = nullptr);
/// Writes the scene JSON atomically (temporary file + rename). Throws FileError.
void saveSceneFile(const std::string& path, const Scene& scene);

}  // namespace attnscope::gui
