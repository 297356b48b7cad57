// Attention kernels. Every kernel works on blocks of query rows: one GEMM of the block against all keys writes
// straight into the output rows, which are then transformed and normalised in place while they are still in cache
// (no N x M temporaries beyond the outputs). Blocks run in parallel with OpenMP; Eigen's GEMM stays single-threaded
// inside a parallel region.
#include "core/attention_kernels.h"

#include <omp.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/unit_rows.h"
#include "core/validate.h"

namespace attnscope {
namespace {

using Eigen::Index;
using RowArray = Eigen::Map<Eigen::ArrayXf>;

constexpr float kInf = std::numeric_limits<float>::infinity();
// Below this many output entries (512 x 512; about 1 ms of work on one core) a kernel runs on the calling thread.
// The angle sweep calls the dispatcher thousands of times on a handful of 2-D vectors, and on a busy machine waking
// a second thread can cost a whole scheduler time slice (measured: 35 ms instead of 0.1 ms for N = M = 256 at load
// 17 on 2 cores), far more than the work it would share.
constexpr Index kParallelThreshold = Index{1} << 18;

void validateInputs(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options) {
  requireNonEmpty(Q, "Q (queries)");
  requireNonEmpty(K, "K (keys)");
  requireSameDimension(Q, "Q (queries)", K, "K (keys)");
  requireFinite(Q, "Q (queries)");
  requireFinite(K, "K (keys)");
  if (options.keepMask && (options.keepMask->rows() != Q.rows() || options.keepMask->cols() != K.rows()))
    throw InputError("keep-mask is " + std::to_string(options.keepMask->rows()) + " x " +
                     std::to_string(options.keepMask->cols()) + " but queries x keys is " + std::to_string(Q.rows()) +
                     " x " + std::to_string(K.rows()));
  if (options.scale && !std::isfinite(*options.scale))
    throw InputError("scale must be finite, got " + std::to_string(*options.scale));
  if (options.memoryBudgetBytes > 0) {
    double bytes = static_cast<double>(Q.rows()) * static_cast<double>(K.rows()) * sizeof(float) *
                   (options.computeScores ? 2.0 : 1.0);
    if (bytes > static_cast<double>(options.memoryBudgetBytes))
      throw ResourceError(std::to_string(Q.rows()) + " queries x " + std::to_string(K.rows()) + " keys need " +
                          formatBytes(bytes) + " for the weights" + (options.computeScores ? " and scores" : "") +
                          ", more than the memory budget of " +
                          formatBytes(static_cast<double>(options.memoryBudgetBytes)) + "; use fewer queries or keys");
  }
}

float resolvedScale(const AttentionOptions& options, Index dimension) {
  return options.scale ? *options.scale : 1.0f / std::sqrt(static_cast<float>(dimension));
}

/// Which keys row i may see: the prefix [0, end) minus entries the explicit keep-mask clears.
struct RowMask {
  Index end;
  const bool* keep;  // row of the keep-mask, or nullptr

