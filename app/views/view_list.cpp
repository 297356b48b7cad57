// The one list of the app's views, in menu order. Adding a view is a file in app/views/ plus a line here.
#include <array>

#include "app/gui/app_state.h"
#include "app/views/views.h"

namespace attnscope::gui {

std::span<const ViewInfo> allViews() {
  static constexpr std::array<ViewInfo, 9> kViews{{
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
  return kViews;
}

}  // namespace attnscope::gui
