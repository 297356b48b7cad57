// The window's UI (drawUi) frame by frame in a private ImGui context, without GL: frames are built, never rendered,
// and heatmaps get no texture. A fixture for GUI tests that drive the real shell with keys and mouse clicks at the
// probes the views publish (AppContext::publishProbe): tests/trainws/train_view_test.cpp's TrainUi and
// tests/gui/shell_layout_test.cpp's InteractiveUi derive from it.
#pragma once

#include <gtest/gtest.h>
#include <imgui.h>

#include <string>

#include "app/gui/shell.h"

namespace attnscope::gui {

/// Heatmaps without GL: no texture (views draw their frames and skip the image).
class NoTextures : public HeatmapCache {
 public:
  unsigned texture(const std::string&, std::uint64_t, const MatrixView&, const HeatmapStyle&) override { return 0; }
};

class HeadlessUi : public ::testing::Test {
 protected:
  /// The window size in pixels (the layout and ImGui's display).
  explicit HeadlessUi(float width = 1280, float height = 800) : width_(width), height_(height) {}

  void SetUp() override {
    imgui_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(width_, height_);
    setupFontsAndStyle(1.0f);
    // The font atlas must be built before the first frame; with no renderer nobody else builds it.
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    context_.setHeatmapCache(&textures_);
    context_.refreshDerived();
    layout_.width = width_;
    layout_.height = height_;
  }
  void TearDown() override { ImGui::DestroyContext(imgui_); }

  void frames(int count) {
    for (int i = 0; i < count; ++i) {
      ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
      ImGui::NewFrame();
      drawUi(context_, shell_, layout_);
      ImGui::EndFrame();
      context_.endFrame();
    }
  }

  /// A mouse click at probe `name` (published last frame): hover, press, release, one frame each (ImGui 1.86 samples
  /// the mouse once per frame; a button fires on release).
  void click(const std::string& name) {
    ASSERT_TRUE(context_.probes().count(name)) << name;
    const auto p = context_.probes().at(name);
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(p[0], p[1]);
    frames(1);
    io.MouseDown[0] = true;
    frames(1);
    io.MouseDown[0] = false;
    frames(1);
  }

  float width_, height_;
  ImGuiContext* imgui_ = nullptr;
  NoTextures textures_;
  AppContext context_{defaultScene()};
  ShellState shell_;
  FrameLayout layout_;
};

}  // namespace attnscope::gui
