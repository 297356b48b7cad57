// The views of the desktop app, one class each (one file each in app/views/), listed in view_list.cpp. Each draws the
// contents of its window: it reads the Scene and Derived as const and changes the document only by submitting a new
// Scene through the AppContext (so every edit is undoable). Its UI state lives in the object, so each AppContext
// (window, headless export, sweep frame, test) has views of its own.
#pragma once

#include <memory>

#include "app/gui/app_state.h"

namespace attnscope::views {

std::unique_ptr<gui::View> makeVectorCanvasView();   // vector_canvas_view.cpp
std::unique_ptr<gui::View> makeKernelSweepView();    // kernel_sweep_view.cpp
std::unique_ptr<gui::View> makeAttentionMapsView();  // attention_maps_view.cpp
std::unique_ptr<gui::View> makeDensityView();        // density_view.cpp
std::unique_ptr<gui::View> makeDivergenceView();     // divergence_view.cpp
std::unique_ptr<gui::View> makeParametersView();     // parameters_view.cpp
std::unique_ptr<gui::View> makeModelExplorerView();  // model_explorer_view.cpp (modelapp)
std::unique_ptr<gui::View> makeLongMapView();        // long_map_view.cpp
std::unique_ptr<gui::View> makeTrainView();          // train_view.cpp

}  // namespace attnscope::views
