// A headless GL 3.3 core context through EGL with no X server: Mesa's surfaceless platform, or the device platform
// as a fallback. Rendering goes into framebuffer objects (there is no default framebuffer).
#pragma once

#include <memory>
#include <string>

namespace attnscope::render {

class HeadlessContext {
 public:
  /// Creates the context, makes it current on this thread and loads GL with glad. Throws ResourceError with the
  /// failing EGL step and error code when no headless platform works.
  HeadlessContext();
  ~HeadlessContext();
  HeadlessContext(const HeadlessContext&) = delete;
  HeadlessContext& operator=(const HeadlessContext&) = delete;
  /// "surfaceless" or "device": which EGL platform provided the display.
  const std::string& platform() const { return platform_; }
  /// GL_RENDERER of the context (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)").
  std::string renderer() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string platform_;
};

}  // namespace attnscope::render
