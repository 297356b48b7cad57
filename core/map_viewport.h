// The zoomable map's model without any GUI: a viewport over an N x M attention map (zoom about a point, pan, clamped
// to the data's edges) and a background worker that answers viewport requests for several kernels, coarse first,
// cancelling work for viewports the user has already left, so a zoom never blocks the caller (the window).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/job_runner.h"
#include "core/streaming_attention.h"

namespace attnscope {

/// Visible part of an N x M map in cell coordinates: rows [rowBegin, rowBegin + rowSpan), the same for columns.
/// Fractional, so that repeated zooming about the mouse stays smooth.
struct MapViewport {
  double rowBegin = 0.0, colBegin = 0.0, rowSpan = 1.0, colSpan = 1.0;
};

struct ViewportLimits {
  Eigen::Index rows = 1, cols = 1;  // the map's size N x M
  double minSpan = 8.0;             // deepest zoom: this many cells across (single cells with labels are readable)
};

/// The whole map.
MapViewport fullViewport(const ViewportLimits& limits);
/// Spans at most the map and at least minSpan (or the map, if smaller), then moved inside the map: zooming or
/// panning past the data's edges clamps instead of showing empty space.
MapViewport clampViewport(const MapViewport& viewport, const ViewportLimits& limits);
/// Zooms by `factor` (> 1 zooms in) keeping the cell at (anchorRow, anchorCol) under the same screen point; clamped.
MapViewport zoomViewport(const MapViewport& viewport, double factor, double anchorRow, double anchorCol,
                         const ViewportLimits& limits);
/// Moves by (deltaRows, deltaCols) cells; clamped.
MapViewport panViewport(const MapViewport& viewport, double deltaRows, double deltaCols, const ViewportLimits& limits);
/// The whole cells the viewport touches (floor of the begin, ceil of the end), inside the map.
MapRegion viewportRegion(const MapViewport& viewport, const ViewportLimits& limits);

/// One answer of the worker: the pooled (or, when a pixel covers at most one cell, exact) values of `region` for
/// one kernel, values.rows() x values.cols() pixels, colour-mappable on a scale shared by all kernels.
struct MapImage {
  std::uint64_t requestId = 0;
  Kernel kernel = Kernel::Dpa;
  MapRegion region;
  RowMatrix values;
  bool coarse = false;  // the quick first answer at 1/8 of the size; a full-size one follows
};

struct MapWorkerOptions {
  AttentionOptions attention;  // causal etc., for every kernel
  StreamingOptions streaming;  // tiles and threads (its cancel pointer is the worker's own)
  /// The coarse answer's size relative to the requested one.
  int coarseDivisor = 8;
};

/// Computes map images on a JobRunner lane (core/job_runner.h). The maps (one StreamingAttention per kernel: the
/// normaliser pass) are built there too, on first use. request() and takeImages() never wait for computation:
/// request() replaces any pending request and cancels the one running, so only the newest viewport is worked on.
class MapImageWorker {
 public:
  /// Q: N x d, K: M x d (copied); kernels in display order.
  MapImageWorker(const MatrixView& Q, const MatrixView& K, std::vector<Kernel> kernels, MapWorkerOptions options = {});
  /// Stops the running computation (a normaliser pass too, after its current tile) and joins the thread: the app can
  /// replace a worker whenever its input changes without waiting for a pass over a long map.
  ~MapImageWorker();
  MapImageWorker(const MapImageWorker&) = delete;
  MapImageWorker& operator=(const MapImageWorker&) = delete;

  /// Asks for `region` at (at most) outputRows x outputCols pixels for every kernel; returns the request's id.
  std::uint64_t request(const MapRegion& region, Eigen::Index outputRows, Eigen::Index outputCols, Pooling pooling);
  /// Images finished since the last call, oldest first (coarse before full size for each kernel).
  std::vector<MapImage> takeImages();
  /// True when the newest request is fully answered (or there is none).
  bool idle() const;
  /// The message of the last failure (e.g. bad input), empty if none.
  std::string lastError() const;

 private:
  struct Job {
    std::uint64_t id = 0;
    MapRegion region;
    Eigen::Index outputRows = 0, outputCols = 0;
    Pooling pooling = Pooling::Max;
  };
  /// One request's work, on the lane; `cancelled` is the lane's flag (a newer request, or destruction).
  void compute(const Job& job, const std::atomic<bool>& cancelled);
  const StreamingAttention& mapFor(std::size_t index, const std::atomic<bool>& cancelled);

  RowMatrix queries_, keys_;
  std::vector<Kernel> kernels_;
  MapWorkerOptions options_;
  std::vector<std::unique_ptr<StreamingAttention>> maps_;  // built lazily, lane only

  mutable std::mutex mutex_;  // guards finished_ and error_ (written on the lane, read by the UI thread)
  std::vector<MapImage> finished_;
  std::string error_;
  std::atomic<std::uint64_t> nextId_{1};  // request() only: an atomic, not the mutex (map_viewport.cpp)
  std::atomic<bool> stop_{false};  // set by the destructor only: also ends a normaliser pass, so destruction is quick
  JobRunner runner_;               // last: destroyed (its job returned) before everything above
};

}  // namespace attnscope
