// Demo playback and presenter mode (issue 6). Scenes change through the AppContext like every other edit: opening a
// step resets the document (like opening a file), an animation frame is one merged "Demo animation" edit.
#include "app/gui/presenter.h"

#include <glad/gl.h>
// glad first: GLFW_INCLUDE_NONE keeps GLFW from pulling in a second GL header.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"

namespace attnscope::gui {
namespace {

void enterStep(AppContext& context, DemoPlayer& player, int step) {
  const Demo& demo = *player.demo;
  player.step = std::clamp(step, 0, static_cast<int>(demo.steps.size()) - 1);
  const DemoStep& s = demo.steps[static_cast<std::size_t>(player.step)];
  // The text's numbers come from the step's own scene, not from an animation frame or a later edit.
  Derived derived;
  computeDerived(s.scene, 1, derived);
  player.stepText = renderStepText(s, derived);
  player.playing = false;
  player.pausedAt = 0;
  player.layoutRequested = true;
  context.resetScene(s.scene, "Demo " + demo.name + " step " + std::to_string(player.step + 1));
}

const DemoStep* currentStep(const DemoPlayer& player) {
  if (!player.demo) return nullptr;
  return &player.demo->steps[static_cast<std::size_t>(player.step)];
}

void setPresenter(DemoPlayer& player, bool on) {
  if (player.presenter == on) return;
  player.presenter = on;
  if (on)
    player.restoreRects.clear();
  else
    player.restoreRects = player.lastRects;  // lastRects stopped updating while presenter mode forced the layout
}

}  // namespace

bool presenterActive(AppContext& context) {
  return context.demoPlayer().presenter;
}

void openDemo(AppContext& context, const std::string& name, int step) {
  Demo demo = loadDemo(name);
  if (step < 1 || step > static_cast<int>(demo.steps.size()))
    throw InputError("demo " + name + " has steps 1.." + std::to_string(demo.steps.size()) + ", not " +
                     std::to_string(step));
  DemoPlayer& player = context.demoPlayer();
  player.demo = std::move(demo);
  enterStep(context, player, step - 1);
}

void goToDemoStep(AppContext& context, int step) {
  DemoPlayer& player = context.demoPlayer();
  if (!player.demo) return;
  enterStep(context, player, step);
}

void closeDemo(AppContext& context) {
  DemoPlayer& player = context.demoPlayer();
  player.demo.reset();
  player.playing = false;
  player.stepText.clear();
}

void toggleDemoAnimation(AppContext& context, double now) {
  DemoPlayer& player = context.demoPlayer();
  const DemoStep* step = currentStep(player);
  if (step == nullptr || !step->animation) return;
  if (player.playing) {
    player.pausedAt = now - player.playStart;
    player.playing = false;
  } else {
    player.playStart = now - player.pausedAt;
    player.playing = true;
  }
}

bool handleDemoKey(AppContext& context, ShellState& shell, int key, int modifiers) {
  (void)shell;
  DemoPlayer& player = context.demoPlayer();
  if ((modifiers & 0xF) != 0) return false;  // shift, control, alt, super: those keys mean something else
  if (key == GLFW_KEY_F11) {
    setPresenter(player, !player.presenter);
    return true;
  }
  if (key == GLFW_KEY_ESCAPE && player.presenter) {
    setPresenter(player, false);
    return true;
  }
  // Arrows and Space belong to a text field while one is being edited.
  if (!player.demo || ImGui::GetIO().WantTextInput) return false;
  if (key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN) {
    goToDemoStep(context, player.step + 1);
    return true;
  }
  if (key == GLFW_KEY_LEFT || key == GLFW_KEY_PAGE_UP) {
    goToDemoStep(context, player.step - 1);
    return true;
  }
  if (key == GLFW_KEY_SPACE) {
    toggleDemoAnimation(context, ImGui::GetTime());
    return true;
  }
  return false;
}

void tickDemo(AppContext& context, double now) {
  DemoPlayer& player = context.demoPlayer();
  const DemoStep* step = currentStep(player);
  if (step == nullptr || !player.playing || !step->animation) return;
  context.submit(animatedScene(step->scene, *step->animation, now - player.playStart), "Demo animation",
                 EditMerge::Continuous);
}

void drawDemosMenu(AppContext& context, ShellState& shell) {
  if (!ImGui::BeginMenu("Demos")) return;
  DemoPlayer& player = context.demoPlayer();
  const std::string directory = demoDirectory();
  const auto names = listDemos(directory);
  if (names.empty()) ImGui::TextDisabled("(no demos found: assets/demos or $ATTNSCOPE_DEMO_DIR)");
  for (const std::string& name : names) {
    const bool current = player.demo && player.demo->name == name;
    if (ImGui::MenuItem(name.c_str(), nullptr, current)) {
      try {
        openDemo(context, name, 1);
      } catch (const std::exception& e) {
        shell.showError(e.what());
      }
    }
  }
  ImGui::Separator();
  bool presenter = player.presenter;
  if (ImGui::MenuItem("Presenter mode", "F11", &presenter)) setPresenter(player, presenter);
  if (ImGui::MenuItem("Close demo", nullptr, false, player.demo.has_value())) closeDemo(context);
  ImGui::EndMenu();
}

float demoPanelHeight(AppContext& context, float width, float regionHeight, bool controls) {
  const DemoPlayer& player = context.demoPlayer();
  const DemoStep* step = currentStep(player);
  if (step == nullptr) return 0.0f;
  // Sized to the wrapped text, so a long explanation is never cut off and a short one wastes no space.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float wrapWidth = std::max(width - 2 * style.WindowPadding.x, 10.0f);
  const float text = ImGui::CalcTextSize(player.stepText.c_str(), nullptr, false, wrapWidth).y;
  const float line = ImGui::GetTextLineHeightWithSpacing();
  const float extraLines = 1.0f + (step->animation ? 1.0f : 0.0f) + (controls && !player.presenter ? 1.6f : 0.0f);
  const float height = text + extraLines * line + 2 * style.WindowPadding.y + 3 * style.ItemSpacing.y;
  return std::min(height, regionHeight * 0.45f);
}

void drawDemoPanel(AppContext& context, ShellState& shell, float x, float y, float width, float height, bool controls) {
  (void)shell;
  DemoPlayer& player = context.demoPlayer();
  const DemoStep* step = currentStep(player);
  if (step == nullptr) return;
  ImGui::SetNextWindowPos(ImVec2(x, y), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(width, height), ImGuiCond_Always);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;
  if (ImGui::Begin("##demo-step", nullptr, flags)) {
    const int count = static_cast<int>(player.demo->steps.size());
    ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "%s  -  step %d of %d: %s", player.demo->title.c_str(),
                       player.step + 1, count, step->title.c_str());
    if (step->animation)
      ImGui::TextDisabled(player.playing ? "(animation playing: Space pauses)" : "(animated step: Space plays)");
    ImGui::Separator();
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(player.stepText.c_str());
    ImGui::PopTextWrapPos();
    if (controls && !player.presenter) {
      ImGui::Spacing();
      ImGui::BeginDisabled(player.step == 0);
      if (ImGui::Button("< Previous")) goToDemoStep(context, player.step - 1);
      ImGui::EndDisabled();
      ImGui::SameLine();
      ImGui::BeginDisabled(player.step + 1 >= count);
      if (ImGui::Button("Next >")) goToDemoStep(context, player.step + 1);
      ImGui::EndDisabled();
      if (step->animation) {
        ImGui::SameLine();
        if (ImGui::Button(player.playing ? "Pause" : "Play")) toggleDemoAnimation(context, ImGui::GetTime());
      }
      ImGui::SameLine();
      if (ImGui::Button("Presenter mode (F11)")) setPresenter(player, true);
      ImGui::SameLine();
      if (ImGui::Button("Close demo")) closeDemo(context);
    }
  }
  ImGui::End();
}

