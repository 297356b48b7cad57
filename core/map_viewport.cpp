// Viewport arithmetic and the background map worker (see map_viewport.h).
#include "core/map_viewport.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "core/error.h"

namespace attnscope {

using Eigen::Index;

MapViewport fullViewport(const ViewportLimits& limits) {
  return {0.0, 0.0, static_cast<double>(limits.rows), static_cast<double>(limits.cols)};
}

MapViewport clampViewport(const MapViewport& viewport, const ViewportLimits& limits) {
  const double rows = static_cast<double>(limits.rows), cols = static_cast<double>(limits.cols);
  auto clampSpan = [&](double span, double size) {
    if (!std::isfinite(span)) return size;
    return std::clamp(span, std::min(limits.minSpan, size), size);
  };
  MapViewport out;
  out.rowSpan = clampSpan(viewport.rowSpan, rows);
  out.colSpan = clampSpan(viewport.colSpan, cols);
  out.rowBegin = std::isfinite(viewport.rowBegin) ? std::clamp(viewport.rowBegin, 0.0, rows - out.rowSpan) : 0.0;
  out.colBegin = std::isfinite(viewport.colBegin) ? std::clamp(viewport.colBegin, 0.0, cols - out.colSpan) : 0.0;
  return out;
}

MapViewport zoomViewport(const MapViewport& viewport, double factor, double anchorRow, double anchorCol,
                         const ViewportLimits& limits) {
  if (!(factor > 0.0) || !std::isfinite(factor)) return clampViewport(viewport, limits);
  MapViewport zoomed = viewport;
  // Span limits first, so the anchor keeps its screen position also when the zoom hits minSpan or the whole map.
  MapViewport spans = clampViewport({0.0, 0.0, viewport.rowSpan / factor, viewport.colSpan / factor}, limits);
  const double rowScale = spans.rowSpan / viewport.rowSpan, colScale = spans.colSpan / viewport.colSpan;
  zoomed.rowBegin = anchorRow - (anchorRow - viewport.rowBegin) * rowScale;
  zoomed.colBegin = anchorCol - (anchorCol - viewport.colBegin) * colScale;
  zoomed.rowSpan = spans.rowSpan;
  zoomed.colSpan = spans.colSpan;
  return clampViewport(zoomed, limits);
}

MapViewport panViewport(const MapViewport& viewport, double deltaRows, double deltaCols, const ViewportLimits& limits) {
  MapViewport moved = viewport;
  moved.rowBegin += deltaRows;
  moved.colBegin += deltaCols;
  return clampViewport(moved, limits);
}

MapRegion viewportRegion(const MapViewport& viewport, const ViewportLimits& limits) {
  const MapViewport v = clampViewport(viewport, limits);
  MapRegion region;
  region.rowBegin = std::clamp<Index>(static_cast<Index>(std::floor(v.rowBegin)), 0, limits.rows - 1);
  region.colBegin = std::clamp<Index>(static_cast<Index>(std::floor(v.colBegin)), 0, limits.cols - 1);
  region.rowEnd =
      std::clamp<Index>(static_cast<Index>(std::ceil(v.rowBegin + v.rowSpan)), region.rowBegin + 1, limits.rows);
  region.colEnd =
      std::clamp<Index>(static_cast<Index>(std::ceil(v.colBegin + v.colSpan)), region.colBegin + 1, limits.cols);
  return region;
}

MapImageWorker::MapImageWorker(const MatrixView& Q, const MatrixView& K, std::vector<Kernel> kernels,
                               MapWorkerOptions options)
    : queries_(Q), keys_(K), kernels_(std::move(kernels)), options_(std::move(options)) {
  if (kernels_.empty()) throw InputError("the map worker needs at least one kernel");
  if (options_.coarseDivisor < 1) throw InputError("the coarse divisor must be at least 1");
  maps_.resize(kernels_.size());
}

MapImageWorker::~MapImageWorker() {
  stop_ = true;  // ends a normaliser pass too; then runner_'s destructor cancels the job and joins
}

std::uint64_t MapImageWorker::request(const MapRegion& region, Index outputRows, Index outputCols, Pooling pooling) {
  // Only request() touches nextId_: one atomic increment gives each request its own id even if two threads asked at
  // once (the UI thread is the only caller today). Nothing else is published through it (the job is handed to the
  // runner, which synchronises), so relaxed order is enough and the mutex stays for finished_ and error_.
  const std::uint64_t id = nextId_.fetch_add(1, std::memory_order_relaxed);
  const Job job{id, region, outputRows, outputCols, pooling};
  // The running job, if any, is for a viewport the user has left: cancelled, and this one replaces any queued one.
  runner_.submit([this, job](const std::atomic<bool>& cancelled) { compute(job, cancelled); },
                 {.cancelsRunning = true});
  return id;
}

std::vector<MapImage> MapImageWorker::takeImages() {
  std::lock_guard lock(mutex_);
  return std::exchange(finished_, {});
}

bool MapImageWorker::idle() const {
  return !runner_.busy();
}

std::string MapImageWorker::lastError() const {
  std::lock_guard lock(mutex_);
  return error_;
}

const StreamingAttention& MapImageWorker::mapFor(std::size_t index, const std::atomic<bool>& cancelled) {
  if (!maps_[index]) {
    // A new viewport never cancels the normaliser pass (every later viewport needs it); only the destructor does.
    StreamingOptions streaming = options_.streaming;
    streaming.cancel = &stop_;
    maps_[index] =
        std::make_unique<StreamingAttention>(kernels_[index], queries_, keys_, options_.attention, streaming);
    // Tiles and pools stop at the lane's flag: the same atomic for every job of the lane (destroyed after the lane has
    // stopped).
    streaming.cancel = &cancelled;
    maps_[index]->setStreamingOptions(streaming);
  }
  return *maps_[index];
}

void MapImageWorker::compute(const Job& job, const std::atomic<bool>& cancelled) {
  try {
    // Coarse for every kernel first (the window shows something at once), then full size.
    for (bool coarse : {true, false}) {
      const Index divisor = coarse ? options_.coarseDivisor : 1;
      if (coarse && divisor == 1) continue;
      for (std::size_t k = 0; k < kernels_.size(); ++k) {
        const StreamingAttention& map = mapFor(k, cancelled);
        const MapRegion region = map.clampRegion(job.region);
        if (region.rows() <= 0 || region.cols() <= 0) throw InputError("the requested map region is empty");
        const Index rows = std::max<Index>(1, job.outputRows / divisor),
                    cols = std::max<Index>(1, job.outputCols / divisor);
        MapImage image;
        image.requestId = job.id;
        image.kernel = kernels_[k];
        image.region = region;
        image.coarse = coarse;
        // Where a pixel would cover at most one cell, the exact weights are the image.
        image.values = region.rows() <= rows && region.cols() <= cols ? map.tile(region)
                                                                      : map.pooled(region, rows, cols, job.pooling);
        std::lock_guard lock(mutex_);
        finished_.push_back(std::move(image));
      }
    }
  } catch (const CancelledError&) {
    // A newer request is pending: drop this one's remaining work.
  } catch (const std::exception& error) {
    std::lock_guard lock(mutex_);
    error_ = error.what();
  }
}

}  // namespace attnscope