  Index visibleCount() const {
    if (!keep) return end;
    Index count = 0;
    for (Index j = 0; j < end; ++j) count += keep[j] ? 1 : 0;
    return count;
  }
};

RowMask rowMask(const AttentionOptions& options, Index row, Index keyCount) {
  Index end = keyCount;
  if (options.causal) end = std::clamp<Index>(row + options.causalOffset + 1, 0, keyCount);
  return {end, options.keepMask ? options.keepMask->row(row).data() : nullptr};
}

/// How a row ended up, collected per row and turned into the result's lists afterwards (in row order).
enum class RowStatus : unsigned char { Normal, Fallback, Empty };

/// Query rows per block. Eigen packs all M keys once per block GEMM, so blocks must be tall for that copy to stay
/// small next to the multiply (1/rows of it); about 512K floats (2 MB) per buffer keeps a block in L2/L3 while it
/// is normalised. Capped so every thread still gets several blocks to balance the load.
Index rowsPerBlock(Index queryCount, Index keyCount, Index buffersPerRow = 1) {
  Index rows = (Index{1} << 19) / std::max<Index>(1, keyCount * buffersPerRow);
  Index balanced = (queryCount + 4 * omp_get_max_threads() - 1) / (4 * omp_get_max_threads());
  return std::clamp<Index>(std::min(rows, balanced), 4, 256);
}

/// Allocates an N x M output. Large outputs are first-touched page by page; asking Linux for transparent huge
/// pages (2 MB instead of 4 KB) cuts those page faults 512-fold, which at N = M = 4096 is a third of the run time.
void allocateOutput(RowMatrix& matrix, Index rows, Index cols) {
  matrix.resize(rows, cols);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHugePage = std::uintptr_t{1} << 21;
  auto begin = reinterpret_cast<std::uintptr_t>(matrix.data());
  std::uintptr_t end = begin + static_cast<std::uintptr_t>(matrix.size()) * sizeof(float);
  std::uintptr_t alignedBegin = (begin + kHugePage - 1) & ~(kHugePage - 1);
  std::uintptr_t alignedEnd = end & ~(kHugePage - 1);
  if (alignedEnd > alignedBegin)  // advice only: failure (e.g. THP disabled) changes speed, never results
    ::madvise(reinterpret_cast<void*>(alignedBegin), alignedEnd - alignedBegin, MADV_HUGEPAGE);
#endif
}

/// Runs body(firstRow, rowCount) over row blocks, in parallel when the work is large enough.
template <typename Body>
void forEachRowBlock(Index rows, Index keyCount, Index blockRows, const Body& body) {
  Index blocks = (rows + blockRows - 1) / blockRows;
  bool parallel = rows * keyCount >= kParallelThreshold && blocks > 1;
#pragma omp parallel if (parallel)
  {
    // Every block GEMM must run on one thread: with two threads Eigen sees it is inside a parallel region, but on the
    // serial path (region inactive) it would start its own thread team per block. Setting the thread count here
    // changes only this region's copy of the OpenMP setting, never the caller's.
    omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 1)
    for (Index b = 0; b < blocks; ++b) {
      Index first = b * blockRows;
      body(first, std::min(blockRows, rows - first));
    }
  }
}

void collectStatus(const std::vector<RowStatus>& status, AttentionResult& result) {
  for (Index i = 0; i < static_cast<Index>(status.size()); ++i) {
    if (status[i] == RowStatus::Fallback) result.fallbackRows.push_back(i);
    if (status[i] == RowStatus::Empty) result.emptyRows.push_back(i);
  }
}

void uniformOverVisible(float* row, Index keyCount, const RowMask& mask, Index visible) {
  RowArray all(row, keyCount);
  all.setZero();
  float share = 1.0f / static_cast<float>(visible);
  for (Index j = 0; j < mask.end; ++j)
    if (!mask.keep || mask.keep[j]) row[j] = share;
}

/// In-place masked softmax of one row of logits. Returns Empty when no key is visible (or every visible logit is
/// -inf, e.g. MGK positions whose priors are all 0 -> then Fallback with uniform weights). Sets `overflow` if a
/// visible logit is +inf (only possible when |q||k| exceeds float32's range).
RowStatus softmaxRow(float* row, Index keyCount, const RowMask& mask, bool& overflow) {
  RowArray all(row, keyCount);
  if (mask.keep)
    for (Index j = 0; j < mask.end; ++j)
      if (!mask.keep[j]) row[j] = -kInf;
  all.tail(keyCount - mask.end).setZero();
  Index visible = mask.visibleCount();
  if (visible == 0) {
    all.setZero();
    return RowStatus::Empty;
  }
  auto head = all.head(mask.end);
  float max = head.maxCoeff();
  if (max == kInf) {
    overflow = true;
    all.setZero();
    return RowStatus::Normal;
  }
  if (max == -kInf) {
    uniformOverVisible(row, keyCount, mask, visible);
    return RowStatus::Fallback;
  }
  head = (head - max).exp();  // exp(-inf) = 0 for masked entries
  head *= 1.0f / head.sum();  // sum >= 1: the max entry contributes exp(0)
  return RowStatus::Normal;
}

[[noreturn]] void throwOverflow(const char* kernel) {
  throw InputError(std::string(kernel) +
                   ": products of query and key entries overflow float32 (norms above ~1e19); rescale the queries "
                   "or keys");
}

/// Largest |x| whose square is still a finite float32.
constexpr float kSquareLimit = 1.8e19f;

AttentionResult runDotProduct(const MatrixView& Q, const MatrixView& K, float scale, const AttentionOptions& options,
                              const char* kernelLabel) {
  const Index N = Q.rows(), M = K.rows();
  AttentionResult result;
  allocateOutput(result.weights, N, M);
  if (options.computeScores) allocateOutput(result.scores, N, M);
  std::vector<RowStatus> status(static_cast<std::size_t>(N), RowStatus::Normal);
  std::atomic<bool> overflow{false};
  forEachRowBlock(N, M, rowsPerBlock(N, M), [&](Index first, Index rows) {
    auto block = result.weights.middleRows(first, rows);
    block.noalias() = (scale * Q.middleRows(first, rows)) * K.transpose();
    if (options.computeScores) result.scores.middleRows(first, rows) = block;
    bool blockOverflow = false;
    for (Index r = 0; r < rows; ++r)
      status[static_cast<std::size_t>(first + r)] =
          softmaxRow(block.row(r).data(), M, rowMask(options, first + r, M), blockOverflow);
    if (blockOverflow) overflow = true;
  });
  if (overflow) throwOverflow(kernelLabel);
  collectStatus(status, result);
  return result;
}

/// Normalises a row of non-negative masses g (masked entries already 0) to sum 1, or falls back to uniform.
RowStatus normaliseMassRow(float* row, Index keyCount, const RowMask& mask) {
  RowArray all(row, keyCount);
  Index visible = mask.visibleCount();
  if (visible == 0) {
    all.setZero();
    return RowStatus::Empty;
  }
  float sum = all.sum();
  if (!(sum > 0.0f) || !std::isfinite(sum)) {
    uniformOverVisible(row, keyCount, mask, visible);
    return RowStatus::Fallback;
  }
  all *= 1.0f / sum;
  return RowStatus::Normal;
}

Index componentCount(const GaussianKeysOptions& options) {
  if (!options.componentKeys.empty()) return static_cast<Index>(options.componentKeys.size());
  if (options.shifts.size() > 0) return options.shifts.rows();
  return 1;
}

/// Everything MGK needs besides the GEMMs: per component r, a_r = 1 / (2 sigma_r^2) and the per-position constant
/// c_jr = log pi_jr - a_r |k_jr|^2 (without the log prior for the hard variant), stored R x M. With per-position
/// variances a_jr replaces a_r (positionHalfPrecision, R x M); the shared-variance path stays scalar per component,
/// so its numbers are exactly what they were before per-position variances existed.
struct GaussianTerms {
  Index components = 1;
  bool shifted = false;             // centres k_j + b_r: one GEMM with K plus Q B^T
  std::vector<RowMatrix> keys;      // separate centre matrices (empty when shifted)
  Vector halfPrecision;             // a_r (shared variances)
  RowMatrix positionHalfPrecision;  // a_jr, R x M (per-position variances; empty otherwise)
  RowMatrix positionConstant;       // R x M
  bool centreNormsFinite = true;
  bool perPosition() const { return positionHalfPrecision.size() > 0; }
};

GaussianTerms gaussianTerms(const MatrixView& K, const GaussianKeysOptions& options, bool hard) {
  GaussianTerms terms;
  const Index M = K.rows(), d = K.cols();
  terms.components = componentCount(options);
  const Index R = terms.components;
  if (options.positionVariances.size() > 0) {
    const RowMatrix variances = gaussianKeyPositionVariances(M, d, R, options);  // M x R
    // Every position with the same variances (the usual case) takes the shared path: the same numbers, bit for bit,
    // as passing them as `variances`, and one scalar a_r per component in the inner loop.
    if ((variances.rowwise() - variances.row(0)).cwiseAbs().maxCoeff() == 0.0f)
      terms.halfPrecision = (0.5f / variances.row(0).transpose().array()).matrix();
    else
      terms.positionHalfPrecision = (0.5f / variances.transpose().array()).matrix();
  } else {
    Vector variances = gaussianKeyVariances(d, R, options);
    terms.halfPrecision = (0.5f / variances.array()).matrix();
  }
  terms.positionConstant.resize(R, M);
  std::vector<RowMatrix> centres = gaussianKeyCentres(K, options);  // validates shapes and values
  terms.shifted = options.componentKeys.empty() && options.shifts.size() > 0;
  for (Index r = 0; r < R; ++r) {
    if (terms.perPosition())
      terms.positionConstant.row(r) =
          -(terms.positionHalfPrecision.row(r).array() * centres[r].rowwise().squaredNorm().transpose().array())
               .matrix();
    else
      terms.positionConstant.row(r) = -terms.halfPrecision(r) * centres[r].rowwise().squaredNorm().transpose();
  }
  if (!terms.shifted) terms.keys = std::move(centres);
  terms.centreNormsFinite = terms.positionConstant.allFinite();
  if (!hard) {
    RowMatrix priors = gaussianKeyPriors(M, R, options);
    // log 0 = -inf is intended: that component then contributes exp(-inf) = 0, never NaN, because a_r|k|^2 is finite.
    terms.positionConstant += priors.transpose().array().log().matrix();
  }
  return terms;
}

AttentionResult runGaussianKeys(const MatrixView& Q, const MatrixView& K, bool hard, const AttentionOptions& options) {
  const Index N = Q.rows(), M = K.rows();
  GaussianTerms terms = gaussianTerms(K, options.gaussian, hard);
  const Index R = terms.components;
  const Index gemms = terms.shifted ? 1 : R;
  Vector queryNormsSq = Q.rowwise().squaredNorm();
  // |q|^2 and |k|^2 overflow float32 only for norms above ~1.8e19; the GEMM form would then produce inf - inf.
  if (!queryNormsSq.allFinite() || !terms.centreNormsFinite) throwOverflow(hard ? "mgk-hard" : "mgk");
  // q_i . b_r for shifted centres: N x R, small.
  RowMatrix queryShift;
  if (terms.shifted) queryShift = Q * options.gaussian.shifts.transpose();

  AttentionResult result;
  allocateOutput(result.weights, N, M);
  if (options.computeScores) allocateOutput(result.scores, N, M);
  std::vector<RowStatus> status(static_cast<std::size_t>(N), RowStatus::Normal);
  const float lowest = std::numeric_limits<float>::lowest();
  const Index blockRows = rowsPerBlock(N, M, gemms);

  forEachRowBlock(N, M, blockRows, [&](Index first, Index rows) {
    // Per-block scratch: the GEMM results (gemms x rows x M) and the exponents t_ijr of one row (R x M).
    thread_local RowMatrix products;
    thread_local RowMatrix exponents;
    products.resize(gemms * rows, M);
    exponents.resize(R, M);
    auto queries = Q.middleRows(first, rows);
    if (terms.shifted)
      products.noalias() = queries * K.transpose();
    else
      for (Index g = 0; g < gemms; ++g)
        products.middleRows(g * rows, rows).noalias() = queries * terms.keys[g].transpose();

    for (Index r = 0; r < rows; ++r) {
      const Index i = first + r;
      float* out = result.weights.row(i).data();
      RowMask mask = rowMask(options, i, M);
      // t_ijr = c_jr + 2 a_r q_i.k_jr - a_r |q_i|^2  (+ 2 a_r q_i.b_r when shifted), i.e. log pi - |q-k|^2/(2 sigma^2).
      if (!terms.perPosition()) {
        for (Index c = 0; c < R; ++c) {
          float a = terms.halfPrecision(c);
          float offset = -a * queryNormsSq(i) + (terms.shifted ? 2.0f * a * queryShift(i, c) : 0.0f);
          auto dots = products.row((terms.shifted ? 0 : c) * rows + r).array();
          exponents.row(c).array() = terms.positionConstant.row(c).array() + (2.0f * a) * dots + offset;
        }
      } else {
        // The same sum with a_jr per position: c_jr + 2 a_jr q.k_jr - a_jr |q|^2 + 2 a_jr q.b_r.
        for (Index c = 0; c < R; ++c) {
          auto a = terms.positionHalfPrecision.row(c).array();
          const float shift = terms.shifted ? queryShift(i, c) : 0.0f;
          auto dots = products.row((terms.shifted ? 0 : c) * rows + r).array();
          exponents.row(c).array() =
              terms.positionConstant.row(c).array() + (2.0f * a) * dots + (-a * queryNormsSq(i) + 2.0f * a * shift);
        }
      }
      if (hard) {
        // Hard variant: log S_ij = max_r t_ijr, then an ordinary softmax.
        RowArray logS(out, M);
        logS = exponents.colwise().maxCoeff().transpose().array();
        if (options.computeScores) result.scores.row(i) = logS.matrix().transpose();
        bool unusedOverflow = false;  // t <= small positive rounding: cannot overflow
        status[static_cast<std::size_t>(i)] = softmaxRow(out, M, mask, unusedOverflow);
        continue;
      }
      // Soft variant: shift every exponent by the row's largest visible t, so S_ij e^-max = sum_r exp(t_ijr - max)
      // needs R exps per entry and no log; entries far below the max underflow to weight 0, exact in float.
      float max = -kInf;
      for (Index c = 0; c < R && mask.end > 0; ++c) {  // end = 0 (causal offset < 0): nothing visible, no max
        auto t = exponents.row(c).head(mask.end).array();
        if (!mask.keep) {
          max = std::max(max, t.maxCoeff());
        } else {
          for (Index j = 0; j < mask.end; ++j)
            if (mask.keep[j]) max = std::max(max, t(j));
        }
      }
      RowArray mass(out, M);
      if (mask.end == 0 || max == -kInf) {
        mass.setZero();  // either nothing visible or every visible prior is 0: normaliseMassRow decides which
      } else {
        mass = (exponents.row(0).array() - max).exp().transpose();
        for (Index c = 1; c < R; ++c) mass += (exponents.row(c).array() - max).exp().transpose();
      }
      if (options.computeScores) {
        // log S = max + log(mass) where the shifted mass is representable (vectorised); entries that are masked,
        // far below the row's max, or have all priors 0 get an exact per-entry logsumexp instead.
        auto scores = result.scores.row(i).array();
        scores = (mass.max(std::numeric_limits<float>::min()).log() + max).transpose();
        for (Index j = 0; j < M; ++j) {
          bool fast = j < mask.end && (!mask.keep || mask.keep[j]) && mass(j) > std::numeric_limits<float>::min();
          if (fast) continue;
          float m = exponents.col(j).maxCoeff();
          if (m == -kInf) {
            scores(j) = lowest;
          } else {
            float s = 0.0f;
            for (Index c = 0; c < R; ++c) s += std::exp(exponents(c, j) - m);
            scores(j) = m + std::log(s);
          }
        }
      }
      mass.tail(M - mask.end).setZero();
      if (mask.keep)
        for (Index j = 0; j < mask.end; ++j)
          if (!mask.keep[j]) mass(j) = 0.0f;
      status[static_cast<std::size_t>(i)] = normaliseMassRow(out, M, mask);
    }
  });
  collectStatus(status, result);
  return result;
}

/// phi(x) = elu(x) + 1: x + 1 for x > 0, exp(x) otherwise. Strictly positive (until exp underflows).
RowMatrix eluPlusOne(const MatrixView& X) {
  return (X.array() > 0.0f).select(X.array() + 1.0f, X.array().exp()).matrix();
}

/// kappa_j = sum_r pi_jr phi(k_jr): M x d.
RowMatrix linearKeyFeatures(const MatrixView& K, const GaussianKeysOptions& options) {
  std::vector<RowMatrix> centres = gaussianKeyCentres(K, options);
  const Index R = static_cast<Index>(centres.size());
  RowMatrix priors = gaussianKeyPriors(K.rows(), R, options);
  RowMatrix kappa = RowMatrix::Zero(K.rows(), K.cols());
  for (Index r = 0; r < R; ++r) kappa += priors.col(r).asDiagonal() * eluPlusOne(centres[r]);
  return kappa;
}

}  // namespace

