// The plot module's painter: every primitive a plot draws goes through these functions, which draw into the ImDrawList
// and, while a VectorSink is installed on this thread, also record the primitive as a vector (SVG export), so the same
// view code produces the screen, the PNG and the SVG.
#pragma once

#include <imgui.h>

#include <memory>
#include <span>
#include <string>

namespace attnscope::plot {

/// Receives plot primitives in screen pixels (y down), in drawing order. Colours are ImGui's packed ABGR.
class VectorSink {
 public:
  virtual ~VectorSink() = default;
  virtual void polyline(std::span<const ImVec2> points, bool closed, ImU32 color, float thickness) = 0;
  virtual void polygon(std::span<const ImVec2> points, ImU32 fill) = 0;  ///< filled, convex or not
  virtual void circle(ImVec2 centre, float radius, ImU32 color, float thickness, bool filled) = 0;
  /// Text whose top-left corner is `topLeft` (ImGui's convention); rotated 90 degrees counter-clockwise about
  /// `topLeft` + half its size when `vertical`.
  virtual void text(ImVec2 topLeft, ImVec2 size, float fontSize, ImU32 color, const std::string& text,
                    bool vertical) = 0;
  virtual void pushClip(ImVec2 min, ImVec2 max) = 0;
  virtual void popClip() = 0;
  /// Forget everything recorded (a new ImGui frame started: only the last frame is kept).
  virtual void clear() = 0;
};

/// Installs `sink` in the current ImGui context while alive (nullptr-safe) and restores the previous one on
/// destruction. The sink belongs to the context, not to the process or the thread: a window and an export rendering
/// side by side (each with its own context) never see each other's sink. The plot module owns ImGuiIO::UserData for
/// this. Needs a current ImGui context, which must outlive the ScopedVectorSink.
class ScopedVectorSink {
 public:
  explicit ScopedVectorSink(VectorSink* sink);
  ~ScopedVectorSink();
  ScopedVectorSink(const ScopedVectorSink&) = delete;
  ScopedVectorSink& operator=(const ScopedVectorSink&) = delete;

  VectorSink* sink() const { return sink_; }
  /// The sink for a primitive drawn now: cleared first when a new ImGui frame started since the last primitive
  /// (exports render a few frames until auto-sized windows settle; only the last frame is the picture).
  VectorSink* sinkForFrame(int frame);

 private:
  VectorSink* sink_;
  int frame_ = -1;  ///< the ImGui frame the sink holds
  ImGuiContext* context_;
  void* previous_;  ///< the context's ImGuiIO::UserData before
};

/// The sink of the current ImGui context, or nullptr (the common case, and with no context: drawing only).
VectorSink* activeVectorSink();

namespace paint {
// Same arguments as the ImDrawList methods of the same name, with the draw list first.
void addLine(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color, float thickness = 1.0f);
void addRect(ImDrawList* dl, ImVec2 min, ImVec2 max, ImU32 color, float rounding = 0.0f, ImDrawFlags flags = 0,
             float thickness = 1.0f);
void addRectFilled(ImDrawList* dl, ImVec2 min, ImVec2 max, ImU32 color, float rounding = 0.0f, ImDrawFlags flags = 0);
void addTriangleFilled(ImDrawList* dl, ImVec2 a, ImVec2 b, ImVec2 c, ImU32 color);
void addQuadFilled(ImDrawList* dl, ImVec2 a, ImVec2 b, ImVec2 c, ImVec2 d, ImU32 color);
void addQuad(ImDrawList* dl, ImVec2 a, ImVec2 b, ImVec2 c, ImVec2 d, ImU32 color, float thickness = 1.0f);
void addCircle(ImDrawList* dl, ImVec2 centre, float radius, ImU32 color, int segments = 0, float thickness = 1.0f);
void addCircleFilled(ImDrawList* dl, ImVec2 centre, float radius, ImU32 color, int segments = 0);
void addPolyline(ImDrawList* dl, const ImVec2* points, int count, ImU32 color, ImDrawFlags flags, float thickness);
void addConvexPolyFilled(ImDrawList* dl, const ImVec2* points, int count, ImU32 color);
/// Text at `pos` (top-left) with the current font; fontSize 0 = the current font size.
void addText(ImDrawList* dl, ImVec2 pos, ImU32 color, const char* text, float fontSize = 0.0f);
/// Records text drawn and rotated by the caller (addVerticalText): vector sinks only, nothing is drawn.
void recordVerticalText(ImVec2 centre, ImVec2 size, float fontSize, ImU32 color, const std::string& text);
void pushClipRect(ImDrawList* dl, ImVec2 min, ImVec2 max, bool intersectWithCurrent = false);
void popClipRect(ImDrawList* dl);
}  // namespace paint

/// SVG options.
struct SvgOptions {
  float width = 0, height = 0;  ///< the viewBox (pixels of the frame the primitives were drawn in)
  std::string title;            ///< <title>
  std::string background;       ///< CSS colour of a full-size background rectangle; empty = transparent
  std::string fontFamily = "DejaVu Sans, Verdana, sans-serif";
};

/// Records primitives as SVG elements (text stays text, lines stay polylines) and serialises them into a document.
class SvgSink final : public VectorSink {
 public:
  SvgSink();
  ~SvgSink() override;
  void polyline(std::span<const ImVec2> points, bool closed, ImU32 color, float thickness) override;
  void polygon(std::span<const ImVec2> points, ImU32 fill) override;
  void circle(ImVec2 centre, float radius, ImU32 color, float thickness, bool filled) override;
  void text(ImVec2 topLeft, ImVec2 size, float fontSize, ImU32 color, const std::string& text, bool vertical) override;
  void pushClip(ImVec2 min, ImVec2 max) override;
  void popClip() override;
  void clear() override;
  /// Elements recorded so far (for tests).
  std::size_t elementCount() const;
  /// A complete standalone SVG 1.1 document.
  std::string document(const SvgOptions& options) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// XML-escapes text for element content and attribute values.
std::string xmlEscape(const std::string& text);

}  // namespace attnscope::plot
