// Which workspace: the identity the app's code uses for its workspaces (the tabs under the menu bar, workspaces.h),
// and each one's stable name, the one scene files and demo steps use ("workspace": "playground"). Names are converted
// at those boundaries only (scene_io.cpp, demo.cpp). In a header of its own, with no registry behind it, so the scene
// file reader (built without the views, e.g. into the fuzz targets) names workspaces too, as view_kind.h does views.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace attnscope::gui {

enum class WorkspaceKind { Playground, Densities, Model, Train };

/// Every kind with its stable name, in WorkspaceKind order.
inline constexpr std::array<std::pair<WorkspaceKind, std::string_view>, 4> kWorkspaceNames{{
    {WorkspaceKind::Playground, "playground"},
    {WorkspaceKind::Densities, "densities"},
    {WorkspaceKind::Model, "model"},
    {WorkspaceKind::Train, "train"},
}};

/// The stable name of a workspace kind ("playground", ...).
constexpr std::string_view workspaceName(WorkspaceKind kind) {
  return kWorkspaceNames[static_cast<std::size_t>(kind)].second;
}

/// The workspace kind named `name`, or nothing.
constexpr std::optional<WorkspaceKind> workspaceKindNamed(std::string_view name) {
  for (const auto& [kind, candidate] : kWorkspaceNames)
    if (candidate == name) return kind;
  return std::nullopt;
}

}  // namespace attnscope::gui