std::string_view kernelName(Kernel kernel) {
  switch (kernel) {
    case Kernel::Dpa:
      return "dpa";
    case Kernel::Ea:
      return "ea";
    case Kernel::EaPure:
      return "ea-pure";
    case Kernel::Mgk:
      return "mgk";
    case Kernel::MgkHard:
      return "mgk-hard";
    case Kernel::Mlk:
      return "mlk";
    case Kernel::Cosine:
      return "cosine";
  }
  return "unknown";
}

std::optional<Kernel> kernelFromName(std::string_view name) {
  for (Kernel kernel : kAllKernels)
    if (kernelName(kernel) == name) return kernel;
  return std::nullopt;
}

Kernel parseKernel(std::string_view name) {
  if (auto kernel = kernelFromName(name)) return *kernel;
  std::string valid;
  for (Kernel kernel : kAllKernels) valid += (valid.empty() ? "" : ", ") + std::string(kernelName(kernel));
  throw InputError("unknown kernel '" + std::string(name) + "' (valid: " + valid + ")");
}

std::vector<RowMatrix> gaussianKeyCentres(const MatrixView& K, const GaussianKeysOptions& options) {
  const Index M = K.rows(), d = K.cols();
  std::vector<RowMatrix> centres;
  if (!options.componentKeys.empty()) {
    for (std::size_t r = 0; r < options.componentKeys.size(); ++r) {
      const RowMatrix& keys = options.componentKeys[r];
      std::string name = "key matrix of MGK component " + std::to_string(r + 1);
      if (keys.rows() != M || keys.cols() != d)
        throw InputError(name + " is " + std::to_string(keys.rows()) + " x " + std::to_string(keys.cols()) +
                         " but every component needs the keys' shape " + std::to_string(M) + " x " + std::to_string(d));
      requireFinite(keys, name);
      centres.push_back(keys);
    }
    if (options.shifts.size() > 0) throw InputError("give either one key matrix per MGK component or shifts, not both");
    return centres;
  }
  if (options.shifts.size() > 0) {
    if (options.shifts.cols() != d)
      throw InputError("MGK shifts have dimension " + std::to_string(options.shifts.cols()) + " but keys have " +
                       std::to_string(d));
    requireFinite(options.shifts, "MGK shifts");
    for (Index r = 0; r < options.shifts.rows(); ++r) centres.push_back(K.rowwise() + options.shifts.row(r));
    return centres;
  }
  centres.push_back(K);
  return centres;
}

