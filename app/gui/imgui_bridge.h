// The few ImGui internals the app needs, behind plain functions (imgui_bridge.cpp is the only file that includes
// imgui_internal.h). Most of it serves the shell's view windows drawn without a background fill: llvmpipe shades
// every pixel of every window background, and the tiled views cover most of the frame, so a view window no other
// window overlaps is drawn with ImGuiWindowFlags_NoBackground over a frame cleared to exactly its background colour;
// the space around such windows is painted in the old clear colour and their rounded corners are redrawn as ImGui
// draws them, so the pixels are the same as with backgrounds (the golden images prove it).
#pragma once

#include <imgui.h>

#include <optional>
#include <span>
#include <vector>

namespace attnscope::gui {

/// A window rectangle in pixels.
struct PixelRect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

bool overlaps(const PixelRect& a, const PixelRect& b);
/// Pixel-aligned edges: the background's straight edges then cover whole pixels, which the fill around reproduces.
bool integral(const PixelRect& r);

/// Where the window `title` will be this frame, before its Begin: the rectangle a forced placement (`forced`, rect =
/// x, y, width, height) gives, else where it was last frame; nullopt when unknown (not drawn last frame, being
/// resized or moved by keyboard).
std::optional<PixelRect> predictedWindowRect(const char* title, bool forced, const float rect[4]);

/// Last frame's rectangles of the top-level windows other than `viewTitles` (menu bar, status bar, help, dialogs,
/// demo panel); popups, menus and tooltips are always in front and paint their own backgrounds, so they do not count.
std::vector<PixelRect> otherWindowRects(std::span<const char* const> viewTitles);

/// The view windows drawn this frame without their background.
class BareWindows {
 public:
  /// Call right after Begin of a window drawn with ImGuiWindowFlags_NoBackground: draws its outer border (which ImGui
  /// draws only with the background) and remembers the window.
  void addCurrentWindow();
  /// Paints, under every window, what the frame looked like around and at the corners of the remembered windows
  /// (`surround` around them), and returns the colour the frame must be cleared to: the window background when any
  /// window is bare, else `surround`.
  ImU32 paintAround(ImU32 surround) const;

 private:
  std::vector<void*> windows_;  // ImGuiWindow*, opaque outside imgui_bridge.cpp
};

/// What a top-level window was in the last frame, for the layout tests and any caller that must check a layout
/// without ImGui's internals.
struct WindowFacts {
  PixelRect rect;             ///< outer rectangle, title bar included
  bool active = false;        ///< drawn in the last frame (a closed view's window lingers inactive)
  bool bare = false;          ///< drawn without its background fill (BareWindows)
  float contentWidth = 0.0f;  ///< the widest item drawn (ImGui's content size): wider than usableWidth is cut
  float usableWidth = 0.0f;   ///< inner width less the padding on both sides
  bool horizontalScrollbar = false;
  bool verticalScrollbar = false;  ///< its content is taller than the window (the view scrolls)
  /// The title text (up to "##") is wider than the room its title bar leaves beside the close button: ImGui cuts
  /// it with an ellipsis. False for windows without a title bar.
  bool titleClipped = false;
};
/// The window named `title` (its full name, "##" suffix included), or nullopt when there is none.
std::optional<WindowFacts> windowFacts(const char* title);

/// After an item: the mouse wheel over it goes to the item (e.g. to zoom a map) instead of scrolling the window.
void claimMouseWheelForItem();

}  // namespace attnscope::gui
