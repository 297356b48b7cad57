// What researchers look for in a model's heads, per layer x head: attention sinks, previous-token and induction
// heads, how far and how spread out a head attends, the size of its queries and keys, and the alignment divergence
// between them. Computed from captures (core/model/model.h), so they describe the weights the model actually used.
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string_view>
#include <vector>

#include "core/divergence.h"
#include "core/model/model.h"
#include "core/types.h"

namespace attnscope::model {

/// The per-head statistics, in table order. Each has a name for the CLI and CSV and a tooltip text.
enum class HeadMetric {
  SinkShare,      ///< mean attention to the first token (Gu et al., ICLR 2025); a head "has a sink" above a threshold
  PreviousToken,  ///< mean attention from each token to the one before it
  Induction,      ///< on a repeated random sequence, mean attention to the token after the previous occurrence
  MeanDistance,   ///< mean over queries of sum_j a_ij |i - j|, in tokens
  Entropy,        ///< mean row entropy of the attention, in nats
  QueryNorm,      ///< mean L2 norm of the head's query vectors
  KeyNorm,        ///< mean L2 norm of the head's key vectors
  Divergence,     ///< the alignment divergence between the head's queries and keys (core/divergence.h)
};

std::span<const HeadMetric> allHeadMetrics();
/// "sink", "prev_token", "induction", "distance", "entropy", "q_norm", "k_norm", "divergence".
std::string_view headMetricName(HeadMetric metric);
/// Inverse of headMetricName; throws InputError listing the valid names.
HeadMetric parseHeadMetric(std::string_view name);
/// One or two sentences for a tooltip or `--help`: what the statistic measures and its range.
std::string_view headMetricDescription(HeadMetric metric);

/// The statistics of one attention matrix that need nothing but its weights. weights: T x T, row i = the
/// distribution of query i over the keys (rows summing to 1; causal rows are 0 above the diagonal).
struct AttentionPatternScores {
  /// alpha_1 = (1/T) sum_i a_i0: Gu et al.'s average attention score of the first token, over all T queries
  /// (their formula for k = 1, so it includes the first query's a_00 = 1 under a causal mask).
  double sinkShare = 0.0;
  /// (1/(T-1)) sum_{i>=1} a_{i,i-1}; 0 when T = 1.
  double previousToken = 0.0;
  /// (1/T) sum_i sum_j a_ij |i - j|.
  double meanDistance = 0.0;
  /// (1/T) sum_i H_i, H_i = -sum_j a_ij ln a_ij with 0 ln 0 = 0 (rows are renormalised first, core rowEntropy).
  double entropyNats = 0.0;
};

/// weights: T x T, T >= 1, finite and non-negative (InputError otherwise).
AttentionPatternScores attentionPatternScores(const MatrixView& weights);

/// The induction score of one head on the sequence prefix + r + r, where r has `period` tokens and the prefix
/// `prefixLength` (e.g. 1 for a BOS): the mean over the second copy's positions i = p + period + j (j = 0..period-1)
/// of a_{i, i - period + 1}, the attention to the token that followed the current token's previous occurrence.
/// weights: T x T with T = prefixLength + 2 period.
double inductionScore(const MatrixView& weights, int prefixLength, int period);

/// The repeated random sequence the induction score is measured on: `prefix`, then `period` distinct ids drawn
/// uniformly without replacement (seeded, std::mt19937_64) from [0, vocab) minus the prefix's ids, then the same
/// `period` ids again. Throws InputError when fewer than `period` ids are available.
std::vector<int> repeatedRandomTokens(std::span<const int> prefix, int vocab, int period, uint64_t seed);

/// The prefix the induction sequence starts with: the prompt's first id when it is the tokenizer's BOS (so position 0
/// plays the same role in both runs), else nothing. tokenizer may be null (no prefix).
std::vector<int> inductionPrefix(std::span<const int> promptIds, const Tokenizer* tokenizer);

/// The induction period to use for `wanted` tokens: at most the distinct ids outside the prefix (vocab - prefixLength)
/// and at most what fits twice after the prefix in maxSequence; 0 when nothing fits.
int fittingInductionPeriod(const ModelInfo& info, int prefixLength, int wanted);

struct HeadMetricsOptions {
  double sinkThreshold = 0.3;  ///< Gu et al.'s epsilon: a head with sinkShare > this counts as a sink head
  /// The alignment divergence between each head's query and key rows; absent = not computed.
  std::optional<Metric> divergence = Metric::Ct;
  DivergenceOptions divergenceOptions = [] {
    DivergenceOptions options;
    options.keepMatrices = false;  // the value is all the table needs
    return options;
  }();
};

/// One head's row of the table. `induction` and `divergence` are absent when not measured.
struct HeadMetricsRow {
  int layer = 0;
  int head = 0;
  AttentionPatternScores pattern;
  bool sink = false;  ///< pattern.sinkShare > options.sinkThreshold
  std::optional<double> induction;
  double queryNorm = 0.0;
  double keyNorm = 0.0;
  std::optional<double> divergence;
  /// The value of one statistic (SinkShare reads pattern.sinkShare, ...); nullopt when not measured.
  std::optional<double> value(HeadMetric metric) const;
};

struct HeadMetricsTable {
  int layers = 0;
  int heads = 0;
  int tokens = 0;                    ///< length of the prompt the pattern statistics were measured on
  int inductionPeriod = 0;           ///< 0 when induction was not measured
  std::vector<HeadMetricsRow> rows;  ///< layers * heads rows, row index = layer * heads + head
  double sinkRate = 0.0;             ///< fraction of heads with sink = true (Gu et al.'s Sink_eps for k = 1)
};

/// Every head's statistics. prompt: a capture with attention (ModelCapture::attention filled, e.g. Model::run with
/// captureAttention); repeated: optional capture of the same model on repeatedRandomTokens(prefix of length
/// `prefixLength`, period), same layers x heads. Throws InputError for captures without attention or mismatched
/// shapes. Heads are independent and computed in parallel; the result does not depend on the thread count.
HeadMetricsTable headMetrics(const ModelCapture& prompt, const ModelCapture* repeated, int prefixLength, int period,
                             const HeadMetricsOptions& options = {});

/// Indices into table.rows in display order: layer/head order, or by `sortBy` largest first with unmeasured values
/// last and ties in layer/head order (the order of `model heads --sort` and of the explorer's ranked list).
std::vector<int> headMetricsOrder(const HeadMetricsTable& table, std::optional<HeadMetric> sortBy = {});

/// The table as CSV, one row per head in headMetricsOrder(table, sortBy): columns layer, head, every statistic of
/// allHeadMetrics() under its headMetricName (printf %.9g; empty when not measured) and sink_head (0 or 1).
/// `attnscope model heads --csv` and the model explorer's export both write it through this function.
void writeHeadMetricsCsv(std::ostream& out, const HeadMetricsTable& table, std::optional<HeadMetric> sortBy = {});

}  // namespace attnscope::model