RowMatrix gaussianKeyPriors(Index keyCount, Index components, const GaussianKeysOptions& options) {
  RowMatrix priors;
  if (options.positionPriors.size() > 0) {
    if (options.positionPriors.rows() != keyCount || options.positionPriors.cols() != components)
      throw InputError("per-position MGK priors are " + std::to_string(options.positionPriors.rows()) + " x " +
                       std::to_string(options.positionPriors.cols()) + " but keys x components is " +
                       std::to_string(keyCount) + " x " + std::to_string(components));
    requireFinite(options.positionPriors, "MGK priors");
    priors = options.positionPriors;
  } else if (options.priors.size() > 0) {
    if (options.priors.size() != components)
      throw InputError("got " + std::to_string(options.priors.size()) + " MGK priors but there are " +
                       std::to_string(components) + " components");
    requireFiniteVector(options.priors, "MGK priors");
    priors = options.priors.transpose().replicate(keyCount, 1);
  } else {
    priors = RowMatrix::Constant(keyCount, components, 1.0f / static_cast<float>(components));
  }
  return priors.cwiseMax(0.0f).cwiseMin(1.0f);  // as the official code: clamp, do not renormalise
}

Vector gaussianKeyVariances(Index dimension, Index components, const GaussianKeysOptions& options) {
  if (options.variances.size() == 0) return Vector::Constant(components, std::sqrt(static_cast<float>(dimension)));
  if (options.variances.size() != components)
    throw InputError("got " + std::to_string(options.variances.size()) + " MGK variances but there are " +
                     std::to_string(components) + " components");
  for (Index r = 0; r < components; ++r)
    if (!std::isfinite(options.variances(r)) || !(options.variances(r) > 0.0f))
      throw InputError("MGK variance of component " + std::to_string(r + 1) + " must be finite and > 0, got " +
                       std::to_string(options.variances(r)));
  return options.variances;
}

