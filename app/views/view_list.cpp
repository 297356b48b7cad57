// The one list of the app's views, in menu order. Adding a view is a file in app/views/ plus a line here.
#include <array>

#include "app/gui/app_state.h"
#include "app/views/views.h"

namespace attnscope::gui {

std::span<const ViewInfo> allViews() {
  static constexpr std::array<ViewInfo, 8> kViews{{
      {"canvas", "Vector canvas", &views::drawVectorCanvasView},
      {"sweep", "Kernel sweep", &views::drawKernelSweepView},
      {"maps", "Attention maps", &views::drawAttentionMapsView},
      {"density", "Gaussian-key density", &views::drawDensityView},
      {"divergence", "Alignment divergence", &views::drawDivergenceView},
      {"parameters", "Parameters", &views::drawParametersView},
      {"model", "Model explorer", &views::drawModelExplorerView},
      {"longmap", "Long map", &views::drawLongMapView},
  }};
  return kViews;
}

}  // namespace attnscope::gui
