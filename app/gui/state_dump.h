// Debug state dump for end-to-end tests: the scene, key derived numbers, the views' probe points and the window
// geometry as JSON, written atomically whenever something changed or on SIGUSR1.
#pragma once

#include <string>

#include "app/gui/app_state.h"

namespace attnscope::gui {

struct WindowGeometry {
  int x = 0, y = 0;           ///< client area origin on the screen (X root coordinates)
  int width = 0, height = 0;  ///< client area size in screen units (= ImGui coordinates)
};

/// The dump as JSON text.
std::string stateDumpJson(const AppContext& context, const WindowGeometry& window);

}  // namespace attnscope::gui
