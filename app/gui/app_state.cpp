// Scene editing helpers, the built-in default scene, the undo stack and the AppContext edit queue.
// Derived results are computed in derived.cpp.
#include "app/gui/app_state.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "core/error.h"
#include "core/validate.h"

namespace attnscope::gui {
namespace {

constexpr float kDefaultPrior = 0.5f;

/// Default variance of a new MGK component r: the official code uses sqrt(d) and sqrt(d)/3 for two components; in
/// the app's unit-scale plane those are too wide to see, so we start at 0.25 and 0.25/3 (users change them).
float defaultVariance(int r) {
  return r == 0 ? 0.25f : 0.25f / (1.0f + 2.0f * static_cast<float>(r));
}

/// Default shift b_r of component r in d dimensions: component 0 sits on the key, the others on a small circle.
Vector defaultShift(int r, int d) {
  Vector shift = Vector::Zero(d);
  if (r == 0) return shift;
  const float angle = 2.0f * 3.14159265f * static_cast<float>(r - 1) / 3.0f;
  shift(0) = 0.35f * std::cos(angle);
  shift(1) = 0.35f * std::sin(angle);
  return shift;
}

void requireIndex(int index, int count, const char* what) {
  if (index < 0 || index >= count) {
    std::ostringstream message;
    message << what << " index " << index << " is out of range (there are " << count << ")";
    throw InputError(message.str());
  }
}

template <typename Matrix>
void removeRows(Matrix& matrix, int first, int count) {
  const int tail = static_cast<int>(matrix.rows()) - first - count;
  if (tail > 0) matrix.middleRows(first, tail) = matrix.bottomRows(tail).eval();
  matrix.conservativeResize(matrix.rows() - count, Eigen::NoChange);
}

}  // namespace

float Scene::effectiveScale() const {
  if (kernel.useScaleOverride) return kernel.scaleOverride;
  return 1.0f / std::sqrt(static_cast<float>(std::max(dimension(), 1)));
}

bool Scene::isViewOpen(const std::string& id) const {
  return std::find(openViews.begin(), openViews.end(), id) != openViews.end();
}

void Scene::setViewOpen(const std::string& id, bool open) {
  auto it = std::find(openViews.begin(), openViews.end(), id);
  if (open && it == openViews.end()) openViews.push_back(id);
  if (!open && it != openViews.end()) openViews.erase(it);
}

int Scene::addKey(const Vector& key, std::string label) {
  if (key.size() != dimension())
    throw InputError("new key has " + std::to_string(key.size()) +
                     " entries, the scene's vectors have d = " + std::to_string(dimension()));
  const int j = keyCount();
  const int R = kernel.mgkComponents;
  keys.conservativeResize(j + 1, Eigen::NoChange);
  keys.row(j) = key.transpose();
  keyLabels.push_back(label.empty() ? "k" + std::to_string(j) : std::move(label));
  kernel.mgkPriors.conservativeResize(j + 1, R);
  kernel.mgkVariances.conservativeResize(j + 1, R);
  kernel.mgkOffsets.conservativeResize((j + 1) * R, dimension());
  for (int r = 0; r < R; ++r) {
    kernel.mgkPriors(j, r) = kDefaultPrior;
    kernel.mgkVariances(j, r) = defaultVariance(r);
    kernel.mgkOffsets.row(j * R + r) = defaultShift(r, dimension()).transpose();
  }
  return j;
}

int Scene::addQuery(const Vector& query, std::string label) {
  if (query.size() != dimension())
    throw InputError("new query has " + std::to_string(query.size()) +
                     " entries, the scene's vectors have d = " + std::to_string(dimension()));
  const int i = queryCount();
  queries.conservativeResize(i + 1, Eigen::NoChange);
  queries.row(i) = query.transpose();
  queryLabels.push_back(label.empty() ? "q" + std::to_string(i) : std::move(label));
  return i;
}

void Scene::removeKey(int j) {
  requireIndex(j, keyCount(), "key");
  if (keyCount() == 1) throw InputError("cannot remove the last key: attention needs at least one key");
  const int R = kernel.mgkComponents;
  removeRows(keys, j, 1);
  keyLabels.erase(keyLabels.begin() + j);
  removeRows(kernel.mgkPriors, j, 1);
  removeRows(kernel.mgkVariances, j, 1);
  removeRows(kernel.mgkOffsets, j * R, R);
  selectedKey = std::clamp(selectedKey > j ? selectedKey - 1 : selectedKey, 0, keyCount() - 1);
}

void Scene::removeQuery(int i) {
  requireIndex(i, queryCount(), "query");
  if (queryCount() == 1) throw InputError("cannot remove the last query: attention needs at least one query");
  removeRows(queries, i, 1);
  queryLabels.erase(queryLabels.begin() + i);
  selectedQuery = std::clamp(selectedQuery > i ? selectedQuery - 1 : selectedQuery, 0, queryCount() - 1);
}

void Scene::setMgkComponents(int components) {
  if (components < 1 || components > kMaxMgkComponents)
    throw InputError("MGK components per key must be 1.." + std::to_string(kMaxMgkComponents) + ", got " +
                     std::to_string(components));
  const int oldR = kernel.mgkComponents;
  const int M = keyCount();
  const int d = dimension();
  RowMatrix priors(M, components), variances(M, components), offsets(M * components, d), shifts(components, d);
  for (int r = 0; r < components; ++r) {
    if (r < oldR && r < kernel.mgkShifts.rows())
      shifts.row(r) = kernel.mgkShifts.row(r);
    else
      shifts.row(r) = defaultShift(r, d).transpose();
    for (int j = 0; j < M; ++j) {
      const bool kept = r < oldR;
      priors(j, r) = kept ? kernel.mgkPriors(j, r) : kDefaultPrior;
      variances(j, r) = kept ? kernel.mgkVariances(j, r) : defaultVariance(r);
      if (kept)
        offsets.row(j * components + r) = kernel.mgkOffsets.row(j * oldR + r);
      else
        offsets.row(j * components + r) = defaultShift(r, d).transpose();
    }
  }
  kernel.mgkComponents = components;
  kernel.mgkPriors = std::move(priors);
  kernel.mgkVariances = std::move(variances);
  kernel.mgkOffsets = std::move(offsets);
  kernel.mgkShifts = std::move(shifts);
}

void Scene::setDimension(int d) {
  if (d < kMinDimension) throw InputError("vector dimension must be at least 2, got " + std::to_string(d));
  auto resizeColumns = [d](RowMatrix& m) {
    const int old = static_cast<int>(m.cols());
    m.conservativeResize(Eigen::NoChange, d);
    if (d > old) m.rightCols(d - old).setZero();
  };
  resizeColumns(queries);
  resizeColumns(keys);
  resizeColumns(kernel.mgkShifts);
  resizeColumns(kernel.mgkOffsets);
}

Vector Scene::mgkCentre(int j, int r) const {
  requireIndex(j, keyCount(), "key");
  requireIndex(r, kernel.mgkComponents, "MGK component");
  if (kernel.mgkCentres == MgkCentres::Shifted) return (keys.row(j) + kernel.mgkShifts.row(r)).transpose();
  return (keys.row(j) + kernel.mgkOffsets.row(j * kernel.mgkComponents + r)).transpose();
}

void Scene::validate() const {
  const int d = dimension();
  const int N = queryCount();
  const int M = keyCount();
  const int R = kernel.mgkComponents;
  if (d < kMinDimension) throw InputError("vectors must have d >= 2 entries, the scene has d = " + std::to_string(d));
  if (N < 1 || M < 1) throw InputError("the scene needs at least one query and one key");
  requireSameDimension(queries, "queries", keys, "keys");
  requireFinite(queries, "queries");
  requireFinite(keys, "keys");
  if (static_cast<int>(queryLabels.size()) != N || static_cast<int>(keyLabels.size()) != M)
    throw InputError("the scene has " + std::to_string(queryLabels.size()) + " query labels for " + std::to_string(N) +
                     " queries and " + std::to_string(keyLabels.size()) + " key labels for " + std::to_string(M) +
                     " keys");
  requireIndex(selectedQuery, N, "selected query");
  requireIndex(selectedKey, M, "selected key");
  if (R < 1 || R > kMaxMgkComponents)
    throw InputError("MGK components per key must be 1.." + std::to_string(kMaxMgkComponents));
  auto requireShape = [](const RowMatrix& m, int rows, int cols, const char* what) {
    if (m.rows() != rows || m.cols() != cols)
      throw InputError(std::string(what) + " is " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) +
                       ", expected " + std::to_string(rows) + " x " + std::to_string(cols));
    requireFinite(m, what);
  };
  requireShape(kernel.mgkShifts, R, d, "MGK shifts");
  requireShape(kernel.mgkOffsets, M * R, d, "MGK offsets");
  requireShape(kernel.mgkPriors, M, R, "MGK priors");
  requireShape(kernel.mgkVariances, M, R, "MGK variances");
  if ((kernel.mgkPriors.array() < 0.0f).any() || (kernel.mgkPriors.array() > 1.0f).any())
    throw InputError("MGK priors must lie in [0, 1]");
  if (!(kernel.mgkVariances.array() > 0.0f).all()) throw InputError("MGK variances must be > 0");
  if (kernel.useScaleOverride && !(std::isfinite(kernel.scaleOverride) && kernel.scaleOverride > 0.0f))
    throw InputError("the score scale must be a finite number > 0");
  if (!(std::isfinite(kernel.cosineTemperature) && kernel.cosineTemperature > 0.0f))
    throw InputError("the cosine temperature tau must be a finite number > 0");
  if (!(divergence.ctRho >= 0.0f && divergence.ctRho <= 1.0f)) throw InputError("CT rho must lie in [0, 1]");
  if (!(divergence.ctTau > 0.0f && std::isfinite(divergence.ctTau))) throw InputError("CT tau must be > 0");
  if (!(divergence.sinkhornEpsilon > 0.0f && std::isfinite(divergence.sinkhornEpsilon)))
    throw InputError("Sinkhorn epsilon must be > 0");
  if (!(display.classificationBandDegrees >= 0.0f && display.classificationBandDegrees <= 45.0f))
    throw InputError("the classification band must lie in [0, 45] degrees");
  if (!(display.planeExtent > 0.0f && std::isfinite(display.planeExtent)))
    throw InputError("the plane extent must be > 0");
  if (display.densityResolution < 8 || display.densityResolution > 2048)
    throw InputError("the density resolution must be 8..2048 samples per side");
}