RowMatrix gaussianKeyPositionVariances(Index keyCount, Index dimension, Index components,
                                       const GaussianKeysOptions& options) {
  const RowMatrix& given = options.positionVariances;
  if (given.size() == 0) return gaussianKeyVariances(dimension, components, options).transpose().replicate(keyCount, 1);
  if (given.rows() != keyCount || given.cols() != components)
    throw InputError("per-position MGK variances are " + std::to_string(given.rows()) + " x " +
                     std::to_string(given.cols()) + " but keys x components is " + std::to_string(keyCount) + " x " +
                     std::to_string(components));
  for (Index j = 0; j < keyCount; ++j)
    for (Index r = 0; r < components; ++r)
      if (!std::isfinite(given(j, r)) || !(given(j, r) > 0.0f))
        throw InputError("MGK variance of key position " + std::to_string(j) + ", component " + std::to_string(r + 1) +
                         " must be finite and > 0, got " + std::to_string(given(j, r)));
  return given;
}

AttentionResult dotProductAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options) {
  validateInputs(Q, K, options);
  return runDotProduct(Q, K, resolvedScale(options, Q.cols()), options, "dpa");
}

namespace {

AttentionResult runExpressive(const MatrixView& Q, const MatrixView& K, bool pure, const AttentionOptions& options) {
  validateInputs(Q, K, options);
  const Index N = Q.rows(), M = K.rows();
  const float scale = resolvedScale(options, Q.cols());
  AttentionResult result;
  allocateOutput(result.weights, N, M);
  if (options.computeScores) allocateOutput(result.scores, N, M);
  std::vector<RowStatus> status(static_cast<std::size_t>(N), RowStatus::Normal);
  std::atomic<bool> overflow{false};
  forEachRowBlock(N, M, rowsPerBlock(N, M), [&](Index first, Index rows) {
    auto block = result.weights.middleRows(first, rows);
    block.noalias() = (scale * Q.middleRows(first, rows)) * K.transpose();
    for (Index r = 0; r < rows; ++r) {
      const Index i = first + r;
      RowArray x(block.row(r).data(), M);
      if (options.computeScores) {
        auto f = result.scores.row(i).array();
        auto clamped = x.cwiseMax(-kSquareLimit).cwiseMin(kSquareLimit);
        if (pure)
          f = clamped.square().transpose();
        else
          f = (clamped.square() / (1.0f + clamped.square())).transpose();
      }
      // Multiplicative masking: a masked key gets x = 0, hence f = 0. Never a large negative logit, whose square
      // would overflow (MATH.md).
      RowMask mask = rowMask(options, i, M);
      x.tail(M - mask.end).setZero();
      if (mask.keep)
        for (Index j = 0; j < mask.end; ++j)
          if (!mask.keep[j]) x(j) = 0.0f;
      // Ratios f_j / sum f are computed on x / c: for pure, c = max|x| (the common scale cancels exactly); for the
      // saturating form, c = min(max|x|, 1), dividing both f and the sum by c^2. Tiny norms then do not underflow,
      // and huge x are clamped where f has already saturated to 1 in float.
      float maxAbs = x.abs().maxCoeff();
      if (!std::isfinite(maxAbs)) {
        overflow = true;  // q.k itself overflowed float32: no meaningful ratio exists
        x.setZero();
      } else if (maxAbs > 0.0f) {
        // Multiplying by 1/c is cheaper than dividing, but for subnormal c (q.k ~ 1e-40 at norms ~1e-20) 1/c is inf
        // and an orthogonal key would get 0 * inf = NaN; those rows divide instead.
        detail::expressiveMassInPlace(x, pure ? maxAbs : std::min(maxAbs, 1.0f), pure);
      }
      status[static_cast<std::size_t>(i)] = normaliseMassRow(x.data(), M, mask);
    }
  });
  if (overflow) throwOverflow(pure ? "ea-pure" : "ea");
  collectStatus(status, result);
  return result;
}

}  // namespace

