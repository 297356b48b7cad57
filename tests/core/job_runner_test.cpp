// The background job lane every worker of the app runs on (app/gui/job_runner.h): latest wins, cancel, rest.
#include "core/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace attnscope {
namespace {

using namespace std::chrono_literals;

/// A job that holds the lane until released, so a test controls what is running and what is queued.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false, open = false;
  void enterAndWait() {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [this] { return open; });
  }
  void waitEntered() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return entered; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
};

TEST(JobRunner, OnlyTheLatestQueuedJobRunsAfterTheRunningOne) {
  Gate gate;  // declared first: it outlives the runner, whose thread may still be leaving it
  JobRunner runner;
  std::mutex mutex;
  std::vector<int> ran;
  runner.submit([&](const std::atomic<bool>&) {
    gate.enterAndWait();
    std::lock_guard lock(mutex);
    ran.push_back(0);
  });
  gate.waitEntered();
  EXPECT_TRUE(runner.busy());
  for (int i = 1; i <= 5; ++i)  // a drag: one request per frame while the first job runs
    runner.submit([&, i](const std::atomic<bool>&) {
      std::lock_guard lock(mutex);
      ran.push_back(i);
    });
  gate.release();
  runner.waitIdle();
  EXPECT_FALSE(runner.busy());
  EXPECT_EQ(ran, (std::vector<int>{0, 5}));
}

TEST(JobRunner, CancelRaisesTheRunningJobsFlagAndDropsTheQueuedOne) {
  Gate gate;  // declared first: it outlives the runner, whose thread may still be leaving it
  JobRunner runner;
  std::atomic<bool> sawCancel{false}, queuedRan{false};
  runner.submit([&](const std::atomic<bool>& cancelled) {
    gate.enterAndWait();
    sawCancel = cancelled.load();
  });
  gate.waitEntered();
  runner.submit([&](const std::atomic<bool>&) { queuedRan = true; });
  runner.cancel();
  gate.release();
  runner.waitIdle();
  EXPECT_TRUE(sawCancel);
  EXPECT_FALSE(queuedRan);
  // The flag belongs to the job it was raised for: the next job starts uncancelled.
  std::atomic<bool> nextCancelled{true};
  runner.submit([&](const std::atomic<bool>& cancelled) { nextCancelled = cancelled.load(); });
  runner.waitIdle();
  EXPECT_FALSE(nextCancelled);
}

TEST(JobRunner, ANewerJobCanCancelTheRunningOne) {
  Gate gate;  // declared first: it outlives the runner, whose thread may still be leaving it
  JobRunner runner;
  std::atomic<bool> firstCancelled{false};
  runner.submit([&](const std::atomic<bool>& cancelled) {
    gate.enterAndWait();
    firstCancelled = cancelled.load();
  });
  gate.waitEntered();
  runner.submit([](const std::atomic<bool>&) {}, {.cancelsRunning = true});
  gate.release();
  runner.waitIdle();
  EXPECT_TRUE(firstCancelled);
}

TEST(JobRunner, RestsAfterAJobUnlessTheNextOneCutsTheRestShort) {
  JobRunner runner;
  // A 40 ms job with rest factor 250: at least ten seconds of rest before the next queued job may start (far longer
  // than the 100 ms the test looks, however loaded the machine).
  runner.submit([](const std::atomic<bool>&) { std::this_thread::sleep_for(40ms); }, {.restFactor = 250.0f});
  runner.waitIdle();
  std::atomic<bool> ran{false};
  runner.submit([&](const std::atomic<bool>&) { ran = true; });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(ran) << "the lane is resting, the plain job waits";
  runner.submit([&](const std::atomic<bool>&) { ran = true; }, {.cutsRest = true});
  runner.waitIdle();
  EXPECT_TRUE(ran);
}

TEST(JobRunner, DestructionWaitsForTheRunningJobAndCancelsIt) {
  std::atomic<bool> finished{false}, cancelled{false};
  {
    Gate gate;  // declared first: it outlives the runner, whose thread may still be leaving it
    JobRunner runner;
    runner.submit([&](const std::atomic<bool>& flag) {
      gate.enterAndWait();
      while (!flag) std::this_thread::sleep_for(1ms);  // a job that stops only when told
      cancelled = true;
      finished = true;
    });
    gate.waitEntered();
    gate.release();
  }
  EXPECT_TRUE(finished);
  EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace attnscope
