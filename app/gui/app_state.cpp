// The undo stack, the slow-divergence worker and the AppContext edit queue. Scene editing helpers are in
// scene.cpp; derived results are computed in derived.cpp.
#include "app/gui/app_state.h"

#include "core/job_runner.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "app/gui/long_map.h"
#include "app/gui/model_session.h"
#include "app/gui/presenter.h"
#include "app/gui/train_session.h"
#include "app/views/view_probe.h"
#include "core/error.h"
#include "core/job_runner.h"

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

const ViewInfo& viewInfo(ViewKind kind) {
  for (const ViewInfo& view : allViews())
    if (view.kind == kind) return view;
  throw std::logic_error("view kind " + std::to_string(static_cast<int>(kind)) + " is not registered");
}

// ---------------------------------------------------------------------------------------------------------------

/// The expensive divergences of the most recently requested scene, on a JobRunner lane. A new request replaces a
/// pending one (a drag asks every frame; only the latest scene matters), and the result is picked up by
/// AppContext::endFrame on the UI thread.
class SlowDivergenceWorker {
 public:
  struct Result {
    std::uint64_t revision = 0;
    Divergences divergences;
    std::string error;
  };

  /// `dragging`: the scene is one step of a drag, more will follow. Otherwise the request ends any rest at once, so
  /// the final scene of a drag is computed as soon as the running computation (if any) is done.
  void request(const Scene& scene, std::uint64_t revision, bool dragging) {
    JobRunner::JobOptions options;
    // During a drag, rest three times as long as the computation took: a drag requests every frame, and
    // back-to-back Sinkhorn runs would take a whole core from the UI thread and llvmpipe's rasteriser threads (on 2
    // cores a quarter of one keeps frames within budget while MMD and Sinkhorn still update several times a second
    // at 256 vectors). A request that is not part of a drag (its end, any other edit) cuts the rest short.
    options.restFactor = dragging ? 3.0f : 0.0f;
    options.cutsRest = !dragging;
    runner_.submit(
        [this, scene, revision](const std::atomic<bool>&) {
          auto result = std::make_unique<Result>();
          result->revision = revision;
          computeSlowDivergences(scene, result->divergences, result->error);
          std::lock_guard lock(mutex_);
          done_ = std::move(result);
        },
        options);
  }

  std::unique_ptr<Result> take() {
    std::lock_guard lock(mutex_);
    return std::move(done_);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<Result> done_;  // guarded by mutex_
  JobRunner runner_;              // last: destroyed (its job finished) before the members the job writes
};

/// Computes Derived for the scenes of a drag on a JobRunner lane, so a frame never waits for it: the views keep
/// drawing the last finished result (at most one computation behind the scene) while the next one runs. One job at
/// a time; the UI thread asks again with the newest scene after taking a result. The worker owns the back buffer:
/// taking a result swaps it with the UI's Derived (no copy of the N x M matrices).
class DragDerivedWorker {
 public:
  /// True while a job is queued, running or finished but not taken.
  bool busy() {
    std::lock_guard lock(mutex_);
    return requested_;
  }
  /// Starts computing `scene` (the worker must not be busy).
  void request(const Scene& scene, std::uint64_t revision) {
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
      finished_ = false;
    }
    JobRunner::JobOptions options;
    // Rest as long as the computation took (as SlowDivergenceWorker does): back-to-back jobs of a large scene would
    // take a whole core from llvmpipe's rasteriser threads; the views then update at most every other computation
    // time. The end of a drag does not wait for the rest (take() only needs the job finished).
    options.restFactor = 1.0f;
    runner_.submit(
        [this, scene, revision](const std::atomic<bool>&) {
          // back_ is only touched by this job until it is finished (take() swaps it only then).
          computeDerived(scene, revision, back_, DerivedParts::WithoutSlowDivergences, true);
          std::lock_guard lock(mutex_);
          finished_ = true;
        },
        options);
  }
  /// If a result is ready, swaps it into `front` and returns true. wait: block until the running job finishes.
  bool take(Derived& front, bool wait) {
    if (wait) runner_.waitIdle();
    std::lock_guard lock(mutex_);
    if (!finished_) return false;
    std::swap(front, back_);
    // Responsibilities are not computed during a drag (computeDerived): the UI keeps its own until finishDrag.
    std::swap(front.mgkResponsibilities, back_.mgkResponsibilities);
    requested_ = finished_ = false;
    return true;
  }

