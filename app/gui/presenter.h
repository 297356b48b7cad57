// Demo playback and presenter mode (issue 6): the open demo and step, the step-text panel under the views, the Demos
// menu, the presentation keys (arrows, PageUp/PageDown, Space, F11) and the window changes presenter mode makes
// (full screen, large fonts) and undoes when it ends. The shell calls in at a few fixed points of drawUi().
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>

#include "app/gui/demo.h"
#include "app/gui/shell.h"

struct GLFWwindow;

namespace attnscope::gui {

/// UI-side state of the demo being shown (not part of the document: a step's scene is the document).
struct DemoPlayer {
  std::optional<Demo> demo;
  int step = 0;          ///< 0-based
  std::string stepText;  ///< the step's text with its claims filled in (computed once per step)
  bool playing = false;  ///< the step's animation is running
  double playStart = 0;  ///< ImGui time the animation started, shifted by pauses
  double pausedAt = 0;   ///< animation time when paused

  bool presenter = false;  ///< presenter mode on
  /// Font scale multiplier of presenter mode (fonts are rebuilt at uiScale * this, so text stays crisp).
  float presenterFontFactor = 1.6f;
  /// Where each view window was before presenter mode forced its layout, restored when it ends.
  std::map<ViewKind, std::array<float, 4>> lastRects, restoreRects;

  /// Set when a step opens: the next frame arranges the open views for the demo.
  bool layoutRequested = false;
  /// The window side of presenter mode (syncPresenterWindow): whether the window is full screen now, and where it
  /// was (x, y, width, height) before, to go back there.
  bool windowFullscreen = false;
  std::array<int, 4> windowedRect{0, 0, 1280, 800};

  bool active() const { return demo.has_value(); }
};

/// Opens demo `name` at 1-based `step` in `context` (the step's scene replaces the document). Throws InputError or
/// FileError (unknown demo, bad step).
void openDemo(AppContext& context, const std::string& name, int step);
/// Goes to 0-based `step` of the open demo (clamped), stopping any animation.
void goToDemoStep(AppContext& context, int step);
void closeDemo(AppContext& context);
/// Starts or pauses the step's animation (no effect for a step without one).
void toggleDemoAnimation(AppContext& context, double now);

/// Handles a presentation key (GLFW code). Returns true when it was used.
bool handleDemoKey(AppContext& context, ShellState& shell, int key, int modifiers);
/// Per frame, before the views draw: advances a playing animation (submitting the animated scene).
void tickDemo(AppContext& context, double now);
/// The Demos menu of the menu bar (one entry per shipped demo, plus presenter mode).
void drawDemosMenu(AppContext& context, ShellState& shell);
/// Height in pixels of the step-text panel at the bottom of the views region, `width` wide (0 when no demo is open);
/// `controls` reserves a line for the buttons (as drawDemoPanel's argument).
float demoPanelHeight(AppContext& context, float width, float regionHeight, bool controls);
/// Draws the step-text panel in the rectangle (x, y, w, h); buttons only when `controls`.
void drawDemoPanel(AppContext& context, ShellState& shell, float x, float y, float width, float height, bool controls);
/// True once after a step opened (the shell then tiles the step's views by its workspace, workspaces.h).
bool takeDemoLayoutRequest(AppContext& context);
/// Remembers where a view window is (outside presenter mode) / gives back its place after presenter mode ends.
void rememberViewRect(AppContext& context, ViewKind view, float x, float y, float width, float height);
bool takeRestoreRect(AppContext& context, ViewKind view, float out[4]);
/// True while presenter mode hides the menu bar, status bar and controls.
bool presenterActive(AppContext& context);

/// Window side of presenter mode, called by the window once per frame before NewFrame: toggles full screen and
/// rebuilds the fonts at the presenter scale (or back at `baseScale`). Needs the window's GL context current.
void syncPresenterWindow(GLFWwindow* window, AppContext& context, ShellState& shell, float baseScale);

}  // namespace attnscope::gui
