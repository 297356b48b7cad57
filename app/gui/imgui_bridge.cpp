// The only file that includes imgui_internal.h: the few ImGui internals the app needs (window rectangles before
// Begin, drawing view windows without their background, claiming the mouse wheel), behind plain functions, so an
// ImGui upgrade that changes its internals touches this file alone.
#include "app/gui/imgui_bridge.h"

#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attnscope::gui {
namespace {

/// ImGui draws a window's outer border only with its background: the same rectangle, drawn right after Begin under
/// the same (whole display) clip rectangle; the title text and close button it would precede do not touch it.
void drawOuterBorder(ImGuiWindow* window) {
  if (window->WindowBorderSize <= 0.0f) return;
  window->DrawList->PushClipRect(ImVec2(0, 0), ImGui::GetIO().DisplaySize, false);
  window->DrawList->AddRect(window->Pos, ImVec2(window->Pos.x + window->Size.x, window->Pos.y + window->Size.y),
                            ImGui::GetColorU32(ImGuiCol_Border), window->WindowRounding, 0, window->WindowBorderSize);
  window->DrawList->PopClipRect();
}

}  // namespace

bool overlaps(const PixelRect& a, const PixelRect& b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/// Pixel-aligned edges: the background's straight edges then cover whole pixels, which the fill around reproduces.
bool integral(const PixelRect& r) {
  return r.x0 == std::floor(r.x0) && r.y0 == std::floor(r.y0) && r.x1 == std::floor(r.x1) && r.y1 == std::floor(r.y1);
}

/// Where a view window will be this frame, before its Begin: the rectangle a forced placement gives (ImGui floors
/// positions and sizes), else where it was last frame. nullopt when unknown (not drawn last frame, being resized).
std::optional<PixelRect> predictedWindowRect(const char* title, bool forced, const float rect[4]) {
  if (forced) {
    const ImVec2 minSize = ImGui::GetStyle().WindowMinSize;
    const float x = std::floor(rect[0]), y = std::floor(rect[1]);
    return PixelRect{x, y, x + std::max(std::floor(rect[2]), minSize.x), y + std::max(std::floor(rect[3]), minSize.y)};
  }
  ImGuiWindow* window = ImGui::FindWindowByName(title);
  if (window == nullptr || !window->WasActive) return std::nullopt;
  const ImGuiContext& g = *ImGui::GetCurrentContext();
  if (g.ActiveId != 0 && g.ActiveIdWindow == window) {
    // A resize by grip or edge changes the size inside Begin, after the flags are chosen.
    for (int n = 0; n < 2; ++n)
      if (g.ActiveId == ImGui::GetWindowResizeCornerID(window, n)) return std::nullopt;
    for (ImGuiDir dir : {ImGuiDir_Left, ImGuiDir_Right, ImGuiDir_Up, ImGuiDir_Down})
      if (g.ActiveId == ImGui::GetWindowResizeBorderID(window, dir)) return std::nullopt;
  }
  if (g.NavWindowingTarget != nullptr) return std::nullopt;  // keyboard move/resize (Ctrl+Tab)
  return PixelRect{window->Pos.x, window->Pos.y, window->Pos.x + window->SizeFull.x,
                   window->Pos.y + window->SizeFull.y};
}

/// Last frame's rectangles of the top-level windows that are not views (menu bar, status bar, help, dialogs, demo
/// panel): a view under or over one of them keeps its background. Popups, menus and tooltips are always in front
/// and paint their own backgrounds, so they do not count.
std::vector<PixelRect> otherWindowRects(std::span<const char* const> viewTitles) {
  std::vector<PixelRect> rects;
  const ImGuiContext& g = *ImGui::GetCurrentContext();
  for (ImGuiWindow* window : g.Windows) {
    if (!window->WasActive || window->Hidden) continue;
    if (window->Flags & (ImGuiWindowFlags_ChildWindow | ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip)) continue;
    if (std::any_of(viewTitles.begin(), viewTitles.end(),
                    [&](const char* title) { return std::strcmp(title, window->Name) == 0; }))
      continue;
    rects.push_back({window->Pos.x, window->Pos.y, window->Pos.x + window->Size.x, window->Pos.y + window->Size.y});
  }
  return rects;
}

void BareWindows::addCurrentWindow() {
  ImGuiWindow* window = ImGui::GetCurrentWindow();
  drawOuterBorder(window);
  windows_.push_back(window);
}

ImU32 BareWindows::paintAround(ImU32 surround) const {
  if (windows_.empty()) return surround;
  std::vector<ImGuiWindow*> bare;
  for (void* window : windows_) bare.push_back(static_cast<ImGuiWindow*>(window));
  const ImU32 background = ImGui::GetColorU32(ImGuiCol_WindowBg);
  ImDrawList* list = ImGui::GetBackgroundDrawList();
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  std::vector<PixelRect> rects;
  std::vector<float> xs{0.0f, display.x}, ys{0.0f, display.y};
  std::vector<ImGuiWindow*> hiding = bare;
  // The main menu bar paints an opaque, square-cornered WindowBg over its whole rectangle: nothing under it shows.
  ImGuiWindow* menuBar = ImGui::FindWindowByName("##MainMenuBar");
  if (menuBar != nullptr && menuBar->Active && menuBar->WindowRounding == 0.0f &&
      !(menuBar->Flags & ImGuiWindowFlags_NoBackground) &&
      integral({menuBar->Pos.x, menuBar->Pos.y, menuBar->Pos.x + menuBar->Size.x, menuBar->Pos.y + menuBar->Size.y}))
    hiding.push_back(menuBar);
  // The workspace tabs draw no background: under them the frame keeps its clear colour (the views' background).
  ImGuiWindow* tabs = ImGui::FindWindowByName("##workspaces");
  if (tabs != nullptr && tabs->Active) hiding.push_back(tabs);
  for (ImGuiWindow* window : hiding) {
    const PixelRect r{window->Pos.x, window->Pos.y, window->Pos.x + window->Size.x, window->Pos.y + window->Size.y};
    rects.push_back(r);
    xs.insert(xs.end(), {std::clamp(r.x0, 0.0f, display.x), std::clamp(r.x1, 0.0f, display.x)});
    ys.insert(ys.end(), {std::clamp(r.y0, 0.0f, display.y), std::clamp(r.y1, 0.0f, display.y)});
  }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  std::sort(ys.begin(), ys.end());
  ys.erase(std::unique(ys.begin(), ys.end()), ys.end());
  // The grid of all window edges: a cell is inside a bare window or not; a run of outside cells in a row is one
  // rectangle (the frame around 6 tiled views is about 20 thin rectangles).
  auto outside = [&](size_t i, size_t j) {
    const float x = 0.5f * (xs[i] + xs[i + 1]), y = 0.5f * (ys[j] + ys[j + 1]);
    return std::none_of(rects.begin(), rects.end(),
                        [&](const PixelRect& r) { return x > r.x0 && x < r.x1 && y > r.y0 && y < r.y1; });
  };
  for (size_t j = 0; j + 1 < ys.size(); ++j) {
    for (size_t i = 0; i + 1 < xs.size();) {
      if (!outside(i, j)) {
        ++i;
        continue;
      }
      size_t end = i + 1;
      while (end + 1 < xs.size() && outside(end, j)) ++end;
      list->AddRectFilled(ImVec2(xs[i], ys[j]), ImVec2(xs[end], ys[j + 1]), surround);
      i = end;
    }
  }
  // Rounded corners: the old clear colour under each corner, then (below the title bar) the background ImGui would
  // have drawn, clipped to the corner, so its anti-aliased curve blends as before. The title bar covers the top
  // corners itself.
  for (ImGuiWindow* window : bare) {
    const float rounding = window->WindowRounding;
    if (rounding <= 0.0f) continue;
    const float side = std::ceil(rounding) + 1.0f;
    const ImVec2 p0 = window->Pos, p1(window->Pos.x + window->Size.x, window->Pos.y + window->Size.y);
    const bool titled = !(window->Flags & ImGuiWindowFlags_NoTitleBar);
    const ImVec2 bg0(p0.x, p0.y + window->TitleBarHeight());
    for (int corner = 0; corner < 4; ++corner) {
      const bool right = corner & 1, bottom = corner & 2;
      const ImVec2 c0(right ? p1.x - side : p0.x, bottom ? p1.y - side : p0.y);
      const ImVec2 c1(right ? p1.x : p0.x + side, bottom ? p1.y : p0.y + side);
      list->AddRectFilled(c0, c1, surround);
      if (titled && !bottom) continue;
      list->PushClipRect(c0, c1, true);
      list->AddRectFilled(bg0, p1, background, rounding, titled ? ImDrawFlags_RoundCornersBottom : 0);
      list->PopClipRect();
    }
  }
  return background;
}

std::optional<WindowFacts> windowFacts(const char* title) {
  const ImGuiWindow* window = ImGui::FindWindowByName(title);
  if (window == nullptr) return std::nullopt;
  WindowFacts facts;
  facts.rect = {window->Pos.x, window->Pos.y, window->Pos.x + window->Size.x, window->Pos.y + window->Size.y};
  facts.active = window->Active;
  facts.bare = (window->Flags & ImGuiWindowFlags_NoBackground) != 0;
  facts.contentWidth = window->ContentSize.x;
  facts.usableWidth = window->InnerRect.GetWidth() - 2.0f * window->WindowPadding.x;
  facts.horizontalScrollbar = window->ScrollbarX;
  facts.verticalScrollbar = window->ScrollbarY;
  if (!(window->Flags & ImGuiWindowFlags_NoTitleBar)) {
    // As ImGui lays out the title bar (RenderWindowTitleBarContents): frame padding on both sides, the collapse
    // arrow on the left unless NoCollapse, the close button (one font size) on the right when the window has one.
    const ImGuiStyle& style = ImGui::GetStyle();
    const float button = window->CalcFontSize();
    float room = window->Size.x - 2.0f * style.FramePadding.x;
    if (!(window->Flags & ImGuiWindowFlags_NoCollapse)) room -= button + style.ItemInnerSpacing.x;
    if (window->HasCloseButton) room -= button + style.ItemInnerSpacing.x;
    const float text = ImGui::CalcTextSize(title, nullptr, true).x;
    facts.titleClipped = text > room;
  }
  return facts;
}

void claimMouseWheelForItem() {
  ImGui::SetItemUsingMouseWheel();
}

}  // namespace attnscope::gui
