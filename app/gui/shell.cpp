// The shell around the views: menu bar, keyboard shortcuts, default layout, error banner, help, status bar and the
// open/save/export prompts; plus the offscreen renderer used by every PNG export.
#include "app/gui/shell.h"

// Key codes and modifiers only (GLFW_INCLUDE_NONE: no GL header): the shell's key events carry GLFW codes.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <utility>

#include "app/gui/export_formats.h"
#include "app/gui/heatmap_cache.h"
#include "app/gui/imgui_bridge.h"
#include "app/gui/model_session.h"
#include "app/gui/presenter.h"
#include "app/gui/scene_io.h"
#include "app/gui/workspaces.h"
#include "app/plot/paint.h"
#include "app/render/offscreen.h"
#include "app/render/png_io.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

constexpr const char* kFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr float kBaseFontPixels = 15.0f;
constexpr double kBannerSeconds = 8.0;

/// Opens one path prompt (they share the path field, so at most one is open) with `path` filled in.
void setPrompt(ShellState& shell, const std::string& path) {
  std::snprintf(shell.pathBuffer, sizeof shell.pathBuffer, "%s", path.c_str());
}

void closePrompts(ShellState& shell) {
  shell.showExportPrompt = shell.showOpenPrompt = shell.showSavePrompt = false;
  shell.showDataPrompt = shell.showFramesPrompt = false;
}

void openPrompt(ShellState& shell, bool ShellState::*prompt, const std::string& path) {
  closePrompts(shell);
  shell.*prompt = true;
  setPrompt(shell, path);
}

