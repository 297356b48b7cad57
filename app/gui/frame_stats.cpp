// Draw-list counters for --bench-frames (see frame_stats.h).
#include "app/gui/frame_stats.h"

#include <imgui.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace attnscope::gui {
namespace {

/// Area of triangle abc clipped to the rectangle clip (x0, y0, x1, y1), by Sutherland-Hodgman.
double clippedArea(ImVec2 a, ImVec2 b, ImVec2 c, const ImVec4& clip) {
  ImVec2 buffer[2][9];
  int count = 3;
  buffer[0][0] = a, buffer[0][1] = b, buffer[0][2] = c;
  int from = 0;
  for (int edge = 0; edge < 4 && count > 0; ++edge) {
    const auto inside = [&](ImVec2 p) {
      return edge == 0 ? p.x >= clip.x : edge == 1 ? p.x <= clip.z : edge == 2 ? p.y >= clip.y : p.y <= clip.w;
    };
    const auto cross = [&](ImVec2 p, ImVec2 q) {
      const float bound = edge == 0 ? clip.x : edge == 1 ? clip.z : edge == 2 ? clip.y : clip.w;
      const float t = edge < 2 ? (bound - p.x) / (q.x - p.x) : (bound - p.y) / (q.y - p.y);
      return ImVec2(p.x + t * (q.x - p.x), p.y + t * (q.y - p.y));
    };
    int out = 0;
    for (int i = 0; i < count; ++i) {
      const ImVec2 p = buffer[from][i], q = buffer[from][(i + 1) % count];
      const bool pIn = inside(p), qIn = inside(q);
      if (pIn) buffer[1 - from][out++] = p;
      if (pIn != qIn && out < 9) buffer[1 - from][out++] = cross(p, q);
    }
    count = out;
    from = 1 - from;
  }
  double area = 0;
  for (int i = 0; i < count; ++i) {
    const ImVec2 p = buffer[from][i], q = buffer[from][(i + 1) % count];
    area += double(p.x) * q.y - double(q.x) * p.y;
  }
  return std::abs(area) * 0.5;
}

}  // namespace

void FrameStats::addFrame(const ImDrawData& drawData) {
  ++frames_;
  for (int l = 0; l < drawData.CmdListsCount; ++l) {
    const ImDrawList& list = *drawData.CmdLists[l];
    // Child windows are named "Parent/Child_ID": attribute them to the top-level window the user sees.
    std::string name = list._OwnerName != nullptr ? list._OwnerName : "?";
    if (const auto slash = name.find('/'); slash != std::string::npos) name.resize(slash);
    if (const auto hashes = name.find("##"); hashes != std::string::npos && hashes > 0) name.resize(hashes);
    Totals& totals = windows_[name];
    std::uint64_t calls = 0;
    double big = 0, small = 0;
    for (const ImDrawCmd& command : list.CmdBuffer) {
      if (command.UserCallback != nullptr || command.ElemCount == 0) continue;
      ++calls;
      for (unsigned e = 0; e + 2 < command.ElemCount; e += 3) {
        const ImDrawIdx* index = list.IdxBuffer.Data + command.IdxOffset + e;
        const ImDrawVert* vertex = list.VtxBuffer.Data + command.VtxOffset;
        const double area =
            clippedArea(vertex[index[0]].pos, vertex[index[1]].pos, vertex[index[2]].pos, command.ClipRect);
        (area > 4096.0 ? big : small) += area;  // 4096 px: a 64 x 64 square
      }
    }
    totals.bigPixels += big;
    totals.smallPixels += small;
    all_.bigPixels += big;
    all_.smallPixels += small;
    totals.vertices += static_cast<std::uint64_t>(list.VtxBuffer.Size);
    totals.indices += static_cast<std::uint64_t>(list.IdxBuffer.Size);
    totals.drawCalls += calls;
    all_.vertices += static_cast<std::uint64_t>(list.VtxBuffer.Size);
    all_.indices += static_cast<std::uint64_t>(list.IdxBuffer.Size);
    all_.drawCalls += calls;
  }
}

void FrameStats::print(std::FILE* out) const {
  if (frames_ == 0) return;
  const double n = static_cast<double>(frames_);
  std::fprintf(out, "bench-frames: per-frame averages over %llu frames\n", static_cast<unsigned long long>(frames_));
  std::fprintf(out, "  %-28s %10s %10s %8s %12s %12s\n", "window", "vertices", "indices", "draws", "big px",
               "small px");
  const auto row = [&](const char* name, const Totals& totals) {
    std::fprintf(out, "  %-28s %10.0f %10.0f %8.1f %12.0f %12.0f\n", name, totals.vertices / n, totals.indices / n,
                 totals.drawCalls / n, totals.bigPixels / n, totals.smallPixels / n);
  };
  for (const auto& [name, totals] : windows_) row(name.c_str(), totals);
  row("TOTAL", all_);
  std::fprintf(out, "  texture renders per frame: %.2f\n", static_cast<double>(textureRenders_) / n);
}

