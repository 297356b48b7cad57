// The plot painter and its SVG sink: hand-checkable SVG for known primitives, escaping, clip nesting, one frame kept,
// and nothing recorded without a sink. Needs an ImGui context but no GL.
#include "app/plot/paint.h"

#include <gtest/gtest.h>
#include <imgui.h>

#include <string>

namespace attnscope::plot {
namespace {

/// A headless ImGui context with a built font atlas (no renderer backend needed to record draw lists).
class ImGuiFrame : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(400, 300);
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
  }
  void TearDown() override { ImGui::DestroyContext(context_); }
  static ImDrawList* beginFrame() {
    ImGui::NewFrame();
    return ImGui::GetForegroundDrawList();
  }
  ImGuiContext* context_ = nullptr;
};

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Svg, EscapesTextForXml) {
  EXPECT_EQ(xmlEscape("a<b & \"c\" > 'd'"), "a&lt;b &amp; &quot;c&quot; &gt; &apos;d&apos;");
  EXPECT_EQ(xmlEscape(std::string("x\x01y")), "xy");  // control characters are not allowed in XML 1.0
  EXPECT_EQ(xmlEscape("\xC2\xB0"), "\xC2\xB0");       // UTF-8 passes through
}

TEST_F(ImGuiFrame, PrimitivesBecomeSvgElementsWithExactCoordinatesAndColours) {
  SvgSink sink;
  ImDrawList* dl = beginFrame();
  {
    ScopedVectorSink recording(&sink);
    paint::addLine(dl, ImVec2(10, 20), ImVec2(30.5f, 40.25f), IM_COL32(255, 0, 16, 255), 2.0f);
    paint::addRectFilled(dl, ImVec2(1, 2), ImVec2(3, 4), IM_COL32(0, 0, 255, 128));
    paint::addCircleFilled(dl, ImVec2(50, 60), 5.0f, IM_COL32(1, 2, 3, 255));
    paint::addText(dl, ImVec2(5, 6), IM_COL32(255, 255, 255, 255), "a < b", 13.0f);
    paint::addLine(dl, ImVec2(0, 0), ImVec2(1, 1), IM_COL32(0, 0, 0, 0));  // invisible: not recorded
  }
  ImGui::EndFrame();
  EXPECT_EQ(sink.elementCount(), 4u);
  SvgOptions options;
  options.width = 400;
  options.height = 300;
  const std::string svg = sink.document(options);
  EXPECT_NE(svg.find("<polyline points=\"10,20 30.5,40.25\" fill=\"none\" stroke=\"#ff0010\" stroke-width=\"2\""),
            std::string::npos)
      << svg;
  // 128 / 255 = 0.50196... printed with two decimals.
  EXPECT_NE(svg.find("<polygon points=\"1,2 3,2 3,4 1,4\" fill=\"#0000ff\" fill-opacity=\"0.5\"/>"), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("<circle cx=\"50\" cy=\"60\" r=\"5\" fill=\"#010203\"/>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("font-size=\"13\" fill=\"#ffffff\">a &lt; b</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("viewBox=\"0 0 400 300\""), std::string::npos);
}

TEST_F(ImGuiFrame, TheSinkBelongsToItsImGuiContext) {
  SvgSink sink;
  ScopedVectorSink recording(&sink);
  EXPECT_EQ(activeVectorSink(), &sink);
  // Another context (the window's, while an export records into its own): nothing installed there.
  ImGuiContext* other = ImGui::CreateContext();
  ImGui::SetCurrentContext(other);
  EXPECT_EQ(activeVectorSink(), nullptr);
  ImGui::DestroyContext(other);
  ImGui::SetCurrentContext(context_);
  EXPECT_EQ(activeVectorSink(), &sink);
}

TEST_F(ImGuiFrame, ClipsNestAndAlwaysClose) {
  SvgSink sink;
  ImDrawList* dl = beginFrame();
  {
    ScopedVectorSink recording(&sink);
    paint::pushClipRect(dl, ImVec2(0, 0), ImVec2(100, 100), true);
    paint::pushClipRect(dl, ImVec2(10, 10), ImVec2(20, 20), true);
    paint::addLine(dl, ImVec2(0, 0), ImVec2(50, 50), IM_COL32_WHITE);
    paint::popClipRect(dl);
    // The outer clip is left open: the document must still close it.
  }
  ImGui::EndFrame();
  const std::string svg = sink.document({});
  EXPECT_EQ(count(svg, "<clipPath id="), 2u);
  EXPECT_EQ(count(svg, "<g clip-path="), 2u);
  EXPECT_EQ(count(svg, "</g>"), 2u);
  EXPECT_LT(svg.find("url(#clip0)"), svg.find("url(#clip1)"));
}

TEST_F(ImGuiFrame, OnlyTheLastFrameIsKeptAndNothingWithoutASink) {
  SvgSink sink;
  {
    ScopedVectorSink recording(&sink);
    for (int frame = 0; frame < 3; ++frame) {
      ImDrawList* dl = beginFrame();
      for (int i = 0; i <= frame; ++i) paint::addLine(dl, ImVec2(0, 0), ImVec2(1, 1), IM_COL32_WHITE);
      ImGui::EndFrame();
    }
  }
  EXPECT_EQ(sink.elementCount(), 3u);  // the third frame drew three lines; the first two frames are forgotten
  EXPECT_EQ(activeVectorSink(), nullptr);
  ImDrawList* dl = beginFrame();
  const int before = dl->VtxBuffer.Size;
  paint::addLine(dl, ImVec2(0, 0), ImVec2(10, 10), IM_COL32_WHITE);  // still drawn into the draw list
  EXPECT_GT(dl->VtxBuffer.Size, before);
  ImGui::EndFrame();
  EXPECT_EQ(sink.elementCount(), 3u);
}

}  // namespace
}  // namespace attnscope::plot