std::string folderOf(const std::string& path) {
  const std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

std::string defaultExportPath(const ShellState& shell, const char* name = "attnscope.png") {
  const std::string folder = shell.lastFolder.empty() ? std::string(".") : shell.lastFolder;
  return (std::filesystem::path(folder) / name).string();
}

void savePath(AppContext& context, ShellState& shell, const std::string& path) {
  try {
    saveSceneFile(path, context.scene());
    shell.scenePath = path;
    shell.lastFolder = folderOf(path);
    shell.showStatus("Saved " + path);
  } catch (const std::exception& e) {
    shell.showError(e.what());
  }
}

void toggleView(AppContext& context, ViewKind view, bool open) {
  Scene next = context.scene();
  // A view the current workspace has no place for opens in the workspace that has one (the model explorer in the
  // Model workspace), with the views open there.
  const WorkspaceInfo* home = workspaceShowing(view);
  const WorkspaceInfo& current = workspaceOf(next);
  if (open && home != nullptr && home != &current) {
    switchWorkspace(next, *home);
  } else {
    next.workspace = current.kind;  // an inferred workspace becomes explicit, so closing views does not change it
  }
  next.setViewOpen(view, open);
  const std::string id = viewInfo(view).id;
  context.submit(std::move(next), open ? "Open view " + id : "Close view " + id);
}

/// Switches to `workspace` as an undoable edit (its views open, the others close); nothing if it is current.
void chooseWorkspace(AppContext& context, const WorkspaceInfo& workspace) {
  if (&workspaceOf(context.scene()) == &workspace && context.scene().workspace == workspace.kind) return;
  Scene next = context.scene();
  switchWorkspace(next, workspace);
  context.submit(std::move(next), std::string("Workspace ") + workspace.title);
}

void handleShortcut(AppContext& context, ShellState& shell, const ShellState::KeyPress& press) {
  const bool ctrl = (press.modifiers & GLFW_MOD_CONTROL) != 0;
  const bool shift = (press.modifiers & GLFW_MOD_SHIFT) != 0;
  if (handleDemoKey(context, shell, press.key, press.modifiers)) return;  // presenter.cpp (issue 6)
  if (press.key == GLFW_KEY_F1) shell.showHelp = !shell.showHelp;
  if (press.key == GLFW_KEY_ESCAPE) closePrompts(shell);
  if (!ctrl) return;
  // Inside a text field Ctrl+Z/Y belong to the field's own undo.
  const bool typing = ImGui::GetIO().WantTextInput;
  if (press.key >= GLFW_KEY_1 && press.key <= GLFW_KEY_9 && !presenterActive(context)) {
    const std::size_t index = static_cast<std::size_t>(press.key - GLFW_KEY_1);
    if (index < allWorkspaces().size()) chooseWorkspace(context, allWorkspaces()[index]);
    return;
  }
  switch (press.key) {
    case 'Z':
      if (typing) break;
      if (shift)
        context.redo();
      else
        context.undo();
      break;
    case 'Y':
      if (!typing) context.redo();
      break;
    case 'E':
      openPrompt(shell, &ShellState::showExportPrompt, defaultExportPath(shell));
      break;
    case 'O':
      openPrompt(shell, &ShellState::showOpenPrompt,
                 shell.scenePath.empty() ? shell.lastFolder + "/" : shell.scenePath);
      break;
    case 'S':
      if (shell.scenePath.empty() || shift) {
        const std::string folder = shell.lastFolder.empty() ? std::string(".") : shell.lastFolder;
        openPrompt(shell, &ShellState::showSavePrompt,
                   shell.scenePath.empty() ? (std::filesystem::path(folder) / "scene.json").string() : shell.scenePath);
      } else {
        savePath(context, shell, shell.scenePath);
      }
      break;
    case 'R':
      if (shift) context.resetScene(defaultScene(), "Reset scene");
      break;
    case 'Q':
      shell.quitRequested = true;
      break;
    default:
      break;
  }
}

void handleShortcuts(AppContext& context, ShellState& shell) {
  for (const ShellState::KeyPress& press : std::exchange(shell.keyPresses, {})) handleShortcut(context, shell, press);
}

/// Publishes the centre of the last item as a probe (end-to-end tests aim real mouse input at it).
void probeLastItem(AppContext& context, const std::string& name) {
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  context.publishProbe(name, 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
}

void drawMenuBar(AppContext& context, ShellState& shell) {
  if (!ImGui::BeginMainMenuBar()) return;
  const bool fileMenu = ImGui::BeginMenu("File");
  if (!fileMenu) probeLastItem(context, "menu/File");
  if (fileMenu) {
    if (ImGui::MenuItem("Open scene...", "Ctrl+O")) {
      openPrompt(shell, &ShellState::showOpenPrompt,
                 shell.scenePath.empty() ? shell.lastFolder + "/" : shell.scenePath);
    }
    if (ImGui::MenuItem("Save scene", "Ctrl+S")) {
      if (shell.scenePath.empty()) {
        openPrompt(shell, &ShellState::showSavePrompt, "scene.json");
      } else {
        savePath(context, shell, shell.scenePath);
      }
    }
    if (ImGui::MenuItem("Save scene as...", "Ctrl+Shift+S")) {
      openPrompt(shell, &ShellState::showSavePrompt, shell.scenePath.empty() ? "scene.json" : shell.scenePath);
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Export PNG...", "Ctrl+E")) {
      openPrompt(shell, &ShellState::showExportPrompt, defaultExportPath(shell));
    }
    if (ImGui::MenuItem("Export plot as SVG...")) {
      // SVG is per plot view: preselect the view under the mouse when it has vectors, else the sweep.
      shell.exportWholeWindow = false;
      shell.exportView =
          shell.focusedView && viewSupportsSvg(*shell.focusedView) ? *shell.focusedView : ViewKind::Sweep;
      openPrompt(shell, &ShellState::showExportPrompt, defaultExportPath(shell, "attnscope.svg"));
    }
    probeLastItem(context, "menu/File/export-svg");
    if (ImGui::MenuItem("Export data (CSV, .npy)...")) {
      shell.dataView = shell.focusedView;
      openPrompt(shell, &ShellState::showDataPrompt, shell.lastFolder.empty() ? std::string(".") : shell.lastFolder);
    }
    probeLastItem(context, "menu/File/export-data");
    if (ImGui::MenuItem("Export sweep frames...")) {
      openPrompt(shell, &ShellState::showFramesPrompt, defaultExportPath(shell, "frame_%03d.png"));
    }
    probeLastItem(context, "menu/File/export-frames");
    ImGui::Separator();
    if (ImGui::MenuItem("Reset scene", "Ctrl+Shift+R")) context.resetScene(defaultScene(), "Reset scene");
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) shell.quitRequested = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Edit")) {
    UndoStack& undo = context.undoStack();
    const std::string undoText = undo.canUndo() ? "Undo " + undo.undoLabel() : std::string("Undo");
    const std::string redoText = undo.canRedo() ? "Redo " + undo.redoLabel() : std::string("Redo");
    if (ImGui::MenuItem(undoText.c_str(), "Ctrl+Z", false, undo.canUndo())) context.undo();
    if (ImGui::MenuItem(redoText.c_str(), "Ctrl+Shift+Z", false, undo.canRedo())) context.redo();
    ImGui::EndMenu();
  }
  const bool viewMenu = ImGui::BeginMenu("View");
  if (!viewMenu) probeLastItem(context, "menu/View");  // once open, the last item is the popup, not the header
  if (viewMenu) {
    const WorkspaceInfo& current = workspaceOf(context.scene());
    for (std::size_t i = 0; i < allWorkspaces().size(); ++i) {
      const WorkspaceInfo& workspace = allWorkspaces()[i];
      const std::string shortcut = i < 9 ? "Ctrl+" + std::to_string(i + 1) : std::string();
      const std::string label = std::string("Workspace: ") + workspace.title;
      if (ImGui::MenuItem(label.c_str(), shortcut.c_str(), &workspace == &current)) chooseWorkspace(context, workspace);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", workspace.tooltip);
    }
    ImGui::Separator();
    for (const ViewInfo& view : allViews()) {
      bool open = context.scene().isViewOpen(view.kind);
      if (ImGui::MenuItem(view.title, nullptr, &open)) toggleView(context, view.kind, open);
      probeLastItem(context, std::string("menu/View/") + view.id);
    }
    if (allViews().empty()) ImGui::TextDisabled("(no views registered)");
    ImGui::Separator();
    // Which kernels every view compares (maps, sweep, polar plot, bars); the last one shown cannot be switched off.
    if (ImGui::BeginMenu("Kernels")) {
      for (Kernel kernel : kAllKernels) {
        bool shown = context.scene().display.isKernelShown(kernel);
        const std::string name(kernelName(kernel));
        if (ImGui::MenuItem(name.c_str(), nullptr, &shown)) {
          Scene next = context.scene();
          if (next.display.setKernelShown(kernel, shown))
            context.submit(std::move(next), (shown ? "Show " : "Hide ") + name);
        }
        probeLastItem(context, "menu/View/Kernels/" + name);
      }
      ImGui::EndMenu();
    }
    if (ImGui::MenuItem("Reset window layout")) shell.resetLayoutRequested = true;
    ImGui::EndMenu();
  }
  drawDemosMenu(context, shell);
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Keyboard shortcuts", "F1")) shell.showHelp = true;
    ImGui::EndMenu();
  }
  ImGui::EndMainMenuBar();
}

