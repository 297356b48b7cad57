// Streaming attention. Every request walks the map in tiles: one GEMM of a block of prepared queries against a block
// of prepared keys, turned into masses in place, then into weights with the row normalisers found at construction.
// Row blocks run in parallel with OpenMP (Eigen's GEMM stays single-threaded inside the region); key tiles of a row
// block run in order on its thread, so every output a block writes belongs to that block alone.
#include "core/streaming_attention.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <string>

#include "core/memory_budget.h"
#include "core/unit_rows.h"
#include "core/validate.h"

namespace attnscope {
namespace {

using Eigen::Index;

constexpr float kInf = std::numeric_limits<float>::infinity();
// Below this many entries (about 4 ms of one core's work) a request runs on the calling thread: waking a second thread
// on a busy machine can cost a scheduler time slice, more than the work. Measured with a 512 x 512 zoomed tile on this
// 2-core machine at load 11: 36 ms with two threads (threshold 2^18), 12-16 ms on one.
constexpr Index kParallelThreshold = Index{1} << 20;
// Keys per GEMM micro-panel of Eigen's float kernel with AVX-512 (3 packets of 16; 24 with AVX, 12 with SSE, both
// divide 48). Tiles aligned to it reproduce the dense kernels' scores bit for bit (forEachTile).
constexpr Index kPanelKeys = 48;

/// How a tile's scores become masses, and how a row's running shift rescales its running total.
enum class MassForm {
  Softmax,       // DPA, cosine, hard MGK: mass = exp(logit - shift), shift = max visible logit
  GaussianSoft,  // soft MGK: mass = sum_r exp(t_r - shift), shift = max visible t over all components
  Expressive,    // EA: mass = f(x / c) with c from shift = max visible |x| (as in the dense kernel)
  Linear,        // MLK: mass = phi(q) . kappa, no shift
};

enum class RowStatus : unsigned char { Normal, Fallback, Empty };

/// Per-thread buffers, sized once for tileRows x tileCols.
struct Scratch {
  std::vector<RowMatrix> products;   // GEMM results, one per key matrix
  std::vector<RowMatrix> exponents;  // soft MGK: t_ijr per component
  RowMatrix values;                  // logits / x / masses, then weights
};

}  // namespace

std::string_view poolingName(Pooling pooling) {
  switch (pooling) {
    case Pooling::Max:
      return "max";
    case Pooling::Mean:
      return "mean";
    case Pooling::Sum:
      return "sum";
  }
  return "unknown";
}

Pooling parsePooling(std::string_view name) {
  for (Pooling pooling : {Pooling::Max, Pooling::Mean, Pooling::Sum})
    if (poolingName(pooling) == name) return pooling;
  throw InputError("unknown pooling '" + std::string(name) + "' (valid: max, mean, sum)");
}

Index LongRangeStatistics::binLow(std::size_t bin) {
  return bin == 0 ? 0 : Index{1} << (bin - 1);
}
Index LongRangeStatistics::binHigh(std::size_t bin) {
  return bin == 0 ? 0 : (Index{1} << bin) - 1;
}

namespace {

/// Bin of a distance >= 0: 0 for 0, else floor(log2 d) + 1.
std::size_t distanceBin(Index distance) {
  return static_cast<std::size_t>(std::bit_width(static_cast<std::uint64_t>(distance)));
}

Index componentCountOf(Kernel kernel, const GaussianKeysOptions& gaussian) {
  if (kernel != Kernel::Mgk && kernel != Kernel::MgkHard && kernel != Kernel::Mlk) return 1;
  if (!gaussian.componentKeys.empty()) return static_cast<Index>(gaussian.componentKeys.size());
  if (gaussian.shifts.size() > 0) return gaussian.shifts.rows();
  return 1;
}

}  // namespace

double streamingAttentionBytes(Index queryCount, Index keyCount, Index dimension, Index componentCount,
                               const StreamingOptions& streaming) {
  double n = static_cast<double>(queryCount), m = static_cast<double>(keyCount), d = static_cast<double>(dimension);
  double r = static_cast<double>(std::max<Index>(1, componentCount));
  double threads = streaming.threads > 0 ? streaming.threads : omp_get_max_threads();
  double tile = static_cast<double>(std::min(streaming.tileRows, queryCount)) *
                static_cast<double>(std::min(streaming.tileCols, keyCount)) * sizeof(float);
  // Prepared queries and keys (R centre matrices for MGK), per-row shift, total and status, and per thread the
  // products, exponents and values tiles.
  return (n + r * m) * d * sizeof(float) + n * (sizeof(float) + sizeof(double) + 1) + threads * tile * (2 * r + 1);
}

struct StreamingAttention::Impl {
  Kernel kernel = Kernel::Dpa;
  MassForm form = MassForm::Softmax;
  bool pure = false;     // EA form
  bool hard = false;     // MGK variant
  bool shifted = false;  // MGK centres k_j + b_r: one GEMM with K plus the small q . b_r term
  bool causal = false;
  Index causalOffset = 0;
  StreamingOptions streaming;
  Index N = 0, M = 0, components = 1;

