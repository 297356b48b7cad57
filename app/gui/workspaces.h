// Workspaces (issue 13): named arrangements of the views, shown as tabs under the menu bar and switched with
// Ctrl+1..9. A workspace is a task (play with kernels, compare densities, explore a model): it says which views open
// when it is chosen and where each view goes, in a tiling that fills the region with no overlap. The scene records the
// chosen workspace (Scene::workspace), so a saved scene, an autosave or a demo step brings its workspace back.
//
// The registry is a list (workspaces.cpp): adding one (as the Train workspace was) is an entry there.
// No ImGui here: the tiling is pure arithmetic, tested on its own (tests/gui/workspaces_test.cpp).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/gui/view_kind.h"
#include "app/gui/workspace_kind.h"

namespace attnscope::gui {

struct Scene;

/// One view's share of a column: `weight` relative to the other views in the same column.
struct WorkspaceSlot {
  ViewKind view;
  float weight;
};

/// A column of a row: its width `weight` relative to the row's other columns, and its views from top to bottom.
struct WorkspaceColumn {
  float weight;
  std::vector<WorkspaceSlot> slots;
};

/// A row of the layout: its height `weight` relative to the other rows.
struct WorkspaceRow {
  float weight;
  std::vector<WorkspaceColumn> columns;
};

struct WorkspaceInfo {
  WorkspaceKind kind;   ///< its identity (workspace_kind.h has the stable names)
  const char* title;    ///< tab label
  const char* tooltip;  ///< what the workspace is for (tab tooltip)
  /// The tiling, top to bottom. Views of the tiling that are not open are left out and their space goes to their
  /// neighbours (column, then row); open views the tiling does not name share a row of their own along the bottom.
  std::vector<WorkspaceRow> rows;
  /// Views opened when the workspace is chosen (a subset of the tiling's views).
  std::vector<ViewKind> opens;
  /// The tiling in presenter mode (large fonts, no Parameters view), when it differs from `rows`: the same views,
  /// shared so that at 1280 x 800 every plot keeps its least size (views/view_common.h minPlotHeight).
  std::vector<WorkspaceRow> presenterRows = {};
};

/// Every workspace offered by this build, in tab order (Ctrl+1 is the first).
std::span<const WorkspaceInfo> allWorkspaces();
/// The registry's entry of `kind`.
const WorkspaceInfo& workspaceInfo(WorkspaceKind kind);
/// The scene's workspace: Scene::workspace when set, else the one that fits its open views best (scenes saved before
/// workspaces existed, and demo steps that name none): the training view -> Train, the model explorer or the long
/// map -> Model, density or divergence without the sweep -> Densities, else Playground.
const WorkspaceInfo& workspaceOf(const Scene& scene);
/// `scene` switched to `workspace`: Scene::workspace set and exactly the workspace's `opens` views open.
void switchWorkspace(Scene& scene, const WorkspaceInfo& workspace);
/// The first workspace (tab order) whose tiling names `view`, or nullptr.
const WorkspaceInfo* workspaceShowing(ViewKind view);

/// A window rectangle in pixels: x, y (top left), width, height.
struct LayoutRect {
  float x = 0, y = 0, width = 0, height = 0;
};

/// Rectangles of the `shown` views (any order; one result per view, in the same order) tiled by
/// `workspace` into the region (x0, y0, width, height), `gap` pixels between windows and around them.
/// Shapes: shown.size() == result.size(). Rectangles do not overlap and stay inside the region; an empty `shown`
/// gives an empty result.
/// `presenter`: tiled by the workspace's presenterRows when it has them.
std::vector<LayoutRect> tileWorkspace(const WorkspaceInfo& workspace, std::span<const ViewKind> shown, float x0,
                                      float y0, float width, float height, float gap = 4.0f, bool presenter = false);

}  // namespace attnscope::gui