void Scene::normalise() {
  const int d = std::max(dimension(), kMinDimension);
  if (keys.cols() != d) keys.conservativeResize(Eigen::NoChange, d);
  if (queries.cols() != d) queries.conservativeResize(Eigen::NoChange, d);
  queryLabels.resize(queries.rows());
  keyLabels.resize(keys.rows());
  for (std::size_t i = 0; i < queryLabels.size(); ++i)
    if (queryLabels[i].empty()) queryLabels[i] = "q" + std::to_string(i);
  for (std::size_t j = 0; j < keyLabels.size(); ++j)
    if (keyLabels[j].empty()) keyLabels[j] = "k" + std::to_string(j);
  selectedQuery = std::clamp(selectedQuery, 0, std::max(queryCount() - 1, 0));
  selectedKey = std::clamp(selectedKey, 0, std::max(keyCount() - 1, 0));
  const int R = std::clamp(kernel.mgkComponents, 1, kMaxMgkComponents);
  const int M = keyCount();
  auto fit = [](RowMatrix& m, int rows, int cols, auto fill) {
    if (m.rows() == rows && m.cols() == cols) return;
    RowMatrix resized(rows, cols);
    for (int i = 0; i < rows; ++i)
      for (int c = 0; c < cols; ++c) resized(i, c) = i < m.rows() && c < m.cols() ? m(i, c) : fill(i, c);
    m = std::move(resized);
  };
  kernel.mgkComponents = R;
  fit(kernel.mgkShifts, R, d, [d](int r, int c) { return defaultShift(r, d)(c); });
  fit(kernel.mgkOffsets, M * R, d, [d, R](int row, int c) { return defaultShift(row % R, d)(c); });
  fit(kernel.mgkPriors, M, R, [](int, int) { return kDefaultPrior; });
  fit(kernel.mgkVariances, M, R, [](int, int r) { return defaultVariance(r); });
  kernel.mgkPriors = kernel.mgkPriors.cwiseMax(0.0f).cwiseMin(1.0f);
}