  RowMatrix queries;                // N x d, prepared per kernel (as given, unit rows or phi)
  std::optional<float> logitScale;  // DPA, EA: s; cosine: 1 / tau
  std::vector<RowMatrix> keys;      // one M x d matrix per GEMM
  Vector halfPrecision;             // MGK a_r = 1 / (2 sigma_r^2)
  RowMatrix positionConstant;       // MGK, R x M: log pi_jr - a_r |k_jr|^2 (no prior for the hard variant)
  Vector queryNormsSq;              // MGK |q_i|^2
  RowMatrix queryShift;             // shifted MGK: q_i . b_r, N x R

  Vector shift;                   // N running shifts (see MassForm)
  VectorD total;                  // N sums of masses relative to the shift
  std::vector<RowStatus> status;  // N
  std::vector<Index> fallbackRows, emptyRows;

  Index visibleEnd(Index row) const { return causal ? std::clamp<Index>(row + causalOffset + 1, 0, M) : M; }

  Index gemmCount() const { return static_cast<Index>(keys.size()); }

  void prepareScratch(Scratch& scratch) const {
    const Index rows = streaming.tileRows, cols = streaming.tileCols;
    scratch.products.resize(keys.size());
    for (RowMatrix& product : scratch.products) product.resize(rows, cols);
    if (form == MassForm::GaussianSoft) {
      scratch.exponents.resize(static_cast<std::size_t>(components));
      for (RowMatrix& exponent : scratch.exponents) exponent.resize(rows, cols);
    }
    scratch.values.resize(rows, cols);
  }

  /// Scores of queries [first, first + rows) against keys [firstKey, firstKey + cols) into scratch.values (and, for
  /// soft MGK, the per-component exponents). Formulas as in the dense kernels, term for term.
  void scoreTile(Index first, Index rows, Index firstKey, Index cols, Scratch& scratch) const {
    auto queryBlock = queries.middleRows(first, rows);
    // The scale goes into the expression exactly as the dense kernels write it: Eigen then applies it as GEMM's
    // alpha after the products, and the scores come out bit for bit the same.
    for (Index g = 0; g < gemmCount(); ++g) {
      if (logitScale)
        scratch.products[g].topLeftCorner(rows, cols).noalias() =
            (*logitScale * queryBlock) * keys[g].middleRows(firstKey, cols).transpose();
      else
        scratch.products[g].topLeftCorner(rows, cols).noalias() =
            queryBlock * keys[g].middleRows(firstKey, cols).transpose();
    }
    auto values = scratch.values.topLeftCorner(rows, cols);
    if (kernel != Kernel::Mgk && kernel != Kernel::MgkHard) {
      values = scratch.products[0].topLeftCorner(rows, cols);
      return;
    }
    // t_ijr = c_jr + 2 a_r q_i.k_jr - a_r |q_i|^2 (+ 2 a_r q_i.b_r when shifted).
    for (Index r = 0; r < rows; ++r) {
      const Index i = first + r;
      for (Index c = 0; c < components; ++c) {
        float a = halfPrecision(c);
        float offset = -a * queryNormsSq(i) + (shifted ? 2.0f * a * queryShift(i, c) : 0.0f);
        auto dots = scratch.products[shifted ? 0 : c].row(r).head(cols).array();
        auto constant = positionConstant.row(c).segment(firstKey, cols).array();
        if (hard) {
          if (c == 0)
            values.row(r).array() = constant + (2.0f * a) * dots + offset;
          else
            values.row(r).array() = values.row(r).array().max(constant + (2.0f * a) * dots + offset);
        } else {
          scratch.exponents[c].row(r).head(cols).array() = constant + (2.0f * a) * dots + offset;
        }
      }
    }
  }

