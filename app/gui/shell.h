// The one render path: drawUi() builds a full UI frame (all open views in the default layout, or one view filling
// the frame) for a given size. The window calls it every frame; renderUiImage() calls it into an offscreen
// framebuffer (in-app export, and headless export under EGL), so screen and file show the same pixels.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "app/render/image.h"

namespace attnscope::plot {
class VectorSink;  // app/plot/paint.h
}

struct ImGuiContext;

namespace attnscope::gui {

/// What to render and how large (issue 5's export options).
struct ExportOptions {
  int width = 1600;          ///< logical width in UI units; the image is width * scale pixels wide
  int height = 1000;         ///< logical height
  float scale = 1.0f;        ///< 1, 2, 4: fonts and sizes rendered at that resolution, not upscaled
  std::string view;          ///< a ViewInfo::id to render alone, filling the frame; empty = every open view
  bool transparent = false;  ///< clear to transparent instead of the window background colour
};

/// Sizes of the frame drawUi lays out.
struct FrameLayout {
  float width = 0, height = 0;       ///< display size in pixels
  std::optional<ViewKind> soloView;  ///< render only this view, filling the frame
  bool interactive = true;           ///< window: menu bar, status bar, dialogs; export: views only
  bool forceLayout = false;          ///< place every view at its default rectangle this frame (export, reset layout)
  bool transparent = false;
};

/// UI state of the shell (not part of the document, never undone).
struct ShellState {
  bool showHelp = false;
  bool resetLayoutRequested = false;
  bool quitRequested = false;
  struct Banner {
    std::string text;
    double shownAt = 0;
  };
  std::deque<Banner> banners;
  std::deque<float> frameMilliseconds;  ///< recent frame times for the status bar
  std::string statusMessage;
  double statusMessageAt = -100;
  std::string scenePath;   ///< file of the open scene ("" = unsaved)
  std::string lastFolder;  ///< remembered for the export / save prompts
  // Prompts (ImGui 1.86 has no file dialog; a path field with the remembered folder).
  bool showExportPrompt = false, showOpenPrompt = false, showSavePrompt = false;
  bool showDataPrompt = false;       ///< File > Export data: CSV/.npy of one view or all into a folder
  bool showFramesPrompt = false;     ///< File > Export sweep frames: a PNG sequence of the angle sweep
  int sweepFrameCount = 37;          ///< 37 frames = one every 5 degrees
  std::optional<ViewKind> dataView;  ///< none = every view
  char pathBuffer[1024] = {};
  int exportScaleChoice = 0;  ///< 0: 1x, 1: 2x, 2: 4x
  bool exportWholeWindow = true;
  ViewKind exportView = ViewKind::Sweep;
  bool exportTransparent = false;
  /// Exports asked for this frame; the window performs them after the frame (outside ImGui's NewFrame/Render).
  struct PendingExport {
    ExportOptions options;
    std::string path;     ///< .png or .svg; with sweepFrames, a frame name pattern (frame_%03d.png)
    int sweepFrames = 0;  ///< > 0: a PNG sequence of the angle sweep (export_formats.h)
  };
  std::vector<PendingExport> pendingExports;
  /// Set by the window: the view under the mouse last frame (for "export current view").
  std::optional<ViewKind> focusedView;
  /// The workspace and shown views the windows were tiled for last frame ("" before the first frame): when they
  /// change (a workspace switched, a view opened or closed) the views are placed anew (workspaces.h).
  std::string tiling;
  float uiScale = 1.0f;
  /// The colour (RGBA 0..1) to clear the frame to before rendering drawUi's draw data, set by drawUi. View windows
  /// that no other window overlaps are drawn without their background (llvmpipe shades every pixel of it), so the
  /// frame is cleared to exactly that background and the space around them is painted in the old clear colour.
  float clearColour[4] = {0, 0, 0, 0};
  /// Key presses since the last frame, as events (GLFW key code and modifier bits): ImGui 1.86 samples key state once
  /// per frame, so a press and release between two frames (fast typists, xdotool) would be lost.
  struct KeyPress {
    int key = 0;
    int modifiers = 0;  ///< GLFW_MOD_* bits: 1 shift, 2 control, 4 alt
  };
  std::vector<KeyPress> keyPresses;

  void showStatus(std::string message);
  void showError(std::string message);
};

/// Installs DejaVu Sans (or ImGui's default font) at `scale` and the app's style, scaled. Call before the first
/// NewFrame of the current ImGui context (and again when the scale changes, followed by a font texture rebuild).
void setupFontsAndStyle(float scale);

/// Opens a file from File > Open or dropped on the window: a model (llama2.c .bin, any folder, capture .safetensors)
/// starts in the model session and opens the model explorer, which shows its progress and any error in the banner;
/// anything else is loaded as a scene (.json, exported .png, .npz with q and k) and replaces the current one as an
/// undoable step, or its error goes to the banner. A failure leaves the vectors, parameters and selection as they
/// were.
void openPath(AppContext& context, ShellState& shell, const std::string& path);

/// Draws the frame's windows into the current ImGui frame (between NewFrame and Render).
void drawUi(AppContext& context, ShellState& shell, const FrameLayout& layout);

/// Renders with a fresh ImGui context into an offscreen framebuffer of width*scale x height*scale pixels and reads
/// it back. Needs a current GL 3.3 context (the window's, or a HeadlessContext). Renders >= 2 frames so ImGui's
/// auto-sized windows settle. Restores the caller's ImGui context. Throws ResourceError/InputError.
/// `vectorSink`: receives the plot primitives of the last frame as vectors as well (SVG export; paint.h).
render::Image renderUiImage(AppContext& context, const ExportOptions& options, plot::VectorSink* vectorSink = nullptr);

/// PNG text metadata of an export: the scene JSON under kPngSceneKey plus Software and Title.
void exportPng(AppContext& context, const ExportOptions& options, const std::string& path);

}  // namespace attnscope::gui
