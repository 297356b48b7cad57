// The one way attnscope runs work off the UI thread: a JobRunner is a lane with one worker thread that runs the
// latest job it was given. Every background worker is a JobRunner plus the slot its results land in: the slow
// divergences and the drag's Derived (app/gui/app_state.cpp), the model session (app/gui/model_session.cpp), the
// long map's images (core/map_viewport.h MapImageWorker) and each run of the Train workspace
// (app/gui/train_session.cpp). Each worker has its own lane, so a model that takes seconds to load never holds back the
// divergences of a drag.
//
// "Latest wins": submitting while a job is queued replaces the queued one (a drag asks every frame; only the newest
// scene matters); a running job is never interrupted by the runner, but its cancel flag is raised so it can stop at
// its next progress report. After a job the lane can rest for a multiple of the job's run time, so back-to-back jobs
// of a large scene leave the UI thread and llvmpipe's rasteriser threads a share of the 2 cores.
// In the core (no GL, no ImGui): tests drive runners directly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace attnscope {

class JobRunner {
 public:
  /// A job gets the lane's cancel flag: true once cancel() was called or the runner is being destroyed (and, for a
  /// job replaced while running, once a newer one was submitted with JobOptions::cancelsRunning).
  using Job = std::function<void(const std::atomic<bool>& cancelled)>;

  struct JobOptions {
    /// After this job, rest this many times its run time before starting the next one (0 = none).
    float restFactor = 0.0f;
    /// This job ends the rest of the previous one at once (e.g. the last scene of a drag: compute it now).
    bool cutsRest = false;
    /// Raise the running job's cancel flag when this one is submitted (its result would be stale anyway).
    bool cancelsRunning = false;
  };

  JobRunner();
  /// Raises the cancel flag, waits for the running job (if any) to return, drops a queued one, joins the thread.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  /// Queues `job` (replacing a queued job that has not started).
  void submit(Job job, JobOptions options);
  void submit(Job job) { submit(std::move(job), JobOptions{}); }
  /// Raises the running job's cancel flag (cleared again when the next job starts). A queued job is dropped.
  void cancel();
  /// True while a job is queued or running (a rest after a job does not count).
  bool busy() const;
  /// Blocks until no job is queued or running.
  void waitIdle();

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  Job queued_;
  JobOptions queuedOptions_;
  bool running_ = false;
  bool stop_ = false;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace attnscope