  /// The value whose running maximum is a row's shift, over the first `visible` columns of tile row r.
  float shiftCandidate(const Scratch& scratch, Index r, Index visible) const {
    switch (form) {
      case MassForm::Softmax:
        return scratch.values.row(r).head(visible).maxCoeff();
      case MassForm::GaussianSoft: {
        float max = -kInf;
        for (Index c = 0; c < components; ++c)
          max = std::max(max, scratch.exponents[c].row(r).head(visible).maxCoeff());
        return max;
      }
      case MassForm::Expressive:
        return scratch.values.row(r).head(visible).cwiseAbs().maxCoeff();
      case MassForm::Linear:
        return 0.0f;
    }
    return 0.0f;
  }

  /// EA's divisor c for a row whose largest visible |x| is maxAbs: the common scale cancels for the pure form; the
  /// saturating form divides f and its sum by min(max|x|, 1)^2 so tiny norms do not underflow.
  float expressiveDivisor(float maxAbs) const { return pure ? maxAbs : std::min(maxAbs, 1.0f); }

  /// Factor that re-expresses a total computed relative to shift `before` relative to `after` (after > before).
  double rescaleFactor(float before, float after) const {
    switch (form) {
      case MassForm::Softmax:
      case MassForm::GaussianSoft:
        return before == -kInf ? 0.0 : std::exp(static_cast<double>(before) - static_cast<double>(after));
      case MassForm::Expressive: {
        double cBefore = expressiveDivisor(before), cAfter = expressiveDivisor(after);
        return cBefore == 0.0 ? 0.0 : (cBefore / cAfter) * (cBefore / cAfter);
      }
      case MassForm::Linear:
        return 1.0;
    }
    return 1.0;
  }

  /// Turns the first `visible` values of tile row r into masses relative to `rowShift`, in place.
  void massInPlace(Scratch& scratch, Index r, Index visible, float rowShift) const {
    auto x = scratch.values.row(r).head(visible).array();
    switch (form) {
      case MassForm::Softmax:
        x = (x - rowShift).exp();
        return;
      case MassForm::GaussianSoft:
        if (rowShift == -kInf) {
          x.setZero();  // every visible prior is 0 so far: no mass
          return;
        }
        x = (scratch.exponents[0].row(r).head(visible).array() - rowShift).exp();
        for (Index c = 1; c < components; ++c)
          x += (scratch.exponents[c].row(r).head(visible).array() - rowShift).exp();
        return;
      case MassForm::Expressive: {
        if (!(rowShift > 0.0f)) {
          x.setZero();  // all visible keys orthogonal so far
          return;
        }
        detail::expressiveMassInPlace(x, expressiveDivisor(rowShift), pure);  // as the dense kernel
        return;
      }
      case MassForm::Linear:
        return;
    }
  }

  /// Turns tile row r (scores of keys [firstKey, firstKey + cols) of query i) into exact weights, in place.
  void weightsInPlace(Scratch& scratch, Index i, Index r, Index firstKey, Index cols) const {
    auto row = scratch.values.row(r).head(cols);
    const Index end = visibleEnd(i);
    const Index visible = std::clamp<Index>(end - firstKey, 0, cols);
    const RowStatus rowStatus = status[static_cast<std::size_t>(i)];
    row.tail(cols - visible).setZero();
    if (rowStatus == RowStatus::Empty) {
      row.setZero();
    } else if (rowStatus == RowStatus::Fallback) {
      row.head(visible).setConstant(1.0f / static_cast<float>(end));
    } else if (visible > 0) {
      massInPlace(scratch, r, visible, shift(i));
      row.head(visible) *= static_cast<float>(1.0 / total(i));
    }
  }

