// Debug state dump for end-to-end tests: the scene, key derived numbers, the views' probe points and the window
// geometry as JSON, written atomically whenever something changed or on SIGUSR1.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "app/gui/app_state.h"

namespace attnscope::gui {

struct WindowGeometry {
  int x = 0, y = 0;           ///< client area origin on the screen (X root coordinates)
  int width = 0, height = 0;  ///< client area size in screen units (= ImGui coordinates)
};

/// The dump as JSON text.
std::string stateDumpJson(const AppContext& context, const WindowGeometry& window);

/// A request raised from a signal handler (SIGUSR1: "write the dump now") and taken by the frame loop.
/// raise() only stores to a lock-free atomic, which is async-signal-safe; take() reads and clears in one atomic
/// exchange, so a request raised at any moment is either taken now or still pending at the next take(), never lost.
class SignalRequest {
 public:
  void raise() noexcept { raised_.store(true, std::memory_order_relaxed); }
  bool take() noexcept { return raised_.exchange(false, std::memory_order_relaxed); }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free, "a signal handler may only touch lock-free atomics");
  std::atomic<bool> raised_{false};
};

/// The frame loop's dump step: calls write(text) when a dump was requested or the text differs from the last one
/// written; returns whether it wrote. The request is taken *before* writing: a signal arriving while the text is built
/// or written stays pending and is answered by the next frame. (The old loop read the flag, wrote, then cleared it;
/// a signal during the write was erased by the clear and, in a scene that no longer changed, never answered: the
/// monkey's heartbeat stall at 148x112, where a frame is so cheap that building the dump is much of it.)
/// If write throws, nothing is recorded (a changed text is retried next frame) and the exception propagates.
bool offerStateDump(SignalRequest& request, std::string& lastWritten, const std::string& text,
                    const std::function<void(const std::string&)>& write);

}  // namespace attnscope::gui
