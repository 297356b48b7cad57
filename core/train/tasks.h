// Training tasks generated on the fly from a seed (README "Training lab" documents each exactly), and the user's own
// token sequences from an integer .npy file. Every batch is B x T inputs, B x T targets (the inputs shifted by one)
// and a weight per target: 1 where the task's rule determines the token (loss and accuracy count those), else 0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/train/transformer.h"

namespace attnscope::train {

enum class TaskKind { Copy, Recall, Ladder, Multitask };
/// "copy", "recall", "ladder", "multitask"; throws InputError listing them otherwise.
TaskKind parseTask(const std::string& name);
const char* taskName(TaskKind kind);

struct TaskOptions {
  TaskKind kind = TaskKind::Copy;
  int symbols = 16;  ///< alphabet size S of the content tokens
  int pairs = 8;     ///< recall: key-value pairs shown before the queries
  int level = 1;     ///< ladder rung: 1 = copy (positional), L >= 2 = L - 1 chained lookups
};

/// Ladder levels >= 2 show each pair (a, b) of symbols as one token: S + 1 + a S + b (a, b in [0, S)).
int pairToken(int symbols, int a, int b);
/// Accuracy of the best guess that reads no earlier token but the query: 1/S for level 1 (copy of uniform symbols),
/// 1/(S - 1) for level L >= 2 (f^(L-1)(q) is uniform over the symbols other than q), 1 if L - 1 is a multiple of S.
double ladderChanceAccuracy(int symbols, int level);
/// Short name of a ladder level: "copy", "1 hop", "2 hops", ...
std::string ladderLevelName(int level);

/// Vocabulary the task's tokens use (ids 0 .. vocab-1).
int taskVocabulary(const TaskOptions& options);
/// Shortest sequence length T the task fits in; throws nothing.
int taskMinimumLength(const TaskOptions& options);
/// Throws InputError if the options are out of range or T is too short for the task.
void validateTask(const TaskOptions& options, int length);

/// One sequence of T + 1 tokens and, per token, whether a rule determines it (the first is never determined).
void generateTaskSequence(const TaskOptions& options, int length, uint64_t seed, std::vector<int>& tokens,
                          std::vector<char>& determined);

/// Batch `step` of a task: sequence b uses the seed mix(seed, step, b), so a run is reproducible and batches never
/// repeat a pattern across steps.
TokenBatch taskBatch(const TaskOptions& options, int batch, int length, uint64_t seed, int64_t step);

/// Integer token sequences from an .npy file: rows x (T + 1) ids (int8/16/32/64 or uint8/16/32/64, C order).
struct TokenData {
  int rows = 0;
  int columns = 0;  ///< T + 1
  int largestId = 0;
  std::vector<int> ids;  ///< rows x columns, row-major
};

/// Reads and validates an integer .npy: magic, version, header, dtype, 2-D shape with >= 2 columns, byte count
/// against the file's length (before allocating, within the memory budget), ids >= 0 and < vocab when vocab > 0.
/// Throws FileError naming the file and what is wrong.
TokenData readTokenData(const std::filesystem::path& path, int vocab = 0);

/// Batch `step` of data in file order: rows (step B + i) mod rows; inputs the first T ids, targets the last T, all
/// weights 1.
TokenBatch dataBatch(const TokenData& data, int batch, int64_t step);

}  // namespace attnscope::train