AttentionResult expressiveAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options) {
  return runExpressive(Q, K, options.expressiveForm == ExpressiveForm::Pure, options);
}

AttentionResult mixtureGaussianKeysAttention(const MatrixView& Q, const MatrixView& K, bool hard,
                                             const AttentionOptions& options) {
  validateInputs(Q, K, options);
  return runGaussianKeys(Q, K, hard, options);
}

std::vector<RowMatrix> gaussianKeyResponsibilities(const MatrixView& Q, const MatrixView& K, bool hard,
                                                   const GaussianKeysOptions& options) {
  validateInputs(Q, K, AttentionOptions{});
  std::vector<RowMatrix> centres = gaussianKeyCentres(K, options);
  const Index R = static_cast<Index>(centres.size()), N = Q.rows(), M = K.rows();
  const RowMatrix variances = gaussianKeyPositionVariances(M, Q.cols(), R, options);  // M x R
  RowMatrix priors = gaussianKeyPriors(M, R, options);
  Vector queryNormsSq = Q.rowwise().squaredNorm();
  std::vector<RowMatrix> gamma(static_cast<std::size_t>(R));
  for (Index r = 0; r < R; ++r) {
    // t_ijr = log pi_jr - |q_i - k_jr|^2 / (2 sigma_jr^2), distances in GEMM form, clamped at 0 against rounding.
    RowMatrix distSq = -2.0f * Q * centres[r].transpose();
    distSq.colwise() += queryNormsSq;
    distSq.rowwise() += centres[r].rowwise().squaredNorm().transpose();
    const Eigen::RowVectorXf twiceVariance = 2.0f * variances.col(r).transpose();
    RowMatrix t = -(distSq.cwiseMax(0.0f).array().rowwise() / twiceVariance.array()).matrix();
    if (!hard) t.rowwise() += priors.col(r).array().log().matrix().transpose();
    gamma[r] = std::move(t);
  }
  for (Index i = 0; i < N; ++i) {
    for (Index j = 0; j < M; ++j) {
      float max = -kInf;
      Index best = 0;
      for (Index r = 0; r < R; ++r)
        if (gamma[r](i, j) > max) {
          max = gamma[r](i, j);
          best = r;
        }
      if (hard) {
        for (Index r = 0; r < R; ++r) gamma[r](i, j) = r == best ? 1.0f : 0.0f;
        continue;
      }
      if (max == -kInf) {  // every prior of this position is 0: no component explains anything
        for (Index r = 0; r < R; ++r) gamma[r](i, j) = 0.0f;
        continue;
      }
      float sum = 0.0f;
      for (Index r = 0; r < R; ++r) sum += (gamma[r](i, j) = std::exp(gamma[r](i, j) - max));
      for (Index r = 0; r < R; ++r) gamma[r](i, j) /= sum;
    }
  }
  return gamma;
}