void drawHelp(ShellState& shell) {
  if (!shell.showHelp) return;
  ImGui::SetNextWindowSize(ImVec2(30 * ImGui::GetFontSize(), 0), ImGuiCond_Appearing);
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::Begin("Help: keyboard shortcuts", &shell.showHelp, ImGuiWindowFlags_NoCollapse)) {
    static constexpr const char* kShortcuts[][2] = {
        {"Ctrl+Z", "Undo the last edit"},
        {"Ctrl+Shift+Z, Ctrl+Y", "Redo"},
        {"Ctrl+O", "Open a scene (.json, or a PNG exported by attnscope)"},
        {"Ctrl+S / Ctrl+Shift+S", "Save the scene / save as"},
        {"Ctrl+E", "Export the window or one view as PNG (1x, 2x, 4x), or a plot as .svg"},
        {"Ctrl+Shift+R", "Reset to the built-in default scene"},
        {"Ctrl+Q", "Quit"},
        {"Ctrl+1, Ctrl+2, Ctrl+3", "Workspace: Playground, Densities & alignment, Model (tabs under the menu)"},
        {"F1", "Show or hide this help"},
        {"F11 (Escape leaves)", "Presenter mode: full screen, large fonts, controls hidden"},
        {"Right / PageDown, Left / PageUp", "Next / previous step of the open demo (Demos menu)"},
        {"Space", "Play or pause the demo step's animation"},
        {"Drag an arrow tip", "Move a query or key (vector canvas)"},
        {"Shift while dragging", "Snap to 0/45/90/135/180 degrees (vector canvas)"},
        {"Ctrl+click a field", "Type a value instead of dragging"},
    };
    if (ImGui::BeginTable("shortcuts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
      for (const auto& row : kShortcuts) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(row[0]);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(row[1]);
      }
      ImGui::EndTable();
    }
  }
  ImGui::End();
}

/// The workspace tabs under the menu bar, from y; returns their height. A tab is a button (not an ImGui tab bar, whose
/// selection lags a frame behind a programmatic switch): the scene's workspace is the highlighted one.
float drawWorkspaceTabs(AppContext& context, ShellState& shell, float y, float width) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float height = ImGui::GetFrameHeight() + 2.0f * std::floor(3.0f * shell.uiScale);
  ImGui::SetNextWindowPos(ImVec2(0, y), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(width, height), ImGuiCond_Always);
  // No background of its own: the strip shows the frame's clear colour, which paintAroundBareWindows leaves alone
  // under it (a fill here would shade 1280 x 27 more pixels per frame on llvmpipe for the same look).
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding,
                      ImVec2(std::floor(4 * shell.uiScale), std::floor(3 * shell.uiScale)));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  // A strip lower than ImGui's 32 px minimum window size: without this it would grow over the views below it.
  ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, ImVec2(1.0f, 1.0f));
  if (ImGui::Begin("##workspaces", nullptr, flags)) {
    const WorkspaceInfo& current = workspaceOf(context.scene());
    for (std::size_t i = 0; i < allWorkspaces().size(); ++i) {
      const WorkspaceInfo& workspace = allWorkspaces()[i];
      const bool active = &workspace == &current;
      // The current tab in the bright pressed-button blue, the others dim: which one is chosen reads at a glance.
      ImGui::PushStyleColor(ImGuiCol_Button, style.Colors[active ? ImGuiCol_ButtonActive : ImGuiCol_FrameBg]);
      ImGui::PushStyleColor(ImGuiCol_ButtonHovered, style.Colors[ImGuiCol_ButtonHovered]);
      ImGui::PushStyleColor(ImGuiCol_ButtonActive, style.Colors[ImGuiCol_ButtonActive]);
      if (i > 0) ImGui::SameLine();
      if (ImGui::Button(workspace.title)) chooseWorkspace(context, workspace);
      probeLastItem(context, "workspace/" + std::string(workspaceName(workspace.kind)));
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", workspace.tooltip);
      ImGui::PopStyleColor(3);
    }
  }
  ImGui::End();
  ImGui::PopStyleVar(4);
  return height;
}

