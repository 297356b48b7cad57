// The one list of the app's views, in menu order. Adding a view is a file in app/views/ plus a line here.
#include <array>

#include "app/gui/app_state.h"
#include "app/views/views.h"

namespace attnscope::gui {

namespace {

constexpr std::array<ViewInfo, 9> kViews{{
    {ViewKind::Canvas, "canvas", "Vector canvas", &views::makeVectorCanvasView},
    {ViewKind::Sweep, "sweep", "Kernel sweep", &views::makeKernelSweepView},
    {ViewKind::Maps, "maps", "Attention maps", &views::makeAttentionMapsView},
    {ViewKind::Density, "density", "Gaussian-key density", &views::makeDensityView},
    {ViewKind::Divergence, "divergence", "Alignment divergence", &views::makeDivergenceView},
    {ViewKind::Parameters, "parameters", "Parameters", &views::makeParametersView},
    {ViewKind::Model, "model", "Model explorer", &views::makeModelExplorerView},
    {ViewKind::LongMap, "longmap", "Long map", &views::makeLongMapView},
    {ViewKind::Train, "train", "Training", &views::makeTrainView},
}};

// The names files and the command line use live with the kinds (view_kind.h, which the scene reader sees); the
// registry repeats them only to hand out C strings, and must agree.
constexpr bool namesAgree() {
  if (kViews.size() != kViewNames.size()) return false;
  for (const ViewInfo& view : kViews)
    if (viewName(view.kind) != view.id) return false;
  return true;
}
static_assert(namesAgree(), "view_list.cpp and view_kind.h disagree on a view's name");

}  // namespace

std::span<const ViewInfo> allViews() {
  return kViews;
}

}  // namespace attnscope::gui
