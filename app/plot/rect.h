// A screen rectangle in pixels for the plot module and the views: ImGui's own plot::Rect lives in imgui_internal.h,
// which only app/gui/imgui_bridge.cpp may include (its internals change between ImGui versions).
#pragma once

#include <imgui.h>

namespace attnscope::plot {

/// Axis-aligned, Min the top-left and Max the bottom-right corner (the same member names as plot::Rect).
struct Rect {
  ImVec2 Min{0.0f, 0.0f}, Max{0.0f, 0.0f};

  Rect() = default;
  Rect(ImVec2 min, ImVec2 max) : Min(min), Max(max) {}
  Rect(float x0, float y0, float x1, float y1) : Min(x0, y0), Max(x1, y1) {}

  float GetWidth() const { return Max.x - Min.x; }
  float GetHeight() const { return Max.y - Min.y; }
  ImVec2 GetSize() const { return ImVec2(GetWidth(), GetHeight()); }
  ImVec2 GetCenter() const { return ImVec2(0.5f * (Min.x + Max.x), 0.5f * (Min.y + Max.y)); }
  /// Half-open on the far sides, as plot::Rect::Contains.
  bool Contains(ImVec2 p) const { return p.x >= Min.x && p.y >= Min.y && p.x < Max.x && p.y < Max.y; }
};

}  // namespace attnscope::plot