void drawBanner(ShellState& shell, float y, float width) {
  const double now = ImGui::GetTime();
  while (!shell.banners.empty() && now - shell.banners.front().shownAt > kBannerSeconds) shell.banners.pop_front();
  if (shell.banners.empty()) return;
  ImGui::SetNextWindowPos(ImVec2(width * 0.5f, y + 4), ImGuiCond_Always, ImVec2(0.5f, 0.0f));
  ImGui::SetNextWindowBgAlpha(0.95f);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, ImVec4(0.55f, 0.08f, 0.08f, 1.0f));
  ImGui::PushStyleColor(ImGuiCol_Border, ImVec4(1.0f, 0.5f, 0.5f, 1.0f));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                                 ImGuiWindowFlags_NoNav;
  if (ImGui::Begin("##error-banner", nullptr, flags)) {
    ImGui::PushTextWrapPos(width * 0.6f);
    for (const auto& banner : shell.banners) ImGui::TextUnformatted(banner.text.c_str());
    ImGui::PopTextWrapPos();
    if (ImGui::SmallButton("Dismiss")) shell.banners.clear();
  }
  ImGui::End();
  ImGui::PopStyleColor(2);
}

void drawStatusBar(AppContext& context, ShellState& shell, float y, float width, float height) {
  ImGui::SetNextWindowPos(ImVec2(0, y), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(width, height), ImGuiCond_Always);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav |
                                 ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8 * shell.uiScale, 3 * shell.uiScale));
  if (ImGui::Begin("##status-bar", nullptr, flags)) {
    std::vector<float> times(shell.frameMilliseconds.begin(), shell.frameMilliseconds.end());
    float median = 0;
    if (!times.empty()) {
      std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
      median = times[times.size() / 2];
    }
    const Scene& scene = context.scene();
    ImGui::Text("frame %.1f ms  |  %d queries, %d keys, d = %d  |  s = %.4g  |  revision %llu", median,
                scene.queryCount(), scene.keyCount(), scene.dimension(), scene.effectiveScale(),
                static_cast<unsigned long long>(context.revision()));
    if (context.derived().sceneRevision != context.revision()) {
      // During a drag Derived is computed in the background (AppContext::setBackgroundDivergences): say so.
      ImGui::SameLine();
      ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.3f, 1.0f), "|  views show revision %llu (computing)",
                         static_cast<unsigned long long>(context.derived().sceneRevision));
    }
    const std::string& file = shell.scenePath.empty() ? std::string("(unsaved scene)") : shell.scenePath;
    ImGui::SameLine();
    ImGui::TextDisabled("|  %s", file.c_str());
    if (ImGui::GetTime() - shell.statusMessageAt < 5.0) {
      ImGui::SameLine();
      ImGui::TextColored(ImVec4(0.5f, 0.9f, 0.5f, 1.0f), "|  %s", shell.statusMessage.c_str());
    }
  }
  ImGui::End();
  ImGui::PopStyleVar();
}

/// The export prompts' choices (size of the window in screen units, 1x/2x/4x, background, view) as options.
ExportOptions exportOptionsFromPrompt(const ShellState& shell) {
  ExportOptions options;
  const ImVec2 size = ImGui::GetIO().DisplaySize;
  options.width = static_cast<int>(size.x / shell.uiScale);
  options.height = static_cast<int>(size.y / shell.uiScale);
  options.scale = std::array<float, 3>{1.0f, 2.0f, 4.0f}[std::clamp(shell.exportScaleChoice, 0, 2)];
  options.transparent = shell.exportTransparent;
  if (!shell.exportWholeWindow) options.view = viewInfo(shell.exportView).id;
  return options;
}

void drawPathPrompt(const char* title, bool& open, ShellState& shell, const std::function<void(std::string)>& accept,
                    const std::function<void()>& extra = {}) {
  if (!open) return;
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(36 * ImGui::GetFontSize(), 0), ImGuiCond_Appearing);
  if (ImGui::Begin(title, &open, ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings)) {
    ImGui::TextUnformatted("File:");
    ImGui::SetNextItemWidth(-1);
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    const bool entered =
        ImGui::InputText("##path", shell.pathBuffer, sizeof shell.pathBuffer, ImGuiInputTextFlags_EnterReturnsTrue);
    if (extra) extra();
    if (ImGui::Button("OK") || entered) {
      open = false;
      accept(shell.pathBuffer);
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) open = false;
  }
  ImGui::End();
}