namespace {

double processCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

float median(std::vector<float> values) {
  if (values.empty()) return 0.0f;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

}  // namespace

FramePhases::ThreadCpu FramePhases::threadCpu() {
  ThreadCpu cpu;
  std::error_code error;
  const std::string mainId = std::to_string(getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream schedstat(entry.path() / "schedstat"), comm(entry.path() / "comm");
    double nanoseconds = 0;
    std::string name;
    if (!(schedstat >> nanoseconds)) continue;
    std::getline(comm, name);
    const double seconds = nanoseconds * 1e-9;
    if (entry.path().filename() == mainId)
      cpu.main += seconds;
    else if (name.rfind("llvmpipe", 0) == 0)
      cpu.rasteriser += seconds;
    else
      cpu.other += seconds;
  }
  return cpu;
}

void FramePhases::begin(double now) {
  last_ = now;
  current_.fill(0.0f);
  cpuStart_ = processCpuSeconds();
  currentExcluded_ = 0.0;
}

void FramePhases::mark(Phase phase, double now) {
  current_[phase] += float((now - last_) * 1000.0);
  last_ = now;
}

void FramePhases::end(double now) {
  mark(Other, now);
  if (cpu_.empty()) firstThreads_ = threadCpu(), excludedAtFirst_ = excluded_;
  lastThreads_ = threadCpu();
  for (int p = 0; p < PhaseCount; ++p) samples_[p].push_back(current_[p]);
  cpu_.push_back(float((processCpuSeconds() - cpuStart_ - currentExcluded_) * 1000.0));
}

void FramePhases::print(std::FILE* out) const {
  if (cpu_.empty()) return;
  static const char* const names[PhaseCount] = {
      "build (views, ImGui CPU)", "ImGui::Render", "GL submit", "glFinish (rasterise)",
      "glfwSwapBuffers",          "Derived",       "other"};
  std::fprintf(out, "bench-frames: frame phases, median ms over %zu frames\n", cpu_.size());
  for (int p = 0; p < PhaseCount; ++p) std::fprintf(out, "  %-28s %8.2f\n", names[p], median(samples_[p]));
  std::fprintf(out, "  %-28s %8.2f\n", "process CPU (all threads)", median(cpu_));
  const double frames = double(std::max<std::size_t>(cpu_.size() - 1, 1)), ms = 1000.0 / frames;
  std::fprintf(out, "  %-28s %8.2f\n", "CPU main thread (mean)",
               (lastThreads_.main - firstThreads_.main - (excluded_ - excludedAtFirst_)) * ms);
  std::fprintf(out, "  %-28s %8.2f\n", "CPU llvmpipe threads (mean)",
               (lastThreads_.rasteriser - firstThreads_.rasteriser) * ms);
  std::fprintf(out, "  %-28s %8.2f\n", "CPU other threads (mean)", (lastThreads_.other - firstThreads_.other) * ms);
}

void dropTrianglesForBench(ImDrawData& drawData, const std::string& kind) {
  const ImVec2 white = ImGui::GetIO().Fonts->TexUvWhitePixel;
  for (int l = 0; l < drawData.CmdListsCount; ++l) {
    ImDrawList& list = *drawData.CmdLists[l];
    // window:NAME drops every triangle of the windows whose name starts with NAME (child windows included).
    const bool windowDrop = kind.rfind("window:", 0) == 0 && list._OwnerName != nullptr &&
                            std::string(list._OwnerName).rfind(kind.substr(7), 0) == 0;
    for (const ImDrawCmd& command : list.CmdBuffer) {
      if (command.UserCallback != nullptr) continue;
      const ImDrawVert* vertex = list.VtxBuffer.Data + command.VtxOffset;
      for (unsigned e = 0; e + 2 < command.ElemCount; e += 3) {
        ImDrawIdx* index = list.IdxBuffer.Data + command.IdxOffset + e;
        const bool big =
            clippedArea(vertex[index[0]].pos, vertex[index[1]].pos, vertex[index[2]].pos, command.ClipRect) > 4096.0;
        bool solid = true;  // untextured: every corner samples the font atlas's white pixel
        for (int k = 0; k < 3; ++k)
          solid = solid && vertex[index[k]].uv.x == white.x && vertex[index[k]].uv.y == white.y;
        const bool drop = windowDrop || kind == "all" || (kind == "big" && big) || (kind == "small" && !big) ||
                          (kind == "small-solid" && !big && solid) || (kind == "small-textured" && !big && !solid);
        if (drop) index[1] = index[2] = index[0];  // degenerate: culled before rasterisation
      }
    }
  }
}

}  // namespace attnscope::gui