bool takeDemoLayoutRequest(AppContext& context) {
  return std::exchange(context.demoPlayer().layoutRequested, false);
}

void rememberViewRect(AppContext& context, ViewKind view, float x, float y, float width, float height) {
  context.demoPlayer().lastRects[view] = {x, y, width, height};
}

bool takeRestoreRect(AppContext& context, ViewKind view, float out[4]) {
  auto& rects = context.demoPlayer().restoreRects;
  const auto it = rects.find(view);
  if (it == rects.end()) return false;
  std::copy(it->second.begin(), it->second.end(), out);
  rects.erase(it);
  return true;
}

void syncPresenterWindow(GLFWwindow* window, AppContext& context, ShellState& shell, float baseScale) {
  DemoPlayer& player = context.demoPlayer();
  bool& fullscreen = player.windowFullscreen;
  int* windowed = player.windowedRect.data();
  if (player.presenter != fullscreen) {
    GLFWmonitor* monitor = glfwGetPrimaryMonitor();
    const GLFWvidmode* mode = monitor != nullptr ? glfwGetVideoMode(monitor) : nullptr;
    if (player.presenter && mode != nullptr) {
      glfwGetWindowPos(window, &windowed[0], &windowed[1]);
      glfwGetWindowSize(window, &windowed[2], &windowed[3]);
      glfwSetWindowMonitor(window, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
    } else if (!player.presenter) {
      glfwSetWindowMonitor(window, nullptr, windowed[0], windowed[1], windowed[2], windowed[3], GLFW_DONT_CARE);
    }
    fullscreen = player.presenter;
  }
  const float wanted = player.presenter ? baseScale * player.presenterFontFactor : baseScale;
  if (std::abs(wanted - shell.uiScale) > 1e-3f) {
    // Fonts rebuilt at the new size (crisp), not stretched with FontGlobalScale.
    setupFontsAndStyle(wanted);
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
    shell.uiScale = wanted;
    context.setUiScale(wanted);
  }
}

}  // namespace attnscope::gui