Scene defaultScene() {
  Scene scene;
  scene.queries.resize(0, 2);
  scene.keys.resize(0, 2);
  scene.kernel.mgkShifts.resize(0, 2);
  scene.kernel.mgkOffsets.resize(0, 2);
  scene.kernel.mgkPriors.resize(0, 0);
  scene.kernel.mgkVariances.resize(0, 0);
  scene.setMgkComponents(2);
  // Query along x; keys parallel, orthogonal, antiparallel and a long parallel one: DPA ranks them by dot product,
  // EA lifts the antiparallel key and silences the orthogonal one, MGK prefers the nearby centres.
  scene.addQuery(Vector{{1.0f, 0.0f}}, "q0");
  scene.addQuery(Vector{{0.6f, 0.8f}}, "q1");
  scene.addKey(Vector{{1.0f, 0.0f}}, "parallel");
  scene.addKey(Vector{{0.0f, 1.0f}}, "orthogonal");
  scene.addKey(Vector{{-1.0f, 0.0f}}, "antiparallel");
  scene.addKey(Vector{{1.6f, 0.2f}}, "long");
  scene.selectedQuery = 0;
  scene.selectedKey = 0;
  scene.openViews = {"canvas", "sweep", "maps", "density", "divergence", "parameters"};
  return scene;
}