AttentionResult linearAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options) {
  validateInputs(Q, K, options);
  const Index N = Q.rows(), M = K.rows();
  RowMatrix phiQ = eluPlusOne(Q);
  RowMatrix kappa = linearKeyFeatures(K, options.gaussian);
  AttentionResult result;
  allocateOutput(result.weights, N, M);
  if (options.computeScores) allocateOutput(result.scores, N, M);
  std::vector<RowStatus> status(static_cast<std::size_t>(N), RowStatus::Normal);
  forEachRowBlock(N, M, rowsPerBlock(N, M), [&](Index first, Index rows) {
    auto block = result.weights.middleRows(first, rows);
    block.noalias() = phiQ.middleRows(first, rows) * kappa.transpose();
    if (options.computeScores) result.scores.middleRows(first, rows) = block;
    for (Index r = 0; r < rows; ++r) {
      const Index i = first + r;
      RowMask mask = rowMask(options, i, M);
      RowArray mass(block.row(r).data(), M);
      mass.tail(M - mask.end).setZero();
      if (mask.keep)
        for (Index j = 0; j < mask.end; ++j)
          if (!mask.keep[j]) mass(j) = 0.0f;
      status[static_cast<std::size_t>(i)] = normaliseMassRow(mass.data(), M, mask);
    }
  });
  collectStatus(status, result);
  return result;
}

