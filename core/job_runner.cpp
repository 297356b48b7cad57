// The background job lane (job_runner.h).
#include "core/job_runner.h"

namespace attnscope {

JobRunner::JobRunner() : thread_([this] { run(); }) {}

JobRunner::~JobRunner() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    queued_ = nullptr;
  }
  cancelled_ = true;
  wake_.notify_all();
  thread_.join();
}

void JobRunner::submit(Job job, JobOptions options) {
  {
    std::lock_guard lock(mutex_);
    queued_ = std::move(job);
    queuedOptions_ = options;
    if (options.cancelsRunning && running_) cancelled_ = true;
  }
  wake_.notify_all();
}

void JobRunner::cancel() {
  {
    std::lock_guard lock(mutex_);
    queued_ = nullptr;
    if (running_) cancelled_ = true;
  }
  idle_.notify_all();
}

bool JobRunner::busy() const {
  std::lock_guard lock(mutex_);
  return running_ || queued_ != nullptr;
}

void JobRunner::waitIdle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return !running_ && queued_ == nullptr; });
}

void JobRunner::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || queued_ != nullptr; });
    if (stop_) return;
    Job job = std::move(queued_);
    queued_ = nullptr;
    const JobOptions options = queuedOptions_;
    running_ = true;
    cancelled_ = false;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    job(cancelled_);
    const auto busy = std::chrono::steady_clock::now() - start;
    job = nullptr;  // release what the job captured before anyone waiting for idle looks at the results
    lock.lock();
    running_ = false;
    idle_.notify_all();
    if (options.restFactor > 0.0f) {
      const auto rest = std::chrono::duration_cast<std::chrono::steady_clock::duration>(busy * options.restFactor);
      wake_.wait_for(lock, rest, [this] { return stop_ || (queued_ != nullptr && queuedOptions_.cutsRest); });
    }
  }
}

}  // namespace attnscope