void appendRandomVectors(Scene& scene, int count, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> direction(0.0f, 1.0f);
  std::uniform_real_distribution<float> norm(0.3f, 1.7f);
  const int d = scene.dimension();
  for (int n = 0; n < count; ++n) {
    Vector v(d);
    for (int c = 0; c < d; ++c) v(c) = direction(generator);
    const float length = v.norm();
    v = length > 1e-6f ? Vector(v * (norm(generator) / length)) : Vector::Unit(d, 0);
    if (n % 2 == 0)
      scene.addKey(v);
    else
      scene.addQuery(v);
  }
}

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

/// Computes Derived for the scenes of a drag on a background thread, so a frame never waits for it: the views keep
/// drawing the last finished result (at most one computation behind the scene) while the next one runs. One job at
/// a time; the UI thread asks again with the newest scene after taking a result. The worker owns the back buffer:
/// taking a result swaps it with the UI's Derived (no copy of the N x M matrices).
class DragDerivedWorker {
 public:
  DragDerivedWorker() : thread_([this] { run(); }) {}
  ~DragDerivedWorker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  DragDerivedWorker(const DragDerivedWorker&) = delete;
  DragDerivedWorker& operator=(const DragDerivedWorker&) = delete;

  /// True while a job is queued, running or finished but not taken.
  bool busy() {
    std::lock_guard lock(mutex_);
    return state_ != State::Idle;
  }
  /// Starts computing `scene` (the worker must not be busy).
  void request(const Scene& scene, std::uint64_t revision) {
    {
      std::lock_guard lock(mutex_);
      job_ = std::make_unique<std::pair<Scene, std::uint64_t>>(scene, revision);
      state_ = State::Queued;
    }
    wake_.notify_all();
  }
  /// If a result is ready, swaps it into `front` and returns true. wait: block until the running job finishes.
  bool take(Derived& front, bool wait) {
    std::unique_lock lock(mutex_);
    if (wait) done_.wait(lock, [this] { return state_ == State::Idle || state_ == State::Finished; });
    if (state_ != State::Finished) return false;
    std::swap(front, back_);
    // Responsibilities are not computed during a drag (computeDerived): the UI keeps its own until finishDrag.
    std::swap(front.mgkResponsibilities, back_.mgkResponsibilities);
    state_ = State::Idle;
    return true;
  }

 private:
  enum class State { Idle, Queued, Running, Finished };
  void run() {
    for (;;) {
      std::unique_ptr<std::pair<Scene, std::uint64_t>> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || state_ == State::Queued; });
        if (stop_) return;
        job = std::move(job_);
        state_ = State::Running;
      }
      // back_ is only touched by this thread while Running (take() swaps it only when Finished).
      const auto start = std::chrono::steady_clock::now();
      computeDerived(job->first, job->second, back_, DerivedParts::WithoutSlowDivergences, true);
      const auto busy = std::chrono::steady_clock::now() - start;
      std::unique_lock lock(mutex_);
      state_ = State::Finished;
      done_.notify_all();
      // Rest as long as the computation took (as SlowDivergenceWorker does): back-to-back jobs of a large scene would
      // take a whole core from llvmpipe's rasteriser threads; the views then update at most every other computation
      // time. The end of a drag does not wait for the rest (take() only needs Finished).
      wake_.wait_for(lock, busy, [this] { return stop_; });
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  State state_ = State::Idle;
  std::unique_ptr<std::pair<Scene, std::uint64_t>> job_;
  Derived back_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after every member above exists
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
        slowWorker_->request(undo_.current(), undo_.revision());
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