 private:
  std::mutex mutex_;
  bool requested_ = false;  ///< a job was requested and its result not yet taken
  bool finished_ = false;   ///< the job is done and back_ holds its result
  Derived back_;
  JobRunner runner_;  // last: destroyed (its job finished) before the members the job writes
};

namespace {

/// A drag may be computed in the background only while it keeps every shape (vector counts, dimension, components):
/// the views then read a Derived one computation behind the scene without index mismatches.
bool sameShapes(const Scene& a, const Scene& b) {
  return a.queryCount() == b.queryCount() && a.keyCount() == b.keyCount() && a.dimension() == b.dimension() &&
         a.kernel.mgkComponents == b.kernel.mgkComponents;
}

}  // namespace

AppContext::AppContext(Scene initial) : undo_(std::move(initial)) {}

AppContext::~AppContext() = default;

TrainSession& AppContext::trainSession() {
  if (!trainSession_) trainSession_ = std::make_unique<TrainSession>();
  return *trainSession_;
}

ModelSession& AppContext::modelSession() {
  if (!modelSession_) {
    modelSession_ = std::make_unique<ModelSession>();
    modelSession_->recentPaths = loadRecentModels();
  }
  return *modelSession_;
}

DemoPlayer& AppContext::demoPlayer() {
  if (!demoPlayer_) demoPlayer_ = std::make_unique<DemoPlayer>();
  return *demoPlayer_;
}

LongMapState& AppContext::longMap() {
  if (!longMap_) longMap_ = std::make_unique<LongMapState>();
  return *longMap_;
}

views::ViewProbe& AppContext::viewProbe() {
  if (!viewProbe_) viewProbe_ = std::make_unique<views::ViewProbe>();
  return *viewProbe_;
}

View& AppContext::view(ViewKind kind) {
  std::unique_ptr<View>& slot = views_[kind];
  if (!slot) slot = viewInfo(kind).make();
  return *slot;
}

void AppContext::setBackgroundDivergences(bool enabled) {
  if (enabled && !slowWorker_) slowWorker_ = std::make_unique<SlowDivergenceWorker>();
  if (enabled && !dragWorker_) dragWorker_ = std::make_unique<DragDerivedWorker>();
  if (!enabled) slowWorker_.reset(), dragWorker_.reset();
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

bool AppContext::takeDragResult(bool wait) {
  // The expensive divergences belong to the UI's Derived (merged by mergeSlowDivergences): keep them across the swap.
  // Scalars only: the divergences also hold the N x M transport plans, which the swap must not copy.
  const Divergences& before = derived_.divergences;
  const float slow[5] = {before.mmdBiased, before.mmdUnbiased, before.sinkhorn, before.gaussianKl, before.frechet};
  const std::uint64_t slowRevision = derived_.slowDivergenceRevision;
  if (!dragWorker_->take(derived_, wait)) return false;
  Divergences& d = derived_.divergences;
  d.mmdBiased = slow[0], d.mmdUnbiased = slow[1], d.sinkhorn = slow[2], d.gaussianKl = slow[3], d.frechet = slow[4];
  derived_.slowDivergenceRevision = slowRevision;
  if (!derived_.error.empty()) reportError(derived_.error);
  if (onDerivedChanged) onDerivedChanged(*this);
  return true;
}

bool AppContext::refreshDerived() {
  if (dragWorker_) {
    // A drag that keeps every shape is computed in the background (DragDerivedWorker); anything else, including
    // the end of the drag, waits for a running job and then computes synchronously below, exactly as before.
    const bool background = dragging_ && sameShapes(undo_.current(), derivedScene_);
    bool taken = takeDragResult(!background);
    if (background) {
      if (!dragWorker_->busy() && derived_.sceneRevision != undo_.revision()) {
        dragWorker_->request(undo_.current(), undo_.revision());
        slowWorker_->request(undo_.current(), undo_.revision(), true);
        derivedScene_ = undo_.current();
      }
      return taken;
    }
  }
  if (derived_.sceneRevision == undo_.revision()) {
    // The drag ended: the density field computed coarsely while dragging gets its full resolution back, and the MGK
    // responsibilities skipped while dragging are computed.
    if (!derived_.dragPreview || dragging_) return false;
    if (std::string error = finishDrag(undo_.current(), derived_); !error.empty()) reportError(std::move(error));
    if (onDerivedChanged) onDerivedChanged(*this);
    return true;
  }
  derivedScene_ = undo_.current();
  if (slowWorker_) {
    computeDerived(undo_.current(), undo_.revision(), derived_, DerivedParts::WithoutSlowDivergences, dragging_);
    slowWorker_->request(undo_.current(), undo_.revision(), dragging_);
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
