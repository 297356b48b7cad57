// Draw-list counters for --bench-frames (see frame_stats.h).
#include "app/gui/frame_stats.h"

#include <imgui.h>

namespace attnscope::gui {

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
    for (const ImDrawCmd& command : list.CmdBuffer)
      if (command.UserCallback == nullptr && command.ElemCount > 0) ++calls;
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
  std::fprintf(out, "  %-28s %10s %10s %8s\n", "window", "vertices", "indices", "draws");
  for (const auto& [name, totals] : windows_)
    std::fprintf(out, "  %-28s %10.0f %10.0f %8.1f\n", name.c_str(), totals.vertices / n, totals.indices / n,
                 totals.drawCalls / n);
  std::fprintf(out, "  %-28s %10.0f %10.0f %8.1f\n", "TOTAL", all_.vertices / n, all_.indices / n, all_.drawCalls / n);
  std::fprintf(out, "  texture renders per frame: %.2f\n", static_cast<double>(textureRenders_) / n);
}

}  // namespace attnscope::gui