void drawPrompts(AppContext& context, ShellState& shell) {
  // Which prompt is open, for end-to-end tests (they type into it only once it is there).
  context.clearProbes("prompt/");
  const ImVec2 centre = ImGui::GetMainViewport()->GetCenter();
  const std::pair<const char*, bool> prompts[] = {{"prompt/export", shell.showExportPrompt},
                                                  {"prompt/data", shell.showDataPrompt},
                                                  {"prompt/frames", shell.showFramesPrompt}};
  for (const auto& [name, open] : prompts)
    if (open) context.publishProbe(name, centre.x, centre.y);
  drawPathPrompt("Open scene", shell.showOpenPrompt, shell,
                 [&](const std::string& path) { openPath(context, shell, path); });
  drawPathPrompt("Save scene as", shell.showSavePrompt, shell,
                 [&](const std::string& path) { savePath(context, shell, path); });
  drawPathPrompt(
      "Export PNG", shell.showExportPrompt, shell,
      [&](const std::string& path) {
        shell.pendingExports.push_back({exportOptionsFromPrompt(shell), path, 0});
        shell.lastFolder = folderOf(path);
      },
      [&] {
        ImGui::RadioButton("1x", &shell.exportScaleChoice, 0);
        ImGui::SameLine();
        ImGui::RadioButton("2x", &shell.exportScaleChoice, 1);
        ImGui::SameLine();
        ImGui::RadioButton("4x", &shell.exportScaleChoice, 2);
        ImGui::SameLine();
        ImGui::Checkbox("Transparent background", &shell.exportTransparent);
        ImGui::Checkbox("Whole window", &shell.exportWholeWindow);
        if (!shell.exportWholeWindow) {
          if (ImGui::BeginCombo("View", viewInfo(shell.exportView).title)) {
            for (const ViewInfo& view : allViews())
              if (ImGui::Selectable(view.title, shell.exportView == view.kind)) shell.exportView = view.kind;
            ImGui::EndCombo();
          }
        }
        ImGui::TextDisabled("A name ending in .svg writes vectors (views: sweep, canvas, divergence).");
      });
  drawPathPrompt(
      "Export data (CSV, .npy)", shell.showDataPrompt, shell,
      [&](const std::string& folder) {
        try {
          const auto written = exportData(context, shell.dataView ? viewInfo(*shell.dataView).id : "", folder);
          shell.lastFolder = folder;
          shell.showStatus("Wrote " + std::to_string(written.size()) + " files into " + folder);
        } catch (const std::exception& e) {
          shell.showError(e.what());
        }
      },
      [&] {
        if (ImGui::BeginCombo("View", shell.dataView ? viewInfo(*shell.dataView).title : "Every view")) {
          if (ImGui::Selectable("Every view", !shell.dataView)) shell.dataView.reset();
          for (const ViewInfo& view : allViews())
            if (ImGui::Selectable(view.title, shell.dataView == view.kind)) shell.dataView = view.kind;
          ImGui::EndCombo();
        }
        ImGui::TextDisabled("An existing folder; curves and tables as .csv, matrices as .npy.");
      });
  drawPathPrompt(
      "Export sweep frames", shell.showFramesPrompt, shell,
      [&](const std::string& pattern) {
        shell.pendingExports.push_back(
            {exportOptionsFromPrompt(shell), pattern, std::clamp(shell.sweepFrameCount, 2, 3600)});
        shell.lastFolder = folderOf(pattern);
      },
      [&] {
        ImGui::SliderInt("Frames", &shell.sweepFrameCount, 2, 361);
        ImGui::TextDisabled("The selected key turns 0..180 degrees around the selected query; %%03d numbers frames.");
        ImGui::TextDisabled("Size, scale and view: as in the Export PNG prompt.");
      });
}

// --- View windows without a background fill -------------------------------------------------------------------------
// llvmpipe shades every pixel of every window background, and the tiled views cover most of the frame: the
// backgrounds were about a third of the pixels it shaded, over a framebuffer that was cleared anyway. A view window
// that no other window overlaps is drawn with ImGuiWindowFlags_NoBackground over a frame cleared to exactly its
// background colour; the space around such windows is painted in the old clear colour and their rounded corners are
// redrawn as ImGui draws them, so the pixels are the same as with backgrounds (the golden images prove it).

