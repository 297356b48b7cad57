// Which workspace: the identity the app's code uses for its workspaces (the tabs under the menu bar, workspaces.h),
// and each one's stable name, the one scene files and demo steps use ("workspace": "playground"). Names are converted
// at those boundaries only (scene_io.cpp, demo.cpp). In a header of its own, with no registry behind it, so the scene
// file reader (built without the views, e.g. into the fuzz targets) names workspaces too, as view_kind.h does views.
#pragma once

#include <optional>
#include <string_view>

#include "app/gui/named_kinds.h"

namespace attnscope::gui {

enum class WorkspaceKind { Playground, Densities, Model, Train };

/// Every kind with its stable name, in WorkspaceKind order.
inline constexpr KindNames<WorkspaceKind, 4> kWorkspaceNames{{
    {WorkspaceKind::Playground, "playground"},
    {WorkspaceKind::Densities, "densities"},
    {WorkspaceKind::Model, "model"},
    {WorkspaceKind::Train, "train"},
}};

static_assert(listedInEnumOrder(kWorkspaceNames));

/// The stable name of a workspace kind ("playground", ...).
constexpr std::string_view workspaceName(WorkspaceKind kind) {
  return nameIn(kWorkspaceNames, kind);
}

/// The workspace kind named `name`, or nothing.
constexpr std::optional<WorkspaceKind> workspaceKindNamed(std::string_view name) {
  return kindNamedIn(kWorkspaceNames, name);
}

}  // namespace attnscope::gui
