// The long map view's state (see long_map.h): source, viewport, worker bookkeeping and the images shown.
#include "app/gui/long_map.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "core/attention_kernels.h"
#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope::gui {

using Eigen::Index;

namespace {

/// Max-pools `values` (R x C) down to at most `pixels` per side (pixel p covers rows [p R / P, (p + 1) R / P)).
RowMatrix maxPool(const RowMatrix& values, int pixels) {
  const Index rows = std::min<Index>(values.rows(), pixels), cols = std::min<Index>(values.cols(), pixels);
  RowMatrix out = RowMatrix::Zero(rows, cols);
  for (Index p = 0; p < rows; ++p)
    for (Index q = 0; q < cols; ++q) {
      const Index r0 = p * values.rows() / rows, r1 = (p + 1) * values.rows() / rows;
      const Index c0 = q * values.cols() / cols, c1 = (q + 1) * values.cols() / cols;
      out(p, q) = values.block(r0, c0, r1 - r0, c1 - c0).maxCoeff();
    }
  return out;
}

}  // namespace

bool captureNeedsLongMap(const model::CaptureSummary& summary) {
  if (summary.tokens > kDenseViewMaxTokens) return true;
  // A short capture with its maps stored opens dense, or is refused with the loader's budget message.
  if (summary.hasAttention) return false;
  // Without stored maps, every head's N x N map would be computed on opening: only if they all fit.
  const double denseBytes = static_cast<double>(summary.layers) * summary.heads * summary.tokens *
                            static_cast<double>(summary.tokens) * sizeof(float);
  return denseBytes > static_cast<double>(memoryBudgetBytes());
}

LongMapState::LongMapState(LongMapOptions options) : options_(options), kernelShown_(kAllKernels.size(), false) {
  kernelShown_[kernelIndex(Kernel::Dpa)] = true;
  kernelShown_[kernelIndex(Kernel::Ea)] = true;
}

LongMapState::~LongMapState() = default;

void LongMapState::loadHead(const std::string& path, int layer, int head) {
  model::CaptureSummary summary = model::readCaptureSummary(path);
  // Checks the layer and head and the budget before reading, and reads this head only.
  model::CaptureHead data = model::readCaptureHead(path, layer, head);
  rowLabels_.clear();
  rowLabels_.reserve(summary.tokenTexts.size());
  for (std::size_t i = 0; i < summary.tokenTexts.size(); ++i)
    rowLabels_.push_back(std::to_string(i) + ":" + summary.tokenTexts[i]);
  columnLabels_ = rowLabels_;
  queries_ = std::move(data.queries);
  keys_ = std::move(data.keys);
  attention_ = {};
  attention_.causal = summary.causal;
  attention_.computeScores = false;
  summary_ = std::move(summary);
  capturePath_ = path;
  layer_ = layer;
  head_ = head;
  ++sourceRevision_;
}

void LongMapState::openCapture(const std::string& path, int layer, int head) {
  loadHead(path, layer, head);
  resetZoom();
}

void LongMapState::selectHead(int layer, int head) {
  if (!summary_ || (layer == layer_ && head == head_)) return;
  loadHead(capturePath_, layer, head);  // same map size: the viewport stays where it is
}

void LongMapState::closeCapture() {
  summary_.reset();
  capturePath_.clear();
  queries_.resize(0, 0);
  keys_.resize(0, 0);
  ++sourceRevision_;
}

bool LongMapState::kernelShown(Kernel kernel) const {
  return kernelShown_[kernelIndex(kernel)];
}

void LongMapState::setKernelShown(Kernel kernel, bool shown) {
  if (!shown && shownKernels().size() == 1 && kernelShown(kernel)) return;  // one map at least
  kernelShown_[kernelIndex(kernel)] = shown;
}

std::vector<Kernel> LongMapState::shownKernels() const {
  std::vector<Kernel> kernels;
  for (Kernel kernel : kAllKernels)
    if (kernelShown(kernel)) kernels.push_back(kernel);
  return kernels;
}