/// The colour the frame was always cleared to around the windows (70% of the window background), as the bytes GL's
/// clear stores (round to nearest).
ImU32 surroundColour() {
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  auto byte = [](float v) { return static_cast<int>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  return IM_COL32(byte(bg.x * 0.7f), byte(bg.y * 0.7f), byte(bg.z * 0.7f), 255);
}

void setClearColour(ShellState& shell, ImU32 colour) {
  const ImVec4 c = ImGui::ColorConvertU32ToFloat4(colour);
  shell.clearColour[0] = c.x, shell.clearColour[1] = c.y, shell.clearColour[2] = c.z, shell.clearColour[3] = c.w;
}

}  // namespace

void openPath(AppContext& context, ShellState& shell, const std::string& path) {
  if (openDroppedModel(context, path)) return;  // models run in the model session; its errors reach the banner
  try {
    std::vector<std::string> warnings;
    Scene scene = loadSceneFile(path, &warnings);
    context.resetScene(std::move(scene), "Open " + path);
    shell.scenePath = path;
    shell.lastFolder = folderOf(path);
    for (const auto& warning : warnings) shell.showError("warning: " + warning);
    shell.showStatus("Opened " + path);
  } catch (const std::exception& e) {
    shell.showError(e.what());
  }
}

void ShellState::showStatus(std::string message) {
  statusMessage = std::move(message);
  statusMessageAt = ImGui::GetCurrentContext() ? ImGui::GetTime() : 0.0;
}

void ShellState::showError(std::string message) {
  banners.push_back({std::move(message), ImGui::GetCurrentContext() ? ImGui::GetTime() : 0.0});
  while (banners.size() > 4) banners.pop_front();
}

