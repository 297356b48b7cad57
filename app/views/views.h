// The six views of the desktop app, one draw function each (one file each in app/views/), listed in view_list.cpp.
// Each draws the contents of its window: it reads the Scene and Derived as const and changes the document only by
// submitting a new Scene through the AppContext (so every edit is undoable).
#pragma once

#include "app/gui/app_state.h"

namespace attnscope::views {

void drawVectorCanvasView(gui::AppContext& ctx);   // vector_canvas_view.cpp
void drawKernelSweepView(gui::AppContext& ctx);    // kernel_sweep_view.cpp
void drawAttentionMapsView(gui::AppContext& ctx);  // attention_maps_view.cpp
void drawDensityView(gui::AppContext& ctx);        // density_view.cpp
void drawDivergenceView(gui::AppContext& ctx);     // divergence_view.cpp
void drawParametersView(gui::AppContext& ctx);     // parameters_view.cpp
void drawModelExplorerView(gui::AppContext& ctx);  // model_explorer_view.cpp (modelapp)
void drawLongMapView(gui::AppContext& ctx);        // long_map_view.cpp

}  // namespace attnscope::views
