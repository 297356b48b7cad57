// The workspace registry and its tiling (workspaces.h).
#include "app/gui/workspaces.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "app/gui/app_state.h"

namespace attnscope::gui {
namespace {

// Shares are chosen for 1280 x 800 and up: at that size every column is at least ~400 px wide and every plot view
// at least ~330 px tall, so the plots keep kMinPlotHeight (view_common.h) without scrolling.
std::vector<WorkspaceInfo> makeRegistry() {
  return {
      {WorkspaceKind::Playground,
       "Playground",
       "Ctrl+1: vectors, kernel sweep, attention maps and parameters",
       // Left: what the user edits (canvas over its parameters); middle: the sweep's three plots need height more
       // than width, so it gets a whole column; right: the maps.
       {{1.0f,
         {{1.0f, {{ViewKind::Canvas, 0.55f}, {ViewKind::Parameters, 0.45f}}},
          {1.05f, {{ViewKind::Sweep, 1.0f}}},
          {0.95f, {{ViewKind::Maps, 1.0f}}}}}},
       {ViewKind::Canvas, ViewKind::Sweep, ViewKind::Maps, ViewKind::Parameters},
       // Presenter mode at 1280 x 800: in a third of the width the sweep's sentence takes three lines at the large
       // font and its two lower plots fall below their least height (the view scrolled). A wider sweep column keeps
       // them at it; the canvas and the maps (whose crowded key names are numbered, plot.cpp) give up the width.
       {{1.0f,
         {{0.8f, {{ViewKind::Canvas, 1.0f}}}, {1.4f, {{ViewKind::Sweep, 1.0f}}}, {0.8f, {{ViewKind::Maps, 1.0f}}}}}}},
      {WorkspaceKind::Densities,
       "Densities & alignment",
       "Ctrl+2: Gaussian-key density, alignment divergence and the vectors they come from",
       // The canvas (and the maps a demo step may add) on the left, the two wide plot views side by side.
       {{1.0f,
         {{0.8f, {{ViewKind::Canvas, 0.55f}, {ViewKind::Maps, 0.45f}}},
          {1.1f, {{ViewKind::Density, 1.0f}}},
          {1.1f, {{ViewKind::Divergence, 1.0f}}}}}},
       {ViewKind::Canvas, ViewKind::Density, ViewKind::Divergence},
       // Presenter mode: the canvas and the maps under it get as much width as the plot view beside them (demo steps
       // show one of density and divergence), so the maps are not strips and the colour bar keeps its labels.
       {{1.0f,
         {{1.0f, {{ViewKind::Canvas, 0.5f}, {ViewKind::Maps, 0.5f}}},
          {1.1f, {{ViewKind::Density, 1.0f}}},
          {1.1f, {{ViewKind::Divergence, 1.0f}}}}}}},
      {WorkspaceKind::Model,
       "Model",
       "Ctrl+3: the model explorer along the bottom, the head's vectors and maps above it (or the long map)",
       // The explorer's layer x head grids want width: it spans the window below the views of the chosen head.
       {{0.45f,
         {{1.0f, {{ViewKind::Canvas, 1.0f}}}, {1.0f, {{ViewKind::Maps, 1.0f}}}, {2.0f, {{ViewKind::LongMap, 1.0f}}}}},
        {0.55f, {{1.0f, {{ViewKind::Model, 1.0f}}}}}},
       {ViewKind::Canvas, ViewKind::Maps, ViewKind::Model}},
      {WorkspaceKind::Train,
       "Train",
       "Ctrl+4: train runs side by side (DPA, EA, MGK, with or without the regulariser) and watch their heads organise",
       // One wide view: its curves and its layer x head grid sit side by side inside it.
       {{1.0f, {{1.0f, {{ViewKind::Train, 1.0f}}}}}},
       {ViewKind::Train}},
  };
}

bool names(const WorkspaceInfo& workspace, ViewKind view) {
  for (const WorkspaceRow& row : workspace.rows)
    for (const WorkspaceColumn& column : row.columns)
      for (const WorkspaceSlot& slot : column.slots)
        if (slot.view == view) return true;
  return false;
}

/// Splits `length` (minus gaps) among parts by weight; returns each part's start offset and size.
std::vector<std::pair<float, float>> split(const std::vector<float>& weights, float length, float gap) {
  std::vector<std::pair<float, float>> parts;
  float total = 0;
  for (float w : weights) total += w;
  const float usable = std::max(length - gap * static_cast<float>(weights.size() + 1), 0.0f);
  float at = gap;
  for (float w : weights) {
    // Whole pixels: window edges on pixel boundaries keep the background-less drawing exact (shell.cpp).
    const float size = std::floor(usable * w / total);
    parts.emplace_back(at, size);
    at += size + gap;
  }
  return parts;
}

}  // namespace

std::span<const WorkspaceInfo> allWorkspaces() {
  static const std::vector<WorkspaceInfo> registry = [] {
    std::vector<WorkspaceInfo> made = makeRegistry();
    // workspaceInfo indexes the registry by kind: it lists every kind once, in WorkspaceKind order.
    if (made.size() != kWorkspaceNames.size()) std::abort();
    for (std::size_t i = 0; i < made.size(); ++i)
      if (made[i].kind != kWorkspaceNames[i].first) std::abort();
    return made;
  }();
  return registry;
}

const WorkspaceInfo& workspaceInfo(WorkspaceKind kind) {
  return allWorkspaces()[static_cast<std::size_t>(kind)];
}

const WorkspaceInfo* workspaceShowing(ViewKind view) {
  for (const WorkspaceInfo& workspace : allWorkspaces())
    if (names(workspace, view)) return &workspace;
  return nullptr;
}

const WorkspaceInfo& workspaceOf(const Scene& scene) {
  if (scene.workspace) return workspaceInfo(*scene.workspace);
  if (scene.isViewOpen(ViewKind::Train)) return workspaceInfo(WorkspaceKind::Train);
  if (scene.isViewOpen(ViewKind::Model) || scene.isViewOpen(ViewKind::LongMap))
    return workspaceInfo(WorkspaceKind::Model);
  if ((scene.isViewOpen(ViewKind::Density) || scene.isViewOpen(ViewKind::Divergence)) &&
      !scene.isViewOpen(ViewKind::Sweep))
    return workspaceInfo(WorkspaceKind::Densities);
  return workspaceInfo(WorkspaceKind::Playground);
}

void switchWorkspace(Scene& scene, const WorkspaceInfo& workspace) {
  scene.workspace = workspace.kind;
  scene.openViews.assign(workspace.opens.begin(), workspace.opens.end());
}

std::vector<LayoutRect> tileWorkspace(const WorkspaceInfo& workspace, std::span<const ViewKind> shown, float x0,
                                      float y0, float width, float height, float gap, bool presenter) {
  const std::vector<WorkspaceRow>& tiling =
      presenter && !workspace.presenterRows.empty() ? workspace.presenterRows : workspace.rows;
  std::vector<LayoutRect> result(shown.size());
  const auto indexOf = [&](ViewKind view) -> int {
    for (std::size_t i = 0; i < shown.size(); ++i)
      if (shown[i] == view) return static_cast<int>(i);
    return -1;
  };
  // The tiling with only the shown views: (row weight, [(column weight, [(view index, weight)])]).
  struct Column {
    float weight;
    std::vector<std::pair<int, float>> views;
  };
  struct Row {
    float weight;
    std::vector<Column> columns;
  };
  std::vector<Row> rows;
  std::vector<bool> placed(shown.size(), false);
  for (const WorkspaceRow& row : tiling) {
    Row kept{row.weight, {}};
    for (const WorkspaceColumn& column : row.columns) {
      Column keptColumn{column.weight, {}};
      for (const WorkspaceSlot& slot : column.slots) {
        const int index = indexOf(slot.view);
        if (index < 0 || placed[static_cast<std::size_t>(index)]) continue;
        placed[static_cast<std::size_t>(index)] = true;
        keptColumn.views.emplace_back(index, slot.weight);
      }
      if (!keptColumn.views.empty()) kept.columns.push_back(std::move(keptColumn));
    }
    if (!kept.columns.empty()) rows.push_back(std::move(kept));
  }
  // Views the tiling does not name (a scene saved with every view open, the bench): side by side in a row of their
  // own along the bottom, as tall as the tiling's rows on average, so the tiling keeps its proportions above them.
  Row extra{0.0f, {}};
  for (const Row& row : rows) extra.weight += row.weight / float(rows.size());
  if (rows.empty()) extra.weight = 1.0f;
  for (std::size_t i = 0; i < shown.size(); ++i)
    if (!placed[i]) extra.columns.push_back({1.0f, {{static_cast<int>(i), 1.0f}}});
  if (!extra.columns.empty()) rows.push_back(std::move(extra));
  std::vector<float> rowWeights;
  for (const Row& row : rows) rowWeights.push_back(row.weight);
  const auto rowParts = split(rowWeights, height, gap);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::vector<float> columnWeights;
    for (const Column& column : rows[r].columns) columnWeights.push_back(column.weight);
    const auto columnParts = split(columnWeights, width, gap);
    for (std::size_t c = 0; c < rows[r].columns.size(); ++c) {
      const Column& column = rows[r].columns[c];
      std::vector<float> viewWeights;
      for (const auto& view : column.views) viewWeights.push_back(view.second);
      // The column's views stack inside the row's band (which already has its outer gaps).
      const auto viewParts = split(viewWeights, rowParts[r].second + 2 * gap, gap);
      for (std::size_t v = 0; v < column.views.size(); ++v) {
        LayoutRect& out = result[static_cast<std::size_t>(column.views[v].first)];
        out.x = std::floor(x0) + columnParts[c].first;
        out.y = std::floor(y0) + rowParts[r].first - gap + viewParts[v].first;
        out.width = columnParts[c].second;
        out.height = viewParts[v].second;
      }
    }
  }
  return result;
}

}  // namespace attnscope::gui
