// Scene editing helpers, validation and normalisation, and the built-in default scene. No GL, no ImGui and no
// views: the scene library (attnscope_scene_io) links it into the GUI-less builds that load scene files (fuzzing).
#include "app/gui/app_state.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "core/geometry.h"
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

/// Truncates or pads `m` to `d` columns; padding is zeros (conservativeResize leaves new entries uninitialised).
void resizeColumns(RowMatrix& m, int d) {
  const int old = static_cast<int>(m.cols());
  if (old == d) return;
  m.conservativeResize(Eigen::NoChange, d);
  if (d > old) m.rightCols(d - old).setZero();
}

}  // namespace

float Scene::effectiveScale() const {
  if (kernel.useScaleOverride) return kernel.scaleOverride;
  return 1.0f / std::sqrt(static_cast<float>(std::max(dimension(), 1)));
}

bool DisplayParams::isKernelShown(Kernel kernel) const {
  return std::find(shownKernels.begin(), shownKernels.end(), kernel) != shownKernels.end();
}

bool DisplayParams::setKernelShown(Kernel kernel, bool shown) {
  if (shown == isKernelShown(kernel)) return true;
  if (!shown && shownKernels.size() == 1) return false;
  std::vector<Kernel> next;
  for (Kernel k : kAllKernels)
    if (k == kernel ? shown : isKernelShown(k)) next.push_back(k);
  shownKernels = std::move(next);
  return true;
}

bool DisplayParams::mgkHard() const {
  return isKernelShown(Kernel::MgkHard) && !isKernelShown(Kernel::Mgk);
}

void DisplayParams::showMgkVariant(bool hard) {
  setKernelShown(hard ? Kernel::MgkHard : Kernel::Mgk, true);
  setKernelShown(hard ? Kernel::Mgk : Kernel::MgkHard, false);
}

bool Scene::isViewOpen(ViewKind view) const {
  return std::find(openViews.begin(), openViews.end(), view) != openViews.end();
}

void Scene::setViewOpen(ViewKind view, bool open) {
  auto it = std::find(openViews.begin(), openViews.end(), view);
  if (open && it == openViews.end()) openViews.push_back(view);
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
  resizeColumns(queries, d);
  resizeColumns(keys, d);
  resizeColumns(kernel.mgkShifts, d);
  resizeColumns(kernel.mgkOffsets, d);
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
  if (display.shownKernels.empty()) throw InputError("at least one kernel must be shown");
  // Strictly increasing kAllKernels positions: every view may rely on no repeats and one fixed order.
  for (std::size_t s = 1; s < display.shownKernels.size(); ++s)
    if (!(kernelIndex(display.shownKernels[s - 1]) < kernelIndex(display.shownKernels[s])))
      throw InputError(
          "the shown kernels must be listed once each, in the order dpa, ea, ea-pure, mgk, mgk-hard, "
          "mlk, cosine");
}

void Scene::fitPlaneExtent() {
  const PcaBasis basis = jointPca(queries, keys);
  const float reach = std::max(projectOntoBasis(basis, queries).cwiseAbs().maxCoeff(),
                               projectOntoBasis(basis, keys).cwiseAbs().maxCoeff());
  // Checked after the margin: a finite reach near FLT_MAX still overflows to Inf.
  const float extent = std::ceil(reach * 1.15f * 2.0f) / 2.0f;
  if (std::isfinite(extent) && extent > 0.0f) display.planeExtent = extent;
}

void Scene::normalise() {
  const int d = std::max(dimension(), kMinDimension);
  resizeColumns(keys, d);  // a d = 1 file gets a zero column
  resizeColumns(queries, d);
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
  // The default shifts once per component: fit() calls its fill per cell, and building a d-vector per cell made a
  // scene of one key with d = 20000 take O(M R d^2) time and as many allocations.
  RowMatrix shifts(R, d);
  for (int r = 0; r < R; ++r) shifts.row(r) = defaultShift(r, d).transpose();
  fit(kernel.mgkShifts, R, d, [&shifts](int r, int c) { return shifts(r, c); });
  fit(kernel.mgkOffsets, M * R, d, [&shifts, R](int row, int c) { return shifts(row % R, c); });
  fit(kernel.mgkPriors, M, R, [](int, int) { return kDefaultPrior; });
  fit(kernel.mgkVariances, M, R, [](int, int r) { return defaultVariance(r); });
  kernel.mgkPriors = kernel.mgkPriors.cwiseMax(0.0f).cwiseMin(1.0f);
  // Shown kernels in kAllKernels order, each once; none at all falls back to the default three.
  std::vector<Kernel> shown;
  for (Kernel k : kAllKernels)
    if (display.isKernelShown(k)) shown.push_back(k);
  display.shownKernels = shown.empty() ? DisplayParams{}.shownKernels : std::move(shown);
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
  // The Playground workspace's views (app/gui/workspaces.cpp); Densities & alignment and Model are one tab away.
  scene.workspace = WorkspaceKind::Playground;
  scene.openViews = {ViewKind::Canvas, ViewKind::Sweep, ViewKind::Maps, ViewKind::Parameters};
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

}  // namespace attnscope::gui