  /// Runs tileOp(band, first, rows, firstKey, cols, scratch) for every tile of the row bands [bandStarts[b],
  /// bandStarts[b + 1]) that meets keys [colBegin, colEnd), bands in parallel, the tiles of one band in order on one
  /// thread. Key tiles start and end on multiples of kPanelKeys (or at M), whatever the request: the GEMM's
  /// micro-panels then fall where the dense kernel's do, so edge panels (which Eigen computes with other code) hold
  /// the same keys and every score is bitwise the dense one. Consumers clip to the columns they asked for. Keys that
  /// every row of a row block masks are skipped (their weights are 0).
  template <typename TileOp>
  void forEachTile(const std::vector<Index>& bandStarts, Index colBegin, Index colEnd, const TileOp& tileOp) const {
    const Index bands = static_cast<Index>(bandStarts.size()) - 1;
    if (bands <= 0 || colEnd <= colBegin) return;
    const Index work = (bandStarts.back() - bandStarts.front()) * (colEnd - colBegin);
    const bool parallel = work >= kParallelThreshold && bands > 1;
    const int threads = streaming.threads > 0 ? streaming.threads : omp_get_max_threads();
    std::exception_ptr failure;
    std::mutex failureMutex;
    std::atomic<bool> stop{false};
#pragma omp parallel num_threads(threads) if (parallel)
    {
      // One thread per GEMM: on the serial path Eigen would otherwise start its own team per tile (see
      // attention_kernels.cpp). This changes only this region's copy of the setting.
      omp_set_num_threads(1);
      Scratch scratch;
      bool prepared = false;
#pragma omp for schedule(dynamic, 1)
      for (Index band = 0; band < bands; ++band) {
        if (stop) continue;
        try {
          if (!prepared) {
            prepareScratch(scratch);
            prepared = true;
          }
          for (Index first = bandStarts[band]; first < bandStarts[band + 1] && !stop; first += streaming.tileRows) {
            const Index rows = std::min(streaming.tileRows, bandStarts[band + 1] - first);
            const Index blockEnd = std::min(colEnd, visibleEnd(first + rows - 1));  // ends grow with the row
            // Panel-aligned key range covering [colBegin, blockEnd): see the comment above.
            const Index keyBegin = colBegin / kPanelKeys * kPanelKeys;
            const Index keyEnd = std::min(M, (blockEnd + kPanelKeys - 1) / kPanelKeys * kPanelKeys);
            for (Index firstKey = keyBegin; firstKey < blockEnd; firstKey += streaming.tileCols) {
              if (streaming.cancel && streaming.cancel->load(std::memory_order_relaxed)) {
                stop = true;
                break;
              }
              const Index cols = std::min(streaming.tileCols, keyEnd - firstKey);
              scoreTile(first, rows, firstKey, cols, scratch);
              tileOp(band, first, rows, firstKey, cols, scratch);
            }
          }
        } catch (...) {
          std::lock_guard lock(failureMutex);
          if (!failure) failure = std::current_exception();
          stop = true;
        }
      }
    }
    if (failure) std::rethrow_exception(failure);
    if (stop) throw CancelledError("attention map request cancelled");
  }

  /// Like forEachTile, but hands the tile over as exact weights: consumer(band, first, rows, firstKey, cols, values).
  template <typename Consumer>
  void forEachWeightTile(const std::vector<Index>& bandStarts, Index colBegin, Index colEnd,
                         const Consumer& consumer) const {
    forEachTile(bandStarts, colBegin, colEnd,
                [&](Index band, Index first, Index rows, Index firstKey, Index cols, Scratch& scratch) {
                  for (Index r = 0; r < rows; ++r) weightsInPlace(scratch, first + r, r, firstKey, cols);
                  consumer(band, first, rows, firstKey, cols, static_cast<const RowMatrix&>(scratch.values));
                });
  }

  /// Bands of at most tileRows rows covering [rowBegin, rowEnd).
  std::vector<Index> uniformBands(Index rowBegin, Index rowEnd) const {
    std::vector<Index> starts;
    for (Index row = rowBegin; row < rowEnd; row += streaming.tileRows) starts.push_back(row);
    starts.push_back(rowEnd);
    return starts;
  }

