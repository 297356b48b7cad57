// Debug state dump for end-to-end tests: the scene, key derived numbers, the views' probe points and the window
// geometry as JSON, written atomically whenever something changed or on SIGUSR1.
#pragma once

#include <atomic>
#include <csignal>
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

/// A request to write the dump now (SIGUSR1, via WindowSignals) taken by the frame loop.
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

/// The signals the window answers, collected by the frame loop rather than by handlers, so there is no process-wide
/// flag for a handler to set: SIGTERM and SIGINT close the window like its close button (preferences and layout are
/// saved), SIGUSR1 asks for a state dump (when the window writes one). The constructor blocks them in the calling
/// thread, and every thread started afterwards (GL drivers', the job lanes') inherits the mask, so the kernel holds
/// each signal pending until take() collects it with sigtimedwait. Construct it before any other thread exists.
/// The signals stay blocked after destruction: the process is ending, and unblocking a pending SIGTERM would kill it.
class WindowSignals {
 public:
  explicit WindowSignals(bool answerSigusr1);
  struct Pending {
    bool close = false;  ///< SIGTERM or SIGINT arrived
    bool dump = false;   ///< SIGUSR1 arrived
  };
  /// Every signal that arrived since the last call (never blocks).
  Pending take();

 private:
  sigset_t set_{};
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
