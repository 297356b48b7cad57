// The painter behind every plot primitive (ImDrawList always; a thread's VectorSink when installed) and the SVG sink.
#include "app/plot/paint.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace attnscope::plot {
namespace {

/// The current context's installed ScopedVectorSink, or nullptr.
ScopedVectorSink* installedSink() {
  if (ImGui::GetCurrentContext() == nullptr) return nullptr;
  return static_cast<ScopedVectorSink*>(ImGui::GetIO().UserData);
}

/// The sink for this primitive (see ScopedVectorSink::sinkForFrame), or nullptr.
VectorSink* sinkForThisFrame() {
  ScopedVectorSink* installed = installedSink();
  return installed != nullptr ? installed->sinkForFrame(ImGui::GetFrameCount()) : nullptr;
}

void rectPoints(ImVec2 min, ImVec2 max, ImVec2 out[4]) {
  out[0] = min;
  out[1] = ImVec2(max.x, min.y);
  out[2] = max;
  out[3] = ImVec2(min.x, max.y);
}

std::string number(float value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", static_cast<double>(value));
  // Trim trailing zeros: "12.50" -> "12.5", "3.00" -> "3" (smaller files, same picture).
  std::string s(buffer);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

/// ` NAME="#rrggbb"` plus ` NAME-opacity="a"` when not opaque (ImU32 is ABGR).
std::string colourAttributes(const char* name, ImU32 color) {
  char buffer[80];
  const unsigned r = color & 0xff, g = (color >> 8) & 0xff, b = (color >> 16) & 0xff, a = (color >> 24) & 0xff;
  std::snprintf(buffer, sizeof buffer, " %s=\"#%02x%02x%02x\"", name, r, g, b);
  std::string out(buffer);
  if (a != 255) out += std::string(" ") + name + "-opacity=\"" + number(a / 255.0f) + "\"";
  return out;
}

std::string pointList(std::span<const ImVec2> points) {
  std::string out;
  out.reserve(points.size() * 14);
  for (const ImVec2& p : points) {
    if (!out.empty()) out += ' ';
    out += number(p.x) + "," + number(p.y);
  }
  return out;
}

}  // namespace

ScopedVectorSink::ScopedVectorSink(VectorSink* sink)
    : sink_(sink), context_(ImGui::GetCurrentContext()), previous_(ImGui::GetIO().UserData) {
  ImGui::GetIO().UserData = this;
}

ScopedVectorSink::~ScopedVectorSink() {
  ImGuiContext* current = ImGui::GetCurrentContext();
  ImGui::SetCurrentContext(context_);
  ImGui::GetIO().UserData = previous_;
  ImGui::SetCurrentContext(current);
}

VectorSink* ScopedVectorSink::sinkForFrame(int frame) {
  if (sink_ != nullptr && frame != frame_) {
    sink_->clear();
    frame_ = frame;
  }
  return sink_;
}

VectorSink* activeVectorSink() {
  ScopedVectorSink* installed = installedSink();
  return installed != nullptr ? installed->sink() : nullptr;
}

namespace paint {

void addLine(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 color, float thickness) {
  dl->AddLine(a, b, color, thickness);
  if (VectorSink* sink = sinkForThisFrame()) {
    const ImVec2 points[2] = {a, b};
    sink->polyline(points, false, color, thickness);
  }
}

void addRect(ImDrawList* dl, ImVec2 min, ImVec2 max, ImU32 color, float rounding, ImDrawFlags flags, float thickness) {
  dl->AddRect(min, max, color, rounding, flags, thickness);
  if (VectorSink* sink = sinkForThisFrame()) {
    // ImGui strokes the rectangle half a pixel inside its bounds.
    ImVec2 points[4];
    rectPoints(ImVec2(min.x + 0.5f, min.y + 0.5f), ImVec2(max.x - 0.5f, max.y - 0.5f), points);
    sink->polyline(points, true, color, thickness);
  }
}

void addRectFilled(ImDrawList* dl, ImVec2 min, ImVec2 max, ImU32 color, float rounding, ImDrawFlags flags) {
  dl->AddRectFilled(min, max, color, rounding, flags);
  if (VectorSink* sink = sinkForThisFrame()) {
    ImVec2 points[4];
    rectPoints(min, max, points);
    sink->polygon(points, color);
  }
}

void addTriangleFilled(ImDrawList* dl, ImVec2 a, ImVec2 b, ImVec2 c, ImU32 color) {
  dl->AddTriangleFilled(a, b, c, color);
  if (VectorSink* sink = sinkForThisFrame()) {
    const ImVec2 points[3] = {a, b, c};
    sink->polygon(points, color);
  }
}

void addQuadFilled(ImDrawList* dl, ImVec2 a, ImVec2 b, ImVec2 c, ImVec2 d, ImU32 color) {
  dl->AddQuadFilled(a, b, c, d, color);
  if (VectorSink* sink = sinkForThisFrame()) {
    const ImVec2 points[4] = {a, b, c, d};
    sink->polygon(points, color);
  }
}

void addQuad(ImDrawList* dl, ImVec2 a, ImVec2 b, ImVec2 c, ImVec2 d, ImU32 color, float thickness) {
  dl->AddQuad(a, b, c, d, color, thickness);
  if (VectorSink* sink = sinkForThisFrame()) {
    const ImVec2 points[4] = {a, b, c, d};
    sink->polyline(points, true, color, thickness);
  }
}

void addCircle(ImDrawList* dl, ImVec2 centre, float radius, ImU32 color, int segments, float thickness) {
  dl->AddCircle(centre, radius, color, segments, thickness);
  if (VectorSink* sink = sinkForThisFrame()) sink->circle(centre, radius, color, thickness, false);
}

void addCircleFilled(ImDrawList* dl, ImVec2 centre, float radius, ImU32 color, int segments) {
  dl->AddCircleFilled(centre, radius, color, segments);
  if (VectorSink* sink = sinkForThisFrame()) sink->circle(centre, radius, color, 0.0f, true);
}

void addPolyline(ImDrawList* dl, const ImVec2* points, int count, ImU32 color, ImDrawFlags flags, float thickness) {
  dl->AddPolyline(points, count, color, flags, thickness);
  if (count < 2) return;
  if (VectorSink* sink = sinkForThisFrame())
    sink->polyline(std::span(points, static_cast<std::size_t>(count)), (flags & ImDrawFlags_Closed) != 0, color,
                   thickness);
}

void addConvexPolyFilled(ImDrawList* dl, const ImVec2* points, int count, ImU32 color) {
  dl->AddConvexPolyFilled(points, count, color);
  if (count < 3) return;
  if (VectorSink* sink = sinkForThisFrame()) sink->polygon(std::span(points, static_cast<std::size_t>(count)), color);
}

void addText(ImDrawList* dl, ImVec2 pos, ImU32 color, const char* text, float fontSize) {
  ImFont* font = ImGui::GetFont();
  if (fontSize <= 0.0f) fontSize = ImGui::GetFontSize();
  dl->AddText(font, fontSize, pos, color, text);
  if (VectorSink* sink = sinkForThisFrame()) {
    const ImVec2 size = font->CalcTextSizeA(fontSize, FLT_MAX, 0.0f, text);
    sink->text(pos, size, fontSize, color, text, false);
  }
}

void recordVerticalText(ImVec2 centre, ImVec2 size, float fontSize, ImU32 color, const std::string& text) {
  if (VectorSink* sink = sinkForThisFrame())
    sink->text(ImVec2(centre.x - size.x * 0.5f, centre.y - size.y * 0.5f), size, fontSize, color, text, true);
}

void pushClipRect(ImDrawList* dl, ImVec2 min, ImVec2 max, bool intersectWithCurrent) {
  dl->PushClipRect(min, max, intersectWithCurrent);
  if (VectorSink* sink = sinkForThisFrame()) sink->pushClip(min, max);
}

void popClipRect(ImDrawList* dl) {
  dl->PopClipRect();
  if (VectorSink* sink = sinkForThisFrame()) sink->popClip();
}

}  // namespace paint

std::string xmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters; drop them rather than emit an unparsable file.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out += c;
    }
  }
  return out;
}