void LongMapState::sync(const Scene& scene) {
  if (!summary_) {
    // The scene's vectors, causal flag, scale and EA form: what its attention maps view shows (MGK and MLK take the
    // core's defaults, as `attnscope map` does).
    AttentionOptions options;
    options.causal = scene.kernel.causal;
    if (scene.kernel.useScaleOverride) options.scale = scene.kernel.scaleOverride;
    options.expressiveForm = scene.kernel.eaForm;
    options.computeScores = false;
    const bool sameVectors = queries_.rows() == scene.queries.rows() && queries_.cols() == scene.queries.cols() &&
                             keys_.rows() == scene.keys.rows() && keys_.cols() == scene.keys.cols() &&
                             queries_ == scene.queries && keys_ == scene.keys;
    const bool sameOptions = attention_.causal == options.causal && attention_.scale == options.scale &&
                             attention_.expressiveForm == options.expressiveForm;
    if (!sameVectors || !sameOptions) {
      const bool resized = queries_.rows() != scene.queries.rows() || keys_.rows() != scene.keys.rows();
      queries_ = scene.queries;
      keys_ = scene.keys;
      rowLabels_ = scene.queryLabels;
      columnLabels_ = scene.keyLabels;
      attention_ = options;
      ++sourceRevision_;
      if (resized) resetZoom();
    }
  }
  viewport_ = clampViewport(viewport_, limits());
  const std::vector<Kernel> kernels = shownKernels();
  if (rows() > 0 && cols() > 0 && (!worker_ || workerSource_ != sourceRevision_ || workerKernels_ != kernels))
    rebuildWorker();
}

void LongMapState::rebuildWorker() {
  worker_.reset();  // joins the old thread first: never two normaliser passes at once
  MapWorkerOptions options;
  options.attention = attention_;
  options.streaming.threads = options_.threads;
  workerKernels_ = shownKernels();
  worker_ = std::make_unique<MapImageWorker>(queries_, keys_, workerKernels_, options);
  workerSource_ = sourceRevision_;
  lastRequest_.reset();
  minimapRequestId_ = 0;
  images_.assign(workerKernels_.size(), ShownImage{});
  for (std::size_t k = 0; k < workerKernels_.size(); ++k) images_[k].image.kernel = workerKernels_[k];
  minimap_.resize(0, 0);
  ++minimapRevision_;
}

std::string LongMapState::rowLabel(Index i) const {
  return i >= 0 && i < static_cast<Index>(rowLabels_.size()) ? rowLabels_[static_cast<std::size_t>(i)]
                                                             : std::to_string(i);
}

std::string LongMapState::columnLabel(Index j) const {
  return j >= 0 && j < static_cast<Index>(columnLabels_.size()) ? columnLabels_[static_cast<std::size_t>(j)]
                                                                : std::to_string(j);
}

ViewportLimits LongMapState::limits() const {
  ViewportLimits limits;
  limits.rows = std::max<Index>(rows(), 1);
  limits.cols = std::max<Index>(cols(), 1);
  limits.minSpan = options_.minSpan;
  return limits;
}

void LongMapState::setViewport(const MapViewport& viewport) {
  viewport_ = clampViewport(viewport, limits());
}

void LongMapState::zoom(double factor, double anchorRow, double anchorCol) {
  viewport_ = zoomViewport(viewport_, factor, anchorRow, anchorCol, limits());
}

void LongMapState::zoomCentre(double factor) {
  zoom(factor, viewport_.rowBegin + 0.5 * viewport_.rowSpan, viewport_.colBegin + 0.5 * viewport_.colSpan);
}

void LongMapState::pan(double deltaRows, double deltaCols) {
  viewport_ = panViewport(viewport_, deltaRows, deltaCols, limits());
}

void LongMapState::resetZoom() {
  viewport_ = fullViewport(limits());
}

