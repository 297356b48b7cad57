// The undo stack, the slow-divergence worker and the AppContext edit queue. Scene editing helpers are in
// scene.cpp; derived results are computed in derived.cpp.
#include "app/gui/app_state.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "core/error.h"

namespace attnscope::gui {

// ---------------------------------------------------------------------------------------------------------------

UndoStack::UndoStack(Scene initial) {
  history_.push_back({std::move(initial), "Initial scene", 0});
}

void UndoStack::push(Scene next, std::string label, EditMerge merge, std::uint64_t frame) {
  next.validate();
  history_.erase(history_.begin() + static_cast<std::ptrdiff_t>(position_) + 1, history_.end());
  Entry& last = history_.back();
  const bool mergeable =
      merge == EditMerge::Continuous && position_ > 0 && last.label == label && frame <= last.frame + 1;
  if (mergeable) {
    last.scene = std::move(next);
    last.frame = frame;
  } else {
    history_.push_back({std::move(next), std::move(label), frame});
    if (history_.size() > kMaxSteps) history_.pop_front();
    position_ = history_.size() - 1;
  }
  ++revision_;
}

bool UndoStack::undo() {
  if (!canUndo()) return false;
  --position_;
  ++revision_;
  return true;
}

bool UndoStack::redo() {
  if (!canRedo()) return false;
  ++position_;
  ++revision_;
  return true;
}

const std::string& UndoStack::undoLabel() const {
  static const std::string none;
  return canUndo() ? history_[position_].label : none;
}

const std::string& UndoStack::redoLabel() const {
  static const std::string none;
  return canRedo() ? history_[position_ + 1].label : none;
}

void UndoStack::reset(Scene scene, std::string label) {
  scene.validate();
  history_.clear();
  history_.push_back({std::move(scene), std::move(label), 0});
  position_ = 0;
  ++revision_;
}

void DivergenceHistory::append(const Divergences& d) {
  auto push = [](std::vector<float>& series, float value) {
    if (series.size() >= kMaxSamples) series.erase(series.begin(), series.begin() + kMaxSamples / 4);
    series.push_back(value);
  };
  push(ct, d.ct);
  push(mmd, d.mmdBiased);
  push(sinkhorn, d.sinkhorn);
  push(gaussianKl, d.gaussianKl);
  push(frechet, d.frechet);
}

void DivergenceHistory::clear() {
  ct.clear();
  mmd.clear();
  sinkhorn.clear();
  gaussianKl.clear();
  frechet.clear();
}

const ViewInfo* findView(std::string_view id) {
  for (const ViewInfo& view : allViews())
    if (id == view.id) return &view;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------------------

/// One background thread computing the expensive divergences of the most recently requested scene. A new request
/// replaces a pending one (a drag asks every frame; only the latest scene matters), and the result is picked up by
/// AppContext::endFrame on the UI thread.
class SlowDivergenceWorker {
 public:
  struct Result {
    std::uint64_t revision = 0;
    Divergences divergences;
    std::string error;
  };

  SlowDivergenceWorker() : thread_([this] { run(); }) {}
  ~SlowDivergenceWorker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  SlowDivergenceWorker(const SlowDivergenceWorker&) = delete;
  SlowDivergenceWorker& operator=(const SlowDivergenceWorker&) = delete;

  void request(const Scene& scene, std::uint64_t revision) {
    {
      std::lock_guard lock(mutex_);
      pending_ = std::make_unique<std::pair<Scene, std::uint64_t>>(scene, revision);
    }
    wake_.notify_one();
  }

  std::unique_ptr<Result> take() {
    std::lock_guard lock(mutex_);
    return std::move(done_);
  }

 private:
  void run() {
    for (;;) {
      std::unique_ptr<std::pair<Scene, std::uint64_t>> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || pending_ != nullptr; });
        if (stop_) return;
        job = std::move(pending_);
      }
      auto result = std::make_unique<Result>();
      result->revision = job->second;
      const auto start = std::chrono::steady_clock::now();
      computeSlowDivergences(job->first, result->divergences, result->error);
      const auto busy = std::chrono::steady_clock::now() - start;
      std::unique_lock lock(mutex_);
      done_ = std::move(result);
      // Rest as long as the computation took: a drag requests every frame, and back-to-back Sinkhorn runs would take
      // a whole core from the UI thread and llvmpipe's rasteriser threads. The final scene of a drag waits at most
      // one more computation.
      wake_.wait_for(lock, busy, [this] { return stop_; });
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::unique_ptr<std::pair<Scene, std::uint64_t>> pending_;
  std::unique_ptr<Result> done_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after every member above exists
};

AppContext::AppContext(Scene initial) : undo_(std::move(initial)) {}

AppContext::~AppContext() = default;

void AppContext::setBackgroundDivergences(bool enabled) {
  if (enabled && !slowWorker_) slowWorker_ = std::make_unique<SlowDivergenceWorker>();
  if (!enabled) slowWorker_.reset();
}

bool AppContext::mergeSlowDivergences() {
  if (!slowWorker_) return false;
  std::unique_ptr<SlowDivergenceWorker::Result> result = slowWorker_->take();
  if (!result) return false;
  Divergences& d = derived_.divergences;
  d.mmdBiased = result->divergences.mmdBiased;
  d.mmdUnbiased = result->divergences.mmdUnbiased;
  d.sinkhorn = result->divergences.sinkhorn;
  d.gaussianKl = result->divergences.gaussianKl;
  d.frechet = result->divergences.frechet;
  derived_.slowDivergenceRevision = result->revision;
  if (!result->error.empty()) reportError(result->error);
  divergenceHistory_.append(d);
  if (onDerivedChanged) onDerivedChanged(*this);
  return true;
}

void AppContext::submit(Scene next, std::string label, EditMerge merge) {
  pending_ = std::make_unique<PendingEdit>(PendingEdit{std::move(next), std::move(label), merge});
}

void AppContext::reportError(std::string message) {
  errors_.push_back(std::move(message));
}

bool AppContext::endFrame() {
  dragging_ = pending_ && pending_->merge == EditMerge::Continuous;
  if (pending_) {
    std::unique_ptr<PendingEdit> edit = std::move(pending_);
    try {
      undo_.push(std::move(edit->scene), std::move(edit->label), edit->merge, frame_);
    } catch (const std::exception& e) {
      reportError(std::string("edit refused: ") + e.what());
    }
  }
  ++frame_;
  const bool refreshed = refreshDerived();
  const bool merged = mergeSlowDivergences();
  return refreshed || merged;
}

bool AppContext::refreshDerived() {
  if (derived_.sceneRevision == undo_.revision()) {
    // The drag ended: the density field computed coarsely while dragging gets its full resolution back, and the MGK
    // responsibilities skipped while dragging are computed.
    if (!derived_.dragPreview || dragging_) return false;
    if (std::string error = finishDrag(undo_.current(), derived_); !error.empty()) reportError(std::move(error));
    if (onDerivedChanged) onDerivedChanged(*this);
    return true;
  }
  if (slowWorker_) {
    computeDerived(undo_.current(), undo_.revision(), derived_, DerivedParts::WithoutSlowDivergences, dragging_);
    slowWorker_->request(undo_.current(), undo_.revision());
  } else {
    computeDerived(undo_.current(), undo_.revision(), derived_, DerivedParts::All);
    divergenceHistory_.append(derived_.divergences);
  }
  if (!derived_.error.empty()) reportError(derived_.error);
  if (onDerivedChanged) onDerivedChanged(*this);
  return true;
}

void AppContext::undo() {
  undo_.undo();
}
void AppContext::redo() {
  undo_.redo();
}

void AppContext::resetScene(Scene scene, std::string label) {
  try {
    undo_.reset(std::move(scene), std::move(label));
    divergenceHistory_.clear();
  } catch (const std::exception& e) {
    reportError(std::string("could not load the scene: ") + e.what());
  }
}

std::vector<std::string> AppContext::takeErrors() {
  return std::exchange(errors_, {});
}

}  // namespace attnscope::gui