RowMatrix linearAttentionOutput(const MatrixView& Q, const MatrixView& K, const MatrixView& V,
                                const AttentionOptions& options) {
  validateInputs(Q, K, options);
  requireNonEmpty(V, "V (values)");
  requireFinite(V, "V (values)");
  if (V.rows() != K.rows())
    throw InputError("V (values) has " + std::to_string(V.rows()) + " rows but there are " + std::to_string(K.rows()) +
                     " keys");
  if (options.keepMask)
    throw InputError("linearAttentionOutput supports causal masking only; use linearAttention for a keep-mask");
  const Index N = Q.rows(), M = K.rows(), dv = V.cols();
  RowMatrix phiQ = eluPlusOne(Q);
  RowMatrix kappa = linearKeyFeatures(K, options.gaussian);
  RowMatrix out(N, dv);
  // Visible keys of row i form a prefix [0, end_i); end_i is non-decreasing in i, so running sums serve causal rows.
  RowMatrix state = RowMatrix::Zero(Q.cols(), dv);  // sum_j kappa_j v_j^T over visible keys
  Vector normaliser = Vector::Zero(Q.cols());       // sum_j kappa_j
  Eigen::VectorXf valueSum = Eigen::VectorXf::Zero(dv);
  Index added = 0;
  auto addKeysUpTo = [&](Index end) {
    for (; added < end; ++added) {
      state.noalias() += kappa.row(added).transpose() * V.row(added);
      normaliser += kappa.row(added).transpose();
      valueSum += V.row(added).transpose();
    }
  };
  if (!options.causal) addKeysUpTo(M);
  for (Index i = 0; i < N; ++i) {
    if (options.causal) addKeysUpTo(rowMask(options, i, M).end);
    if (added == 0) {
      out.row(i).setZero();
      continue;
    }
    float denominator = phiQ.row(i).dot(normaliser);
    if (!(denominator > 0.0f))  // same fallback as linearAttention: uniform over the visible keys
      out.row(i) = (valueSum / static_cast<float>(added)).transpose();
    else
      out.row(i).noalias() = (phiQ.row(i) * state) / denominator;
  }
  return out;
}

AttentionResult cosineAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options) {
  validateInputs(Q, K, options);
  if (!std::isfinite(options.cosineTemperature) || !(options.cosineTemperature > 0.0f))
    throw InputError("cosine temperature must be finite and > 0, got " + std::to_string(options.cosineTemperature));
  // A zero vector stays zero: cosine 0 with everything.
  return runDotProduct(unitRows(Q), unitRows(K), 1.0f / options.cosineTemperature, options, "cosine");
}

AttentionResult computeAttention(Kernel kernel, const MatrixView& Q, const MatrixView& K,
                                 const AttentionOptions& options) {
  switch (kernel) {
    case Kernel::Dpa:
      return dotProductAttention(Q, K, options);
    case Kernel::Ea:
      return expressiveAttention(Q, K, options);
    case Kernel::EaPure:
      return runExpressive(Q, K, true, options);
    case Kernel::Mgk:
      return mixtureGaussianKeysAttention(Q, K, false, options);
    case Kernel::MgkHard:
      return mixtureGaussianKeysAttention(Q, K, true, options);
    case Kernel::Mlk:
      return linearAttention(Q, K, options);
    case Kernel::Cosine:
      return cosineAttention(Q, K, options);
  }
  throw InputError("unknown kernel");
}

RowMatrix applyWeights(const MatrixView& weights, const MatrixView& V) {
  if (weights.cols() != V.rows())
    throw InputError("weights have " + std::to_string(weights.cols()) + " columns but V has " +
                     std::to_string(V.rows()) + " rows");
  return weights * V;
}

}  // namespace attnscope