  /// The normaliser pass: online shift and total per row over every visible key tile.
  void computeNormalisers() {
    shift = Vector::Constant(N, form == MassForm::Expressive || form == MassForm::Linear ? 0.0f : -kInf);
    total = VectorD::Zero(N);
    status.assign(static_cast<std::size_t>(N), RowStatus::Normal);
    std::atomic<bool> overflow{false};
    forEachTile(uniformBands(0, N), 0, M,
                [&](Index, Index first, Index rows, Index firstKey, Index cols, Scratch& scratch) {
                  for (Index r = 0; r < rows; ++r) {
                    const Index i = first + r;
                    const Index visible = std::clamp<Index>(visibleEnd(i) - firstKey, 0, cols);
                    if (visible == 0) continue;
                    float candidate = shiftCandidate(scratch, r, visible);
                    // A logit or |x| of inf (or NaN from inf - inf) means q.k overflowed float32.
                    bool finite = form == MassForm::GaussianSoft ? !(candidate == kInf || std::isnan(candidate))
                                                                 : std::isfinite(candidate);
                    if (!finite) {
                      overflow = true;
                      continue;
                    }
                    if (form != MassForm::Linear && candidate > shift(i)) {
                      total(i) *= rescaleFactor(shift(i), candidate);
                      shift(i) = candidate;
                    }
                    massInPlace(scratch, r, visible, shift(i));
                    total(i) += static_cast<double>(scratch.values.row(r).head(visible).sum());
                  }
                });
    if (overflow)
      throw InputError(std::string(kernelName(kernel)) +
                       ": products of query and key entries overflow float32 (norms above ~1e19); rescale the queries "
                       "or keys");
    for (Index i = 0; i < N; ++i) {
      RowStatus& rowStatus = status[static_cast<std::size_t>(i)];
      if (visibleEnd(i) == 0) {
        rowStatus = RowStatus::Empty;
        emptyRows.push_back(i);
      } else if (!(total(i) > 0.0) || !std::isfinite(total(i))) {
        rowStatus = RowStatus::Fallback;  // 0/0: uniform over the visible keys, as the dense kernels
        fallbackRows.push_back(i);
      }
    }
  }
};

StreamingAttention::StreamingAttention(Kernel kernel, const MatrixView& Q, const MatrixView& K,
                                       const AttentionOptions& options, const StreamingOptions& streaming)
    : impl_(std::make_unique<Impl>()) {
  requireNonEmpty(Q, "Q (queries)");
  requireNonEmpty(K, "K (keys)");
  requireSameDimension(Q, "Q (queries)", K, "K (keys)");
  if (options.keepMask)
    throw InputError("streamed attention supports causal masking but not an explicit keep-mask (itself N x M)");
  if (options.scale && !std::isfinite(*options.scale))
    throw InputError("scale must be finite, got " + std::to_string(*options.scale));
  if (streaming.tileRows < 1 || streaming.tileCols < kPanelKeys || streaming.tileCols % kPanelKeys != 0)
    throw InputError("streaming tiles need at least one row and a multiple of " + std::to_string(kPanelKeys) +
                     " columns, got " + std::to_string(streaming.tileRows) + " x " +
                     std::to_string(streaming.tileCols));
  const Index R = componentCountOf(kernel, options.gaussian);
  requireWithinBudget(
      streamingAttentionBytes(Q.rows(), K.rows(), Q.cols(), R, streaming),
      "streamed attention of " + std::to_string(Q.rows()) + " queries x " + std::to_string(K.rows()) + " keys");
  requireFinite(Q, "Q (queries)");
  requireFinite(K, "K (keys)");

  Impl& s = *impl_;
  s.kernel = kernel;
  s.streaming = streaming;
  s.N = Q.rows();
  s.M = K.rows();
  s.causal = options.causal;
  s.causalOffset = options.causalOffset;
  const float scale = options.scale ? *options.scale : 1.0f / std::sqrt(static_cast<float>(Q.cols()));
  switch (kernel) {
    case Kernel::Dpa:
      s.form = MassForm::Softmax;
      s.queries = Q;
      s.logitScale = scale;
      s.keys.push_back(K);
      break;
    case Kernel::Cosine:
      if (!std::isfinite(options.cosineTemperature) || !(options.cosineTemperature > 0.0f))
        throw InputError("cosine temperature must be finite and > 0, got " + std::to_string(options.cosineTemperature));
      s.form = MassForm::Softmax;
      s.queries = unitRows(Q);
      s.logitScale = 1.0f / options.cosineTemperature;
      s.keys.push_back(unitRows(K));
      break;
    case Kernel::Ea:
    case Kernel::EaPure:
      s.form = MassForm::Expressive;
      s.pure = kernel == Kernel::EaPure || options.expressiveForm == ExpressiveForm::Pure;
      s.queries = Q;
      s.logitScale = scale;
      s.keys.push_back(K);
      break;
    case Kernel::Mgk:
    case Kernel::MgkHard: {
      s.hard = kernel == Kernel::MgkHard;
      s.form = s.hard ? MassForm::Softmax : MassForm::GaussianSoft;
      s.components = R;
      const GaussianKeysOptions& gaussian = options.gaussian;
      // One shared a_r per component is what keeps the streamed tiles cheap; the dense kernels take per-position ones.
      if (gaussian.positionVariances.size() > 0)
        throw InputError(std::string(kernelName(kernel)) +
                         ": per-position variances are not supported by the streaming engine (use the dense kernel)");
      std::vector<RowMatrix> centres = gaussianKeyCentres(K, gaussian);  // validates shapes and values
      Vector variances = gaussianKeyVariances(Q.cols(), R, gaussian);
      s.halfPrecision = (0.5f / variances.array()).matrix();
      s.positionConstant.resize(R, s.M);
      for (Index r = 0; r < R; ++r)
        s.positionConstant.row(r) = -s.halfPrecision(r) * centres[r].rowwise().squaredNorm().transpose();
      bool centreNormsFinite = s.positionConstant.allFinite();
      if (!s.hard) {
        RowMatrix priors = gaussianKeyPriors(s.M, R, gaussian);
        s.positionConstant += priors.transpose().array().log().matrix();  // log 0 = -inf: that component adds 0
      }
      s.queries = Q;
      s.queryNormsSq = Q.rowwise().squaredNorm();
      if (!s.queryNormsSq.allFinite() || !centreNormsFinite)
        throw InputError(std::string(kernelName(kernel)) +
                         ": products of query and key entries overflow float32 (norms above ~1e19); rescale the "
                         "queries or keys");
      s.shifted = gaussian.componentKeys.empty() && gaussian.shifts.size() > 0;
      if (s.shifted) {
        s.queryShift = Q * gaussian.shifts.transpose();
        s.keys.push_back(K);
      } else {
        s.keys = std::move(centres);
      }
      break;
    }
    case Kernel::Mlk: {
      s.form = MassForm::Linear;
      // phi = elu + 1 on the queries; kappa_j = sum_r pi_jr phi(k_jr) on the keys, as linearAttention.
      s.queries = (Q.array() > 0.0f).select(Q.array() + 1.0f, Q.array().exp()).matrix();
      std::vector<RowMatrix> centres = gaussianKeyCentres(K, options.gaussian);
      RowMatrix priors = gaussianKeyPriors(s.M, static_cast<Index>(centres.size()), options.gaussian);
      RowMatrix kappa = RowMatrix::Zero(s.M, K.cols());
      for (std::size_t r = 0; r < centres.size(); ++r) {
        RowMatrix phi = (centres[r].array() > 0.0f).select(centres[r].array() + 1.0f, centres[r].array().exp());
        kappa += priors.col(static_cast<Index>(r)).asDiagonal() * phi;
      }
      s.keys.push_back(std::move(kappa));
      break;
    }
  }
  s.computeNormalisers();
}

StreamingAttention::~StreamingAttention() = default;
StreamingAttention::StreamingAttention(StreamingAttention&&) noexcept = default;
StreamingAttention& StreamingAttention::operator=(StreamingAttention&&) noexcept = default;

Kernel StreamingAttention::kernel() const {
  return impl_->kernel;
}
Index StreamingAttention::queryCount() const {
  return impl_->N;
}
Index StreamingAttention::keyCount() const {
  return impl_->M;
}
MapRegion StreamingAttention::fullRegion() const {
  return {0, impl_->N, 0, impl_->M};
}
const std::vector<Index>& StreamingAttention::fallbackRows() const {
  return impl_->fallbackRows;
}
const std::vector<Index>& StreamingAttention::emptyRows() const {
  return impl_->emptyRows;
}

void StreamingAttention::setStreamingOptions(const StreamingOptions& streaming) {
  impl_->streaming.threads = streaming.threads;
  impl_->streaming.cancel = streaming.cancel;
}

MapRegion StreamingAttention::clampRegion(const MapRegion& region) const {
  MapRegion clamped;
  clamped.rowBegin = std::clamp<Index>(region.rowBegin, 0, impl_->N);
  clamped.rowEnd = std::clamp<Index>(region.rowEnd, clamped.rowBegin, impl_->N);
  clamped.colBegin = std::clamp<Index>(region.colBegin, 0, impl_->M);
  clamped.colEnd = std::clamp<Index>(region.colEnd, clamped.colBegin, impl_->M);
  return clamped;
}

namespace {

void requireInside(const MapRegion& region, const MapRegion& clamped) {
  if (!(region == clamped) || region.rows() <= 0 || region.cols() <= 0)
    throw InputError("map region rows " + std::to_string(region.rowBegin) + ":" + std::to_string(region.rowEnd) +
                     ", columns " + std::to_string(region.colBegin) + ":" + std::to_string(region.colEnd) +
                     " is empty or outside the " + std::to_string(clamped.rowEnd) + " x " +
                     std::to_string(clamped.colEnd) + " map (clamped: " + std::to_string(clamped.rowBegin) + ":" +
                     std::to_string(clamped.rowEnd) + ", " + std::to_string(clamped.colBegin) + ":" +
                     std::to_string(clamped.colEnd) + ")");
}

}  // namespace

RowMatrix StreamingAttention::tile(const MapRegion& region) const {
  requireInside(region, clampRegion(region));
  requireWithinBudget(static_cast<double>(region.rows()) * static_cast<double>(region.cols()) * sizeof(float),
                      "an attention tile of " + std::to_string(region.rows()) + " x " + std::to_string(region.cols()));
  RowMatrix out = RowMatrix::Zero(region.rows(), region.cols());
  impl_->forEachWeightTile(impl_->uniformBands(region.rowBegin, region.rowEnd), region.colBegin, region.colEnd,
                           [&](Index, Index first, Index rows, Index firstKey, Index cols, const RowMatrix& weights) {
                             const Index begin = std::max(firstKey, region.colBegin);
                             const Index end = std::min(firstKey + cols, region.colEnd);
                             out.block(first - region.rowBegin, begin - region.colBegin, rows, end - begin) =
                                 weights.block(0, begin - firstKey, rows, end - begin);
                           });
  return out;
}

RowMatrix StreamingAttention::pooled(const MapRegion& region, Index outputRows, Index outputCols,
                                     Pooling pooling) const {
  requireInside(region, clampRegion(region));
  if (outputRows < 1 || outputCols < 1)
    throw InputError("a pooled map needs at least 1 x 1 pixels, got " + std::to_string(outputRows) + " x " +
                     std::to_string(outputCols));
  const Index H = region.rows(), W = region.cols();
  const Index P = std::min(outputRows, H), Qp = std::min(outputCols, W);
  requireWithinBudget(static_cast<double>(P) * static_cast<double>(Qp) * (sizeof(double) + sizeof(float)) +
                          static_cast<double>(H) * sizeof(Index),
                      "a pooled map of " + std::to_string(P) + " x " + std::to_string(Qp) + " pixels");
  // Pixel p covers region rows [rowStart[p], rowStart[p + 1]); the same for columns.
  auto starts = [](Index pixels, Index cells) {
    std::vector<Index> start(static_cast<std::size_t>(pixels + 1));
    for (Index p = 0; p <= pixels; ++p) start[static_cast<std::size_t>(p)] = p * cells / pixels;
    return start;
  };
  const std::vector<Index> rowStart = starts(P, H), colStart = starts(Qp, W);
  std::vector<Index> pixelOfRow(static_cast<std::size_t>(H));
  for (Index p = 0; p < P; ++p)
    for (Index r = rowStart[p]; r < rowStart[p + 1]; ++r) pixelOfRow[static_cast<std::size_t>(r)] = p;
  // Bands of whole pixel rows, about tileRows query rows each, so one thread owns every pixel it writes.
  std::vector<Index> bands{region.rowBegin};
  for (Index p = 1; p < P; ++p)
    if (rowStart[p] + region.rowBegin - bands.back() >= impl_->streaming.tileRows)
      bands.push_back(rowStart[p] + region.rowBegin);
  bands.push_back(region.rowEnd);

  const bool max = pooling == Pooling::Max;
  RowMatrixD sums = max ? RowMatrixD() : RowMatrixD::Zero(P, Qp);
  RowMatrix maxima = max ? RowMatrix::Zero(P, Qp) : RowMatrix();
  impl_->forEachWeightTile(
      bands, region.colBegin, region.colEnd,
      [&](Index, Index first, Index rows, Index firstKey, Index cols, const RowMatrix& weights) {
        // Tile columns inside the region, in region coordinates; weights column = region column + offset.
        const Index tileBegin = std::max(firstKey, region.colBegin) - region.colBegin;
        const Index tileEnd = std::min(firstKey + cols, region.colEnd) - region.colBegin;
        const Index offset = region.colBegin - firstKey;
        const Index firstPixel = std::upper_bound(colStart.begin(), colStart.end(), tileBegin) - colStart.begin() - 1;
        for (Index r = 0; r < rows; ++r) {
          const Index p = pixelOfRow[static_cast<std::size_t>(first + r - region.rowBegin)];
          auto weightRow = weights.row(r);
          for (Index q = firstPixel; q < Qp && colStart[q] < tileEnd; ++q) {
            const Index begin = std::max(colStart[q], tileBegin), end = std::min(colStart[q + 1], tileEnd);
            auto segment = weightRow.segment(begin + offset, end - begin);
            if (max)
              maxima(p, q) = std::max(maxima(p, q), segment.maxCoeff());
            else
              sums(p, q) += static_cast<double>(segment.sum());
          }
        }
      });
  if (max) return maxima;
  RowMatrix out(P, Qp);
  for (Index p = 0; p < P; ++p)
    for (Index q = 0; q < Qp; ++q) {
      double cells = pooling == Pooling::Mean
                         ? static_cast<double>(rowStart[p + 1] - rowStart[p]) * (colStart[q + 1] - colStart[q])
                         : 1.0;
      out(p, q) = static_cast<float>(sums(p, q) / cells);
    }
  return out;
}

LongRangeStatistics StreamingAttention::statistics(const LongRangeOptions& options) const {
  if (options.sinkTokens < 0 || options.recentWindow < 0 || !std::isfinite(options.sinkThreshold))
    throw InputError("long-range statistics need sink tokens >= 0, a recent window >= 0 and a finite threshold");
  const Impl& s = *impl_;
  const Index maxDistance = std::max<Index>(0, s.N - 1 + s.causalOffset);
  const std::size_t bins = distanceBin(maxDistance) + 1;
  const std::vector<Index> bands = s.uniformBands(0, s.N);
  const std::size_t bandCount = bands.size() - 1;
  // Per band: histogram, recent and future sums (one writer each); per row: sink mass (thresholded afterwards).
  std::vector<std::vector<double>> histograms(bandCount, std::vector<double>(bins, 0.0));
  std::vector<double> recent(bandCount, 0.0), future(bandCount, 0.0);
  VectorD sinkMass = VectorD::Zero(s.N);
  s.forEachWeightTile(
      bands, 0, s.M, [&](Index band, Index first, Index rows, Index firstKey, Index cols, const RowMatrix& weights) {
        const Index tileEnd = firstKey + cols;
        auto segmentSum = [&](Index r, Index begin, Index end) {
          begin = std::max(begin, firstKey);
          end = std::min(end, tileEnd);
          return end > begin ? static_cast<double>(weights.row(r).segment(begin - firstKey, end - begin).sum()) : 0.0;
        };
        std::vector<double>& histogram = histograms[static_cast<std::size_t>(band)];
        for (Index r = 0; r < rows; ++r) {
          const Index i = first + r, position = i + s.causalOffset;
          sinkMass(i) += segmentSum(r, 0, options.sinkTokens);
          recent[band] += segmentSum(r, position - options.recentWindow + 1, position + 1);
          future[band] += segmentSum(r, std::max<Index>(position + 1, 0), s.M);
          // Distances covered by this tile: position - (tileEnd - 1) .. position - firstKey.
          const Index nearest = std::max<Index>(position - (tileEnd - 1), 0);
          const Index farthest = position - firstKey;
          if (farthest < 0) continue;
          for (std::size_t b = distanceBin(nearest); b <= distanceBin(farthest) && b < bins; ++b)
            histogram[b] += segmentSum(r, position - LongRangeStatistics::binHigh(b),
                                       position - LongRangeStatistics::binLow(b) + 1);
        }
      });
  LongRangeStatistics result;
  result.distanceHistogram.assign(bins, 0.0);
  for (std::size_t b = 0; b < bandCount; ++b) {
    for (std::size_t bin = 0; bin < bins; ++bin) result.distanceHistogram[bin] += histograms[b][bin];
    result.recentShare += recent[b];
    result.futureMass += future[b];
  }
  Index sinkRows = 0;
  for (Index i = 0; i < s.N; ++i) {
    if (s.status[static_cast<std::size_t>(i)] == RowStatus::Empty) continue;
    ++result.rowsCounted;
    result.meanSinkMass += sinkMass(i);
    if (sinkMass(i) >= options.sinkThreshold) ++sinkRows;
  }
  if (result.rowsCounted > 0) {
    const double rows = static_cast<double>(result.rowsCounted);
    result.sinkRate = static_cast<double>(sinkRows) / rows;
    result.meanSinkMass /= rows;
    result.recentShare /= rows;
    result.futureMass /= rows;
    for (double& bin : result.distanceHistogram) bin /= rows;
  }
  return result;
}

}  // namespace attnscope
