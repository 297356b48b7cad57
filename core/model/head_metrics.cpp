// Per-head statistics of captured attention (head_metrics.h). Each is one pass over a head's T x T weights; the
// divergence is the core's, on the head's query and key rows.
#include "core/model/head_metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "core/error.h"
#include "core/geometry.h"
#include "core/validate.h"

namespace attnscope::model {
namespace {

constexpr std::array kHeadMetrics = {HeadMetric::SinkShare,    HeadMetric::PreviousToken, HeadMetric::Induction,
                                     HeadMetric::MeanDistance, HeadMetric::Entropy,       HeadMetric::QueryNorm,
                                     HeadMetric::KeyNorm,      HeadMetric::Divergence};

double meanRowNorm(const RowMatrix& rows) {
  if (rows.rows() == 0) return 0.0;
  double total = 0.0;
  for (Eigen::Index i = 0; i < rows.rows(); ++i) total += rows.row(i).cast<double>().norm();
  return total / static_cast<double>(rows.rows());
}

void requireAttention(const ModelCapture& capture, const char* which) {
  if (capture.attention.size() != static_cast<size_t>(capture.layers) * capture.heads)
    throw InputError(std::string("head metrics need the attention weights of the ") + which +
                     " capture (it was written without attention; run the model on the prompt instead)");
}

}  // namespace

std::span<const HeadMetric> allHeadMetrics() {
  return kHeadMetrics;
}

std::string_view headMetricName(HeadMetric metric) {
  switch (metric) {
    case HeadMetric::SinkShare:
      return "sink";
    case HeadMetric::PreviousToken:
      return "prev_token";
    case HeadMetric::Induction:
      return "induction";
    case HeadMetric::MeanDistance:
      return "distance";
    case HeadMetric::Entropy:
      return "entropy";
    case HeadMetric::QueryNorm:
      return "q_norm";
    case HeadMetric::KeyNorm:
      return "k_norm";
    case HeadMetric::Divergence:
      return "divergence";
  }
  return "?";
}

HeadMetric parseHeadMetric(std::string_view name) {
  std::string valid;
  for (HeadMetric metric : kHeadMetrics) {
    if (headMetricName(metric) == name) return metric;
    valid += (valid.empty() ? "" : ", ") + std::string(headMetricName(metric));
  }
  throw InputError("unknown head statistic '" + std::string(name) + "' (valid: " + valid + ")");
}

std::string_view headMetricDescription(HeadMetric metric) {
  switch (metric) {
    case HeadMetric::SinkShare:
      return "Attention sink: the mean attention every query pays to the first token (Gu et al., ICLR 2025). A head "
             "above the threshold (0.3) counts as a sink head. Range 0-1.";
    case HeadMetric::PreviousToken:
      return "Previous-token score: the mean attention from each token to the token just before it. Range 0-1.";
    case HeadMetric::Induction:
      return "Induction score: on a random sequence repeated twice, the mean attention from each token of the second "
             "copy to the token that followed its earlier occurrence. Range 0-1.";
    case HeadMetric::MeanDistance:
      return "Mean attention distance: how far back (or ahead) a head looks, sum_j a_ij |i - j| averaged over "
             "queries, in tokens.";
    case HeadMetric::Entropy:
      return "Entropy of each query's attention in nats, averaged: 0 = one key only, ln(i + 1) = uniform over the "
             "i + 1 visible keys.";
    case HeadMetric::QueryNorm:
      return "Mean L2 norm of the head's query vectors (after RoPE, which keeps norms).";
    case HeadMetric::KeyNorm:
      return "Mean L2 norm of the head's key vectors (after RoPE, which keeps norms).";
    case HeadMetric::Divergence:
      return "Alignment divergence between the head's query and key distributions (the metric chosen, CT by "
             "default): low = queries and keys occupy the same directions.";
  }
  return "";
}

AttentionPatternScores attentionPatternScores(const MatrixView& weights) {
  requireNonEmpty(weights, "attention weights");
  if (weights.rows() != weights.cols())
    throw InputError("attention weights must be square (tokens x tokens), got " + std::to_string(weights.rows()) +
                     " x " + std::to_string(weights.cols()));
  const RowEntropy entropy = rowEntropy(weights);  // also refuses NaN/Inf and negative weights
  const Eigen::Index T = weights.rows();
  AttentionPatternScores scores;
  double sink = 0.0, previous = 0.0, distance = 0.0, entropySum = 0.0;
  for (Eigen::Index i = 0; i < T; ++i) {
    const double rowSum = weights.row(i).cast<double>().sum();
    if (rowSum <= 0.0) continue;  // a fully masked row attends nowhere: it adds 0 to every mean
    sink += weights(i, 0) / rowSum;
    if (i > 0) previous += weights(i, i - 1) / rowSum;
    double rowDistance = 0.0;
    for (Eigen::Index j = 0; j < T; ++j) rowDistance += double(weights(i, j)) * double(std::abs(i - j));
    distance += rowDistance / rowSum;
    entropySum += entropy.entropyNats(i);
  }
  scores.sinkShare = sink / double(T);
  scores.previousToken = T > 1 ? previous / double(T - 1) : 0.0;
  scores.meanDistance = distance / double(T);
  scores.entropyNats = entropySum / double(T);
  return scores;
}

double inductionScore(const MatrixView& weights, int prefixLength, int period) {
  if (prefixLength < 0 || period < 1)
    throw InputError("induction score: the prefix length must be >= 0 and the period >= 1");
  const Eigen::Index T = Eigen::Index(prefixLength) + 2 * Eigen::Index(period);
  if (weights.rows() != T || weights.cols() != T)
    throw InputError("induction score: the weights are " + std::to_string(weights.rows()) + " x " +
                     std::to_string(weights.cols()) + ", the repeated sequence has " + std::to_string(T) + " tokens");
  requireFinite(weights, "attention weights");
  double total = 0.0;
  for (int j = 0; j < period; ++j) {
    const Eigen::Index i = prefixLength + period + j;
    const double rowSum = weights.row(i).cast<double>().sum();
    if (rowSum > 0.0) total += weights(i, i - period + 1) / rowSum;
  }
  return total / double(period);
}

std::vector<int> repeatedRandomTokens(std::span<const int> prefix, int vocab, int period, uint64_t seed) {
  if (period < 1) throw InputError("the induction period must be at least 1 token");
  std::vector<int> allowed;
  allowed.reserve(static_cast<size_t>(std::max(vocab, 0)));
  for (int id = 0; id < vocab; ++id)
    if (std::find(prefix.begin(), prefix.end(), id) == prefix.end()) allowed.push_back(id);
  // Distinct ids: a token that occurred twice in the random half would have two "previous occurrences".
  if (static_cast<size_t>(period) > allowed.size())
    throw InputError("the induction period " + std::to_string(period) + " exceeds the " +
                     std::to_string(allowed.size()) + " distinct token ids available outside the prefix");
  std::mt19937_64 generator(seed);
  for (int i = 0; i < period; ++i) {  // partial Fisher-Yates: the first `period` entries become the sample
    const size_t pick = static_cast<size_t>(i) + generator() % (allowed.size() - static_cast<size_t>(i));
    std::swap(allowed[static_cast<size_t>(i)], allowed[pick]);
  }
  std::vector<int> tokens(prefix.begin(), prefix.end());
  tokens.insert(tokens.end(), allowed.begin(), allowed.begin() + period);
  tokens.insert(tokens.end(), allowed.begin(), allowed.begin() + period);
  return tokens;
}

std::vector<int> inductionPrefix(std::span<const int> promptIds, const Tokenizer* tokenizer) {
  if (promptIds.empty() || tokenizer == nullptr) return {};
  const std::vector<int> empty = tokenizer->encode("", true);  // [BOS] when the tokenizer adds one
  if (!empty.empty() && promptIds[0] == empty[0]) return {promptIds[0]};
  return {};
}

int fittingInductionPeriod(const ModelInfo& info, int prefixLength, int wanted) {
  const int byVocabulary = info.vocabSize - prefixLength;
  const int byContext = info.maxSequence > 0 ? (info.maxSequence - prefixLength) / 2 : wanted;
  return std::max(0, std::min({wanted, byVocabulary, byContext}));
}

std::optional<double> HeadMetricsRow::value(HeadMetric metric) const {
  switch (metric) {
    case HeadMetric::SinkShare:
      return pattern.sinkShare;
    case HeadMetric::PreviousToken:
      return pattern.previousToken;
    case HeadMetric::Induction:
      return induction;
    case HeadMetric::MeanDistance:
      return pattern.meanDistance;
    case HeadMetric::Entropy:
      return pattern.entropyNats;
    case HeadMetric::QueryNorm:
      return queryNorm;
    case HeadMetric::KeyNorm:
      return keyNorm;
    case HeadMetric::Divergence:
      return divergence;
  }
  return std::nullopt;
}

HeadMetricsTable headMetrics(const ModelCapture& prompt, const ModelCapture* repeated, int prefixLength, int period,
                             const HeadMetricsOptions& options) {
  requireAttention(prompt, "prompt");
  if (!(options.sinkThreshold >= 0.0 && options.sinkThreshold <= 1.0))
    throw InputError("the sink threshold must lie in [0, 1]");
  const size_t headCount = static_cast<size_t>(prompt.layers) * prompt.heads;
  if (prompt.queries.size() != headCount || prompt.keys.size() != headCount)
    throw InputError("the prompt capture holds queries and keys for " + std::to_string(prompt.queries.size()) +
                     " heads, expected layers x heads = " + std::to_string(headCount));
  if (repeated) {
    requireAttention(*repeated, "repeated-sequence");
    if (repeated->layers != prompt.layers || repeated->heads != prompt.heads)
      throw InputError("the repeated-sequence capture has a different number of layers or heads than the prompt's");
    if (repeated->tokens != prefixLength + 2 * period)
      throw InputError("the repeated-sequence capture has " + std::to_string(repeated->tokens) + " tokens, expected " +
                       std::to_string(prefixLength + 2 * period));
  }
  HeadMetricsTable table;
  table.layers = prompt.layers;
  table.heads = prompt.heads;
  table.tokens = prompt.tokens;
  table.inductionPeriod = repeated ? period : 0;
  table.rows.resize(headCount);
  std::vector<std::string> errors(headCount);
  // Heads are independent; each writes only its own row, so the table is the same for any thread count.
#pragma omp parallel for schedule(dynamic)
  for (long index = 0; index < static_cast<long>(headCount); ++index) {
    try {
      HeadMetricsRow& row = table.rows[index];
      row.layer = int(index / prompt.heads);
      row.head = int(index % prompt.heads);
      row.pattern = attentionPatternScores(prompt.attention[index]);
      row.sink = row.pattern.sinkShare > options.sinkThreshold;
      if (repeated) row.induction = inductionScore(repeated->attention[index], prefixLength, period);
      row.queryNorm = meanRowNorm(prompt.queries[index]);
      row.keyNorm = meanRowNorm(prompt.keys[index]);
      if (options.divergence)
        row.divergence = alignmentDivergence(*options.divergence, prompt.queries[index], prompt.keys[index],
                                             options.divergenceOptions)
                             .value;
    } catch (const std::exception& error) {
      errors[index] = error.what();  // exceptions must not leave an OpenMP region
    }
  }
  for (size_t index = 0; index < headCount; ++index) {
    if (!errors[index].empty())
      throw InputError("layer " + std::to_string(index / prompt.heads) + " head " +
                       std::to_string(index % prompt.heads) + ": " + errors[index]);
  }
  int sinks = 0;
  for (const HeadMetricsRow& row : table.rows) sinks += row.sink ? 1 : 0;
  table.sinkRate = headCount ? double(sinks) / double(headCount) : 0.0;
  return table;
}

std::vector<int> headMetricsOrder(const HeadMetricsTable& table, std::optional<HeadMetric> sortBy) {
  std::vector<int> order(table.rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  if (sortBy) {
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      const std::optional<double> x = table.rows[size_t(a)].value(*sortBy), y = table.rows[size_t(b)].value(*sortBy);
      return x && (!y || *x > *y);
    });
  }
  return order;
}

void writeHeadMetricsCsv(std::ostream& out, const HeadMetricsTable& table, std::optional<HeadMetric> sortBy) {
  out << "layer,head";
  for (HeadMetric metric : allHeadMetrics()) out << ',' << headMetricName(metric);
  out << ",sink_head\n";
  for (int index : headMetricsOrder(table, sortBy)) {
    const HeadMetricsRow& row = table.rows[size_t(index)];
    out << row.layer << ',' << row.head;
    for (HeadMetric metric : allHeadMetrics()) {
      out << ',';
      if (const std::optional<double> value = row.value(metric)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.9g", *value);
        out << text;
      }
    }
    out << ',' << (row.sink ? 1 : 0) << '\n';
  }
}

}  // namespace attnscope::model