void setupFontsAndStyle(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFont* font = nullptr;
  if (std::filesystem::exists(kFontPath)) {
    ImFontConfig config;
    config.OversampleH = 2;
    font = io.Fonts->AddFontFromFileTTF(kFontPath, std::round(kBaseFontPixels * scale), &config);
  }
  if (font == nullptr) {
    ImFontConfig config;
    config.SizePixels = std::round(13.0f * scale);
    io.Fonts->AddFontDefault(&config);
  }
  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 4.0f;
  style.FrameRounding = 3.0f;
  style.GrabRounding = 3.0f;
  style.WindowTitleAlign = ImVec2(0.02f, 0.5f);
  style.Colors[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
  style.Colors[ImGuiCol_TitleBgActive] = ImVec4(0.16f, 0.29f, 0.48f, 1.0f);
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

void drawUi(AppContext& context, ShellState& shell, const FrameLayout& layout) {
  float top = 0.0f;
  float bottom = layout.height;
  const bool solo = layout.soloView.has_value();
  // Presenter mode (presenter.h) hides the menu bar, the status bar and the parameter controls.
  const bool presenting = layout.interactive && presenterActive(context);
  if (layout.interactive) {
    handleShortcuts(context, shell);
    tickDemo(context, ImGui::GetTime());
    if (!presenting) {
      drawMenuBar(context, shell);
      top = ImGui::GetFrameHeight();
      top += drawWorkspaceTabs(context, shell, top, layout.width);
      bottom = layout.height - (ImGui::GetTextLineHeight() + 8 * shell.uiScale);
    }
  }
  for (std::string& error : context.takeErrors()) shell.showError(std::move(error));
  // The views republish the widgets and plot corners they draw this frame (views::probeControl).
  if (layout.interactive) context.clearProbes("control/"), context.clearProbes("view/");

  // An open demo puts its step text under the views and arranges them for the step.
  const float demoPanel = solo ? 0.0f : demoPanelHeight(context, layout.width, bottom - top, layout.interactive);
  bottom -= demoPanel;
  // Presenter mode always fills the screen with the shown views (demo or not), as a demo step does.
  const bool demoLayout =
      (demoPanel > 0 && (takeDemoLayoutRequest(context) || layout.forceLayout)) || (presenting && !solo);
  context.setPresenting(presenting);
  auto shown = [&](const ViewInfo& view) {
    if (solo) return layout.soloView == view.kind;
    return context.scene().isViewOpen(view.kind) && !(presenting && view.kind == ViewKind::Parameters);
  };
  const std::span<const ViewInfo> views = allViews();
  // The workspace tiles the shown views; a different workspace or set of shown views (a view opened or closed, a
  // workspace switched, presenter mode) places them anew. The first frame keeps a remembered layout.
  const WorkspaceInfo& workspace = workspaceOf(context.scene());
  std::vector<ViewKind> shownViews;
  for (const ViewInfo& view : views)
    if (shown(view)) shownViews.push_back(view.kind);
  const std::vector<LayoutRect> tiles = tileWorkspace(workspace, shownViews, 0.0f, top, layout.width, bottom - top,
                                                      std::floor(4.0f * shell.uiScale), presenting && !solo);
  std::string tiling(workspaceName(workspace.kind));
  for (ViewKind view : shownViews) tiling += std::string(" ") + viewInfo(view).id;
  const bool tilingChanged = !shell.tiling.empty() && shell.tiling != tiling;
  shell.tiling = tiling;
  int placed = 0;

  const bool forceLayout = layout.forceLayout || shell.resetLayoutRequested || demoLayout || tilingChanged;
  shell.resetLayoutRequested = false;
  shell.focusedView.reset();
  const ImGuiCond placement = forceLayout ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
  // Placement first, for every shown view, so each can know before its Begin whether another window overlaps it.
  struct Placement {
    const ViewInfo* view = nullptr;
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoCollapse;
    float rect[4] = {0, 0, 0, 0};
    ImGuiCond cond = 0;
    std::optional<PixelRect> predicted;
  };
  std::vector<Placement> placements;
  std::vector<const char*> viewTitles;
  for (const ViewInfo& view : views) viewTitles.push_back(view.title);
  for (const ViewInfo& view : views) {
    if (!shown(view)) continue;
    Placement& p = placements.emplace_back();
    p.view = &view;
    // Presenter mode places the windows every frame: moving or resizing them would only fight that.
    if (presenting) p.flags |= ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize;
    if (solo) {
      p.rect[0] = 0, p.rect[1] = top, p.rect[2] = layout.width, p.rect[3] = bottom - top;
      p.flags |= ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings;
      p.cond = ImGuiCond_Always;
    } else {
      const LayoutRect& tile = tiles[static_cast<std::size_t>(placed++)];
      p.rect[0] = tile.x, p.rect[1] = tile.y, p.rect[2] = tile.width, p.rect[3] = tile.height;
      const bool restore = !presenting && takeRestoreRect(context, view.kind, p.rect);  // back from presenter mode
      p.cond = restore ? ImGuiCond_Always : placement;
    }
    p.predicted = predictedWindowRect(view.title, p.cond == ImGuiCond_Always, p.rect);
  }
  // Controllers before any drawing: every shown view polls its background work and submits its edits (View::update).
  for (const Placement& p : placements) {
    try {
      context.view(p.view->kind).update(context);
    } catch (const std::exception& e) {
      shell.showError(std::string(p.view->title) + ": " + e.what());
    }
  }
  // Backgrounds can go only when the background is opaque and the frame is not exported transparent.
  const ImVec4 windowBg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  const bool mayDropBackgrounds = !layout.transparent && windowBg.w >= 1.0f && ImGui::GetStyle().Alpha >= 1.0f;
  const std::vector<PixelRect> others = mayDropBackgrounds ? otherWindowRects(viewTitles) : std::vector<PixelRect>{};
  BareWindows bare;
  for (const Placement& p : placements) {
    const ViewInfo& view = *p.view;
    const bool isSolo = solo && layout.soloView == view.kind;
    ImGuiWindowFlags flags = p.flags;
    bool dropBackground = mayDropBackgrounds && p.predicted && integral(*p.predicted);
    for (const PixelRect& other : others) dropBackground = dropBackground && !overlaps(*p.predicted, other);
    for (const Placement& q : placements) {
      if (!dropBackground) break;
      // Unknown rectangles count as overlapping: a window appearing somewhere keeps every background this frame.
      if (&q != &p) dropBackground = q.predicted && !overlaps(*p.predicted, *q.predicted);
    }
    if (dropBackground) flags |= ImGuiWindowFlags_NoBackground;
    ImGui::SetNextWindowPos(ImVec2(p.rect[0], p.rect[1]), p.cond);
    ImGui::SetNextWindowSize(ImVec2(p.rect[2], p.rect[3]), p.cond);
    if (isSolo && layout.transparent) ImGui::SetNextWindowBgAlpha(0.0f);
    bool open = true;
    const bool closable = layout.interactive && !isSolo && !presenting;
    const bool visible = ImGui::Begin(view.title, closable ? &open : nullptr, flags);
    if (dropBackground) bare.addCurrentWindow();
    if (visible) {
      if (ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows)) shell.focusedView = view.kind;
      if (layout.interactive && !presenting && !isSolo) {
        const ImVec2 position = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
        rememberViewRect(context, view.kind, position.x, position.y, size.x, size.y);
      }
      // Text wraps at the window's right edge (not cut off there): hints and sentences in narrow views take more lines.
      ImGui::PushTextWrapPos(0.0f);
      try {
        context.view(view.kind).draw(context);
      } catch (const std::exception& e) {
        // A view failing must not take the app down: report it and keep drawing the others.
        shell.showError(std::string(view.title) + ": " + e.what());
      }
      ImGui::PopTextWrapPos();
    }
    ImGui::End();
    if (!open) toggleView(context, view.kind, false);
  }
  if (allViews().empty()) {
    ImGui::SetNextWindowPos(ImVec2(layout.width * 0.5f, (top + bottom) * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::Begin("attnscope", nullptr, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings);
    ImGui::TextUnformatted("No views are registered in this build (app/views/view_list.cpp).");
    ImGui::End();
  }
  if (demoPanel > 0) drawDemoPanel(context, shell, 0.0f, bottom, layout.width, demoPanel, layout.interactive);
  if (layout.interactive && !presenting) {
    drawHelp(shell);
    drawPrompts(context, shell);
    drawStatusBar(context, shell, bottom + demoPanel, layout.width, layout.height - bottom - demoPanel);
  }
  drawBanner(shell, top, layout.width);
  setClearColour(shell, bare.paintAround(surroundColour()));
}

render::Image renderUiImage(AppContext& context, const ExportOptions& options, plot::VectorSink* vectorSink) {
  if (options.width < 16 || options.height < 16 || options.width > 8192 || options.height > 8192)
    throw InputError("export size " + std::to_string(options.width) + " x " + std::to_string(options.height) +
                     " is outside 16..8192 per side");
  if (!(options.scale >= 0.25f && options.scale <= 8.0f))
    throw InputError("export scale " + std::to_string(options.scale) + " is outside 0.25..8");
  if (!options.view.empty() && findView(options.view) == nullptr) {
    std::string known;
    for (const ViewInfo& view : allViews()) known += std::string(known.empty() ? "" : ", ") + view.id;
    throw InputError("no view named \"" + options.view + "\" (views: " + (known.empty() ? "none" : known) + ")");
  }
  const int pixelWidth = static_cast<int>(std::lround(options.width * options.scale));
  const int pixelHeight = static_cast<int>(std::lround(options.height * options.scale));
  render::OffscreenTarget target(pixelWidth, pixelHeight);

  // A private ImGui context: its own font atlas at the export scale, no ini file, no input.
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImFontAtlas* atlas = IM_NEW(ImFontAtlas)();
  ImGuiContext* exportContext = ImGui::CreateContext(atlas);
  ImGui::SetCurrentContext(exportContext);
  ImGui::GetIO().IniFilename = nullptr;
  ImGui::GetIO().LogFilename = nullptr;
  setupFontsAndStyle(options.scale);
  std::unique_ptr<GpuHeatmapCache> ownCache;
  HeatmapCache* const previousCache = context.heatmapsOrNull();
  if (previousCache == nullptr) {
    ownCache = std::make_unique<GpuHeatmapCache>();
    context.setHeatmapCache(ownCache.get());
  }
  const bool wasExporting = context.exporting();
  const float previousScale = context.uiScale();
  context.setExporting(true);
  context.setUiScale(options.scale);
  render::Image image;
  auto cleanUp = [&] {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext(exportContext);
    IM_DELETE(atlas);
    ImGui::SetCurrentContext(previous);
    context.setExporting(wasExporting);
    context.setUiScale(previousScale);
    if (ownCache) context.setHeatmapCache(previousCache);
  };
  try {
    ImGui_ImplOpenGL3_Init("#version 330 core");
    ShellState shell;
    shell.uiScale = options.scale;
    FrameLayout layout;
    layout.width = static_cast<float>(pixelWidth);
    layout.height = static_cast<float>(pixelHeight);
    if (!options.view.empty()) layout.soloView = findView(options.view)->kind;  // checked above
    layout.interactive = false;
    layout.forceLayout = true;
    layout.transparent = options.transparent;
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(layout.width, layout.height);
    io.DeltaTime = 1.0f / 60.0f;
    // Park the mouse outside the frame so no hover highlight lands in the image.
    io.MousePos = ImVec2(-1e6f, -1e6f);
    // Frame 1 measures auto-sized content, frame 2 draws it settled; a third costs little and absorbs any
    // one-frame-late layout in views.
    const plot::ScopedVectorSink recording(vectorSink);  // in the export's own context, gone with it
    for (int frame = 0; frame < 3; ++frame) {
      ImGui_ImplOpenGL3_NewFrame();
      ImGui::NewFrame();
      drawUi(context, shell, layout);
      ImGui::Render();
      target.bind();
      if (options.transparent)
        glClearColor(0, 0, 0, 0);
      else
        glClearColor(shell.clearColour[0], shell.clearColour[1], shell.clearColour[2], 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    }
    glFinish();
    image = target.read();
    for (auto& banner : shell.banners) context.reportError(banner.text);
  } catch (...) {
    cleanUp();
    throw;
  }
  cleanUp();
  return image;
}

void exportPng(AppContext& context, const ExportOptions& options, const std::string& path) {
  const render::Image image = renderUiImage(context, options);
  render::PngWriteOptions png;
  png.keepAlpha = options.transparent;
  png.text[kPngSceneKey] = sceneToString(context.scene());
  png.text["Software"] = "attnscope 0.1.0";
  png.text["Title"] = options.view.empty() ? std::string("attnscope") : "attnscope: " + options.view;
  render::writePngAtomic(path, image, png);
}

}  // namespace attnscope::gui
