// What the Train workspace shows of a model while it trains: every head's queries, keys and causal attention on one
// fixed probe sequence (a forward of the model's public parameters, B = 1), and the attention-weighted parallel /
// orthogonal / antiparallel shares of the (query, key) pairs a head actually uses.
#pragma once

#include <vector>

#include "core/train/transformer.h"
#include "core/types.h"

namespace attnscope::train {

/// One head on the probe: T x d_head queries and keys as the kernel receives them (after the pre-attention LayerNorm
/// and c_attn), and the T x T causal weights the kernel gives them (rows sum to 1, zero above the diagonal).
struct HeadProbe {
  RowMatrix queries;
  RowMatrix keys;
  RowMatrix weights;
};

/// Every head of `model` on `tokens` (1 to context ids in [0, vocab)): layers x heads entries, index layer * heads +
/// head. The weights equal Transformer::attentionWeights on the same tokens. Throws InputError for a bad sequence.
std::vector<HeadProbe> probeHeads(const Transformer<float>& model, const std::vector<int>& tokens);

/// Shares of the attention mass by the angle between query i and key j: sum over pairs in the class of a_ij divided
/// by the sum of a_ij over pairs with a defined angle (neither vector zero). A pair is parallel when its angle is
/// within `bandDegrees` of 0, orthogonal within it of 90, antiparallel within it of 180 (core/geometry.h's classes);
/// the rest is `other`. The four add up to 1, or are all 0 when no weighted pair has an angle.
struct WeightedPairFractions {
  double parallel = 0.0, orthogonal = 0.0, antiparallel = 0.0, other = 0.0;
};

/// Q: N x d, K: M x d, A: N x M non-negative weights (masked pairs 0). bandDegrees in [0, 45). Throws InputError for
/// mismatched shapes, NaN/Inf or a bad band.
WeightedPairFractions attentionWeightedFractions(const MatrixView& Q, const MatrixView& K, const MatrixView& A,
                                                 float bandDegrees);

}  // namespace attnscope::train