struct SvgSink::State {
  std::string body;
  std::string defs;
  int clipCount = 0;
  int openGroups = 0;
  std::size_t elements = 0;
};

SvgSink::SvgSink() : state_(std::make_unique<State>()) {}
SvgSink::~SvgSink() = default;

void SvgSink::polyline(std::span<const ImVec2> points, bool closed, ImU32 color, float thickness) {
  if ((color >> 24) == 0) return;
  state_->body += std::string(closed ? "<polygon" : "<polyline") + " points=\"" + pointList(points) +
                  "\" fill=\"none\"" + colourAttributes("stroke", color) + " stroke-width=\"" + number(thickness) +
                  "\" stroke-linejoin=\"round\" stroke-linecap=\"butt\"/>\n";
  ++state_->elements;
}

void SvgSink::polygon(std::span<const ImVec2> points, ImU32 fill) {
  if ((fill >> 24) == 0) return;
  state_->body += "<polygon points=\"" + pointList(points) + "\"" + colourAttributes("fill", fill) + "/>\n";
  ++state_->elements;
}

void SvgSink::circle(ImVec2 centre, float radius, ImU32 color, float thickness, bool filled) {
  if ((color >> 24) == 0) return;
  state_->body +=
      "<circle cx=\"" + number(centre.x) + "\" cy=\"" + number(centre.y) + "\" r=\"" + number(radius) + "\"" +
      (filled ? colourAttributes("fill", color)
              : " fill=\"none\"" + colourAttributes("stroke", color) + " stroke-width=\"" + number(thickness) + "\"") +
      "/>\n";
  ++state_->elements;
}