void LongMapState::request(Index pixelRows, Index pixelCols) {
  if (!worker_ || pixelRows < 1 || pixelCols < 1) return;
  const RequestKey key{viewportRegion(viewport_, limits()), pixelRows, pixelCols, pooling};
  if (lastRequest_ && *lastRequest_ == key) {
    // The view is answered and the user zoomed in before the first whole-map answer: the minimap's overview is
    // asked for now, while nothing else is wanted (a new viewport cancels it, and it is asked again later).
    const MapRegion whole{0, rows(), 0, cols()};
    if (minimap_.size() == 0 && minimapRequestId_ == 0 && worker_->idle())
      minimapRequestId_ = worker_->request(whole, options_.minimapPixels, options_.minimapPixels, Pooling::Max);
    return;
  }
  lastRequestId_ = worker_->request(key.region, key.pixelRows, key.pixelCols, key.pooling);
  lastRequest_ = key;
  minimapRequestId_ = 0;  // cancelled by this request, if it was running
}

bool LongMapState::collect() {
  if (!worker_) return false;
  bool changed = false;
  const MapRegion whole{0, rows(), 0, cols()};
  for (MapImage& image : worker_->takeImages()) {
    if (minimapRequestId_ != 0 && image.requestId == minimapRequestId_) {
      // The minimap's own answer: never shown in the maps, which show another viewport.
      if (!image.coarse && image.kernel == workerKernels_.front())
        minimap_ = maxPool(image.values, options_.minimapPixels), ++minimapRevision_, changed = true;
      continue;
    }
    for (ShownImage& shown : images_) {
      if (shown.image.kernel != image.kernel) continue;
      // Newer requests replace older ones (a coarse answer of the new viewport beats the old one's full answer: it is
      // where the user is looking); within one request the full answer replaces the coarse one, never the reverse.
      const bool newer = image.requestId > shown.image.requestId ||
                         (image.requestId == shown.image.requestId && shown.image.coarse && !image.coarse);
      if (!newer && shown.revision != 0) continue;
      if (!image.coarse && image.region == whole && image.kernel == workerKernels_.front())
        minimap_ = maxPool(image.values, options_.minimapPixels), ++minimapRevision_;
      shown.image = std::move(image);
      shown.revision = nextRevision_++;
      changed = true;
      break;
    }
  }
  return changed;
}

bool LongMapState::waitForImages(double timeoutSeconds) {
  if (!worker_) return true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
  while (!worker_->idle()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  collect();
  return true;
}

bool LongMapState::computing() const {
  return worker_ && !worker_->idle();
}

std::string LongMapState::error() const {
  return worker_ ? worker_->lastError() : std::string();
}

float LongMapState::colourMax() const {
  float high = 0.0f;
  for (const ShownImage& shown : images_)
    if (shown.image.values.size() > 0) high = std::max(high, shown.image.values.maxCoeff());
  return high > 0.0f ? high : 1.0f;
}

float LongMapState::colourMin() const {
  return logScale ? colourMax() * 1e-6f : 0.0f;
}

std::vector<float> LongMapState::exactWeights(Index row, Index column) {
  std::vector<float> weights;
  if (row < 0 || row >= rows() || column < 0 || column >= cols()) return weights;
  const std::vector<Kernel> kernels = shownKernels();
  if (row != exactRow_ || exactSource_ != sourceRevision_ || exactKernels_ != kernels) {
    exactRows_.clear();
    AttentionOptions options = attention_;
    options.causalOffset = row;  // the one query keeps its place in the causal order
    for (Kernel kernel : kernels)
      exactRows_.push_back(computeAttention(kernel, queries_.row(row), keys_, options).weights);
    exactRow_ = row;
    exactSource_ = sourceRevision_;
    exactKernels_ = kernels;
  }
  for (const RowMatrix& weightsRow : exactRows_) weights.push_back(weightsRow(0, column));
  return weights;
}

bool openLongCapture(AppContext& context, const std::string& path) {
  if (!model::isCaptureFile(path)) return false;
  const model::CaptureSummary summary = model::readCaptureSummary(path);
  if (!captureNeedsLongMap(summary)) return false;
  context.longMap().openCapture(path);
  // The dense views show the scene, not this capture: the long map takes the window.
  Scene next = context.scene();
  next.openViews = {ViewKind::LongMap};
  next.workspace = WorkspaceKind::Model;  // its tiling gives the long map the region above the (closed) explorer
  context.submit(std::move(next), "Open long capture");
  return true;
}

}  // namespace attnscope::gui
