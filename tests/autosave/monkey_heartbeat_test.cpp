// The state dump's SIGUSR1 request (the heartbeat of tools/monkey.sh, issue 7): a request raised at any moment of a
// frame is answered by that frame's write or the next one, never lost. The seed-7 monkey run stalled because the
// frame loop cleared the flag *after* writing, erasing a signal that arrived during the write.
#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/gui/state_dump.h"

namespace attnscope::gui {
namespace {

struct Writes {
  std::vector<std::string> texts;
  std::function<void(const std::string&)> writer() {
    return [this](const std::string& text) { texts.push_back(text); };
  }
};

TEST(MonkeyHeartbeat, WritesChangedTextOnlyUnlessRequested) {
  SignalRequest request;
  std::string last;
  Writes writes;
  EXPECT_TRUE(offerStateDump(request, last, "a", writes.writer()));
  EXPECT_FALSE(offerStateDump(request, last, "a", writes.writer()));  // unchanged: nothing to write
  EXPECT_TRUE(offerStateDump(request, last, "b", writes.writer()));
  request.raise();
  EXPECT_TRUE(offerStateDump(request, last, "b", writes.writer()));   // requested: unchanged text written again
  EXPECT_FALSE(offerStateDump(request, last, "b", writes.writer()));  // the request was answered once
  EXPECT_EQ(writes.texts, (std::vector<std::string>{"a", "b", "b"}));
  EXPECT_EQ(last, "b");
}

TEST(MonkeyHeartbeat, RequestRaisedDuringTheWriteIsAnsweredByTheNextFrame) {
  SignalRequest request;
  std::string last = "same";
  int calls = 0;
  // The scene no longer changes (the monkey waits for its heartbeat without sending input): only a request can cause
  // a write. The first write is interrupted by a new request, as a SIGUSR1 landing in writeFileAtomically would.
  auto write = [&](const std::string&) {
    if (++calls == 1) request.raise();
  };
  request.raise();
  EXPECT_TRUE(offerStateDump(request, last, "same", write));
  EXPECT_TRUE(offerStateDump(request, last, "same", write)) << "the request raised during the write was lost";
  EXPECT_FALSE(offerStateDump(request, last, "same", write));
  EXPECT_EQ(calls, 2);
}

TEST(MonkeyHeartbeat, RealSignalDuringTheWriteIsNotLost) {
  // On a thread of its own: WindowSignals blocks the signals in the thread that makes it, for good (state_dump.h).
  bool first = false, second = false, third = false, closed = false;
  int calls = 0;
  std::thread frameLoop([&] {
    WindowSignals signals(/*answerSigusr1=*/true);
    SignalRequest request;
    std::string last = "same";
    // std::raise sends to this thread: blocked, the signal waits for the frame loop's next take().
    auto write = [&](const std::string&) {
      if (++calls == 1) std::raise(SIGUSR1);
    };
    const auto frame = [&] {
      const WindowSignals::Pending pending = signals.take();
      if (pending.dump) request.raise();
      closed = closed || pending.close;
      return offerStateDump(request, last, "same", write);
    };
    std::raise(SIGUSR1);
    std::raise(SIGUSR1);  // two before a frame: one dump
    first = frame();
    second = frame();
    third = frame();
  });
  frameLoop.join();
  EXPECT_TRUE(first);
  EXPECT_TRUE(second) << "SIGUSR1 during the write was erased";
  EXPECT_FALSE(third);
  EXPECT_FALSE(closed);
  EXPECT_EQ(calls, 2);
}

TEST(MonkeyHeartbeat, TerminateAndInterruptCloseTheWindowInsteadOfKillingIt) {
  int closes = 0;
  bool dump = true;
  std::thread frameLoop([&] {
    WindowSignals signals(/*answerSigusr1=*/false);
    closes += signals.take().close ? 1 : 0;  // nothing pending yet
    std::raise(SIGTERM);                     // blocked: the process lives on, the frame loop sees it
    const WindowSignals::Pending pending = signals.take();
    closes += pending.close ? 1 : 0;
    dump = pending.dump;
    std::raise(SIGINT);
    closes += signals.take().close ? 1 : 0;
  });
  frameLoop.join();
  EXPECT_EQ(closes, 2);
  EXPECT_FALSE(dump);
}

TEST(MonkeyHeartbeat, FailedWriteRecordsNothingAndTheChangedTextIsRetried) {
  SignalRequest request;
  std::string last = "old";
  bool broken = true;
  std::vector<std::string> written;
  auto write = [&](const std::string& text) {
    if (broken) throw std::runtime_error("disk full");
    written.push_back(text);
  };
  EXPECT_THROW(offerStateDump(request, last, "new", write), std::runtime_error);
  EXPECT_EQ(last, "old");
  broken = false;
  EXPECT_TRUE(offerStateDump(request, last, "new", write));
  EXPECT_EQ(written, std::vector<std::string>{"new"});
  EXPECT_EQ(last, "new");
}

}  // namespace
}  // namespace attnscope::gui
