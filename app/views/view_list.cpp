// Placeholder registry until the views module lands: the views helper replaces this file with the list of the six
// views ("canvas", "sweep", "maps", "density", "divergence", "parameters").
#include "app/gui/app_state.h"

namespace attnscope::gui {

std::span<const ViewInfo> allViews() {
  return {};
}

}  // namespace attnscope::gui