void SvgSink::text(ImVec2 topLeft, ImVec2 size, float fontSize, ImU32 color, const std::string& text, bool vertical) {
  if ((color >> 24) == 0 || text.empty()) return;
  // ImGui places text by its top-left corner, SVG by the baseline: the baseline sits one ascent below the top.
  ImFont* font = ImGui::GetCurrentContext() != nullptr ? ImGui::GetFont() : nullptr;
  const float ascent =
      font != nullptr && font->FontSize > 0 ? font->Ascent * fontSize / font->FontSize : 0.8f * fontSize;
  const float cx = topLeft.x + size.x * 0.5f, cy = topLeft.y + size.y * 0.5f;
  std::string element = "<text";
  if (vertical) {
    element += " x=\"" + number(cx) + "\" y=\"" + number(cy - size.y * 0.5f + ascent) +
               "\" text-anchor=\"middle\" transform=\"rotate(-90 " + number(cx) + " " + number(cy) + ")\"";
  } else {
    element += " x=\"" + number(topLeft.x) + "\" y=\"" + number(topLeft.y + ascent) + "\"";
  }
  element +=
      " font-size=\"" + number(fontSize) + "\"" + colourAttributes("fill", color) + ">" + xmlEscape(text) + "</text>\n";
  state_->body += element;
  ++state_->elements;
}

void SvgSink::pushClip(ImVec2 min, ImVec2 max) {
  const std::string id = "clip" + std::to_string(state_->clipCount++);
  state_->defs += "<clipPath id=\"" + id + "\"><rect x=\"" + number(min.x) + "\" y=\"" + number(min.y) + "\" width=\"" +
                  number(max.x - min.x) + "\" height=\"" + number(max.y - min.y) + "\"/></clipPath>\n";
  state_->body += "<g clip-path=\"url(#" + id + ")\">\n";
  ++state_->openGroups;
}

void SvgSink::popClip() {
  if (state_->openGroups == 0) return;  // a pop of a clip pushed before recording started
  state_->body += "</g>\n";
  --state_->openGroups;
}

void SvgSink::clear() {
  *state_ = State{};
}

std::size_t SvgSink::elementCount() const {
  return state_->elements;
}

std::string SvgSink::document(const SvgOptions& options) const {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + number(options.width) + "\" height=\"" +
         number(options.height) + "\" viewBox=\"0 0 " + number(options.width) + " " + number(options.height) +
         "\" font-family=\"" + xmlEscape(options.fontFamily) + "\">\n";
  if (!options.title.empty()) out += "<title>" + xmlEscape(options.title) + "</title>\n";
  if (!state_->defs.empty()) out += "<defs>\n" + state_->defs + "</defs>\n";
  if (!options.background.empty())
    out += "<rect width=\"100%\" height=\"100%\" fill=\"" + xmlEscape(options.background) + "\"/>\n";
  out += state_->body;
  for (int i = 0; i < state_->openGroups; ++i) out += "</g>\n";
  out += "</svg>\n";
  return out;
}

}  // namespace attnscope::plot
