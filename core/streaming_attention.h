// Exact attention weights of long sequences without an N x M matrix: one streamed pass over key tiles finds every
// row's normaliser, after which any tile of exact weights, a pooled overview of the whole map or long-range
// statistics are computed tile by tile on all cores, never holding more than one score tile per thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/attention_kernels.h"
#include "core/error.h"
#include "core/types.h"

namespace attnscope {

/// How the work is cut. Neither field changes a result beyond float rounding of the row sums.
struct StreamingOptions {
  /// Query rows per tile (the unit of parallel work) and keys per tile. 128 x 1152 floats is 576 KiB per thread:
  /// large enough for GEMM to run near peak, small enough to stay in L2/L3 while the tile is transformed. tileCols
  /// must be a multiple of 48 (Eigen's float micro-panel on AVX-512; 24 on AVX, 12 on SSE): tiles then start where
  /// the dense kernel's panels do and the scores equal the dense kernels' bit for bit.
  Eigen::Index tileRows = 128;
  Eigen::Index tileCols = 1152;
  /// Threads to use; 0 = all OpenMP threads.
  int threads = 0;
  /// Polled between tiles; when it becomes true the running request stops and throws CancelledError. Lets the app
  /// abandon a zoom level the user has already left.
  const std::atomic<bool>* cancel = nullptr;
};

/// A rectangle of the N x M map: rows [rowBegin, rowEnd), columns [colBegin, colEnd).
struct MapRegion {
  Eigen::Index rowBegin = 0, rowEnd = 0, colBegin = 0, colEnd = 0;

  Eigen::Index rows() const { return rowEnd - rowBegin; }
  Eigen::Index cols() const { return colEnd - colBegin; }
  bool operator==(const MapRegion&) const = default;
};

/// Thrown when StreamingOptions::cancel was set during a request.
class CancelledError : public Error {
 public:
  using Error::Error;
};

/// How a pooled pixel summarises the weights it covers.
enum class Pooling { Max, Mean, Sum };
/// "max", "mean", "sum"; parsePooling throws InputError naming the valid values.
std::string_view poolingName(Pooling pooling);
Pooling parsePooling(std::string_view name);

/// Long-range statistics of one head (README "Long sequences"). The query of row i sits at key position
/// i + causalOffset (the causal alignment, used also for non-causal maps); distance = that position - key index.
struct LongRangeOptions {
  /// The first `sinkTokens` keys form the attention sink.
  Eigen::Index sinkTokens = 1;
  /// A row is a sink row when its weight on the sink keys is at least this (0.3 as in Gu et al. 2024, "When
  /// attention sink emerges").
  float sinkThreshold = 0.3f;
  /// The recent window: keys at distance 0 .. recentWindow - 1 from the query.
  Eigen::Index recentWindow = 64;
};

struct LongRangeStatistics {
  /// Rows with at least one visible key; every mean below is over these rows.
  Eigen::Index rowsCounted = 0;
  /// Share of counted rows whose sink mass is >= sinkThreshold.
  double sinkRate = 0.0;
  /// Mean weight on the sink keys.
  double meanSinkMass = 0.0;
  /// Mean weight on the recent window.
  double recentShare = 0.0;
  /// Mean weight per distance bin: bin 0 is distance 0, bin b >= 1 distances [2^(b-1), 2^b - 1]. Together with
  /// futureMass the bins sum to 1 (up to rounding).
  std::vector<double> distanceHistogram;
  /// Mean weight on keys after the query's position (0 for causal maps).
  double futureMass = 0.0;

  /// Smallest and largest distance of bin b.
  static Eigen::Index binLow(std::size_t bin);
  static Eigen::Index binHigh(std::size_t bin);
};

/// One head's attention map, streamed. Construction validates the input and runs the normaliser pass (one GEMM per
/// key tile, online max and sum for the softmax kernels, rescaled sums for EA, plain sums for MLK); every later
/// request reuses those N normalisers and is exact: the weights equal computeAttention(kernel, Q, K, options) up to
/// float rounding of the row sums. Same kernels, options, fallbacks (EA rows whose visible keys are all orthogonal,
/// MGK rows whose priors are all 0, MLK underflow: uniform over visible keys) and empty rows (all 0) as the dense
/// kernels; options.keepMask is not supported (it is itself N x M) and options.computeScores is ignored.
/// Memory: a copy of Q and K (prepared per kernel), R key-centre matrices for MGK, O(N) normalisers, and one
/// tileRows x tileCols score tile (R for soft MGK) per thread.
class StreamingAttention {
 public:
  /// Q: N x d queries; K: M x d keys. Throws InputError on empty, mismatched or non-finite input, a keep-mask or
  /// options the dense kernel refuses; CancelledError if cancelled during the pass.
  StreamingAttention(Kernel kernel, const MatrixView& Q, const MatrixView& K, const AttentionOptions& options = {},
                     const StreamingOptions& streaming = {});
  ~StreamingAttention();
  StreamingAttention(StreamingAttention&&) noexcept;
  StreamingAttention& operator=(StreamingAttention&&) noexcept;

  Kernel kernel() const;
  Eigen::Index queryCount() const;
  Eigen::Index keyCount() const;
  /// The whole map, 0..N x 0..M.
  MapRegion fullRegion() const;
  /// `region` intersected with the map (a zoom past the edges shows what exists; may come back empty).
  MapRegion clampRegion(const MapRegion& region) const;
  /// Rows that fell back to uniform weights and rows with no visible key, as in AttentionResult.
  const std::vector<Eigen::Index>& fallbackRows() const;
  const std::vector<Eigen::Index>& emptyRows() const;
  /// Changes threads / cancellation for later requests (the tile sizes are fixed at construction).
  void setStreamingOptions(const StreamingOptions& streaming);

  /// Exact weights of `region` (non-empty, inside the map; else InputError): region.rows() x region.cols().
  /// Refused with ResourceError above the memory budget.
  RowMatrix tile(const MapRegion& region) const;

  /// Pooled overview of `region` at (at most) outputRows x outputCols pixels: pixel (p, q) covers rows
  /// region.rowBegin + [floor(p H / P), floor((p + 1) H / P)) and the same for columns (H = region.rows(),
  /// P = min(outputRows, H)), and holds the max, mean or sum of the weights there (masked cells count as 0).
  /// Returns min(outputRows, H) x min(outputCols, W).
  RowMatrix pooled(const MapRegion& region, Eigen::Index outputRows, Eigen::Index outputCols, Pooling pooling) const;

  /// Long-range statistics over every row of the map.
  LongRangeStatistics statistics(const LongRangeOptions& options = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Bytes a StreamingAttention of this size holds (prepared Q and K, MGK centres, normalisers, per-thread tiles), for
/// budget checks before any of it is allocated. componentCount: MGK components (1 for other kernels).
double streamingAttentionBytes(Eigen::Index queryCount, Eigen::Index keyCount, Eigen::Index dimension,
                               Eigen::Index componentCount = 1, const StreamingOptions& streaming = {});

}  // namespace attnscope
