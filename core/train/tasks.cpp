// Task generators and integer token files of the training lab (see tasks.h and README "Training lab").
#include "core/train/tasks.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <regex>

#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope::train {
namespace {

constexpr int kMultitaskRules = 3;  // copy, 1-hop lookup, 2-hop lookup

/// SplitMix64: decorrelates the (seed, step, row) triple into one engine seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// copy: a random prefix of P = ceil((T + 1) / 2) symbols, then the prefix again; every repeated token is determined.
void copySequence(int symbols, int total, std::mt19937_64& engine, std::vector<int>& tokens,
                  std::vector<char>& determined) {
  const int prefix = (total + 1) / 2;
  for (int i = 0; i < total; ++i) {
    tokens.push_back(i < prefix ? static_cast<int>(engine() % symbols) : tokens[tokens.size() - prefix]);
    determined.push_back(i >= prefix);
  }
}

/// Lookup chains (ladder level L, multitask rules 1 and 2): all S symbols as pairs "a f(a)" of a random permutation f
/// in random order, the separator S, then queries "q f^L(q)" until the sequence is full. Answers are determined.
void hopSequence(int symbols, int hops, int total, std::mt19937_64& engine, std::vector<int>& tokens,
                 std::vector<char>& determined) {
  std::vector<int> f(static_cast<size_t>(symbols)), order(static_cast<size_t>(symbols));
  std::iota(f.begin(), f.end(), 0);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(f.begin(), f.end(), engine);
  std::shuffle(order.begin(), order.end(), engine);
  const size_t start = tokens.size();
  for (int a : order) {
    tokens.push_back(a);
    tokens.push_back(f[a]);
    determined.push_back(0);
    determined.push_back(0);
  }
  tokens.push_back(symbols);  // separator
  determined.push_back(0);
  while (static_cast<int>(tokens.size() - start) + 2 <= total) {
    const int q = static_cast<int>(engine() % symbols);
    int answer = q;
    for (int h = 0; h < hops; ++h) answer = f[answer];
    tokens.push_back(q);
    tokens.push_back(answer);
    determined.push_back(0);
    determined.push_back(1);
  }
  while (static_cast<int>(tokens.size() - start) < total) {  // an odd remainder: one more query without its answer
    tokens.push_back(static_cast<int>(engine() % symbols));
    determined.push_back(0);
  }
}

/// Ladder levels L >= 2: lookup chains over pair tokens. f is a uniformly random cyclic permutation of the S symbols
/// (one cycle through all of them), so f^h(q) != q for 0 < h < S: no answer can be read off the
/// query itself, and f^h(q) is uniform over the other S - 1 symbols. The S pairs (a, f(a)) are shown as one token each,
/// pairToken(a, b) = S + 1 + a S + b, in random order; then the separator S; then queries "q f^hops(q)", the queried
/// symbols in random order without repeats (a new round after all S), until the sequence is full (an odd remainder:
/// one query without its answer). Only the first round's answers are determined: a repeated query could be answered by
/// copying its earlier answer, a one-hop shortcut at every level.
void pairTokenHopSequence(int symbols, int hops, int total, std::mt19937_64& engine, std::vector<int>& tokens,
                          std::vector<char>& determined) {
  std::vector<int> cycle(static_cast<size_t>(symbols)), f(static_cast<size_t>(symbols));
  std::iota(cycle.begin(), cycle.end(), 0);
  // A uniformly random order of the symbols, closed into a cycle: each cycle arises from its S rotations, so every
  // cycle is equally likely. (Sattolo's shuffle would not do here: it draws the cycle as a mapping i -> a[i], not as
  // an order, and reading its array as an order skews f^h.)
  std::shuffle(cycle.begin(), cycle.end(), engine);
  for (int i = 0; i < symbols; ++i) f[cycle[i]] = cycle[(i + 1) % symbols];
  std::vector<int> order = cycle;
  std::shuffle(order.begin(), order.end(), engine);  // the pairs' order must not follow the cycle
  for (int a : order) {
    tokens.push_back(pairToken(symbols, a, f[a]));
    determined.push_back(0);
  }
  tokens.push_back(symbols);  // separator
  determined.push_back(0);
  std::vector<int> queries;
  int round = 0;
  while (static_cast<int>(tokens.size()) + 2 <= total) {
    if (queries.empty()) {
      queries = cycle;
      std::shuffle(queries.begin(), queries.end(), engine);
      ++round;
    }
    const int q = queries.back();
    queries.pop_back();
    int answer = q;
    for (int h = 0; h < hops; ++h) answer = f[answer];
    tokens.push_back(q);
    tokens.push_back(answer);
    determined.push_back(0);
    determined.push_back(round == 1);
  }
  while (static_cast<int>(tokens.size()) < total) {
    tokens.push_back(static_cast<int>(engine() % symbols));
    determined.push_back(0);
  }
}

/// recall: `pairs` distinct keys from [0, S) with values from [S, 2S), the separator 2S, then queried keys each
/// followed by its value; values after a query are determined.
void recallSequence(int symbols, int pairs, int total, std::mt19937_64& engine, std::vector<int>& tokens,
                    std::vector<char>& determined) {
  std::vector<int> keys(static_cast<size_t>(symbols));
  std::iota(keys.begin(), keys.end(), 0);
  std::shuffle(keys.begin(), keys.end(), engine);
  std::vector<int> values(static_cast<size_t>(pairs));
  for (int p = 0; p < pairs; ++p) {
    values[p] = symbols + static_cast<int>(engine() % symbols);
    tokens.push_back(keys[p]);
    tokens.push_back(values[p]);
    determined.push_back(0);
    determined.push_back(0);
  }
  tokens.push_back(2 * symbols);
  determined.push_back(0);
  while (static_cast<int>(tokens.size()) + 2 <= total) {
    const int p = static_cast<int>(engine() % pairs);
    tokens.push_back(keys[p]);
    tokens.push_back(values[p]);
    determined.push_back(0);
    determined.push_back(1);
  }
  while (static_cast<int>(tokens.size()) < total) {
    tokens.push_back(keys[engine() % pairs]);
    determined.push_back(0);
  }
}

}  // namespace

int pairToken(int symbols, int a, int b) {
  return symbols + 1 + a * symbols + b;
}

double ladderChanceAccuracy(int symbols, int level) {
  // Level 1 copies uniform symbols; level L >= 2 answers f^(L-1)(q), uniform over the S - 1 symbols other than q as
  // long as L - 1 is not a multiple of S (then f^(L-1) is the identity and the answer is q itself).
  if (level <= 1) return 1.0 / symbols;
  return (level - 1) % symbols == 0 ? 1.0 : 1.0 / (symbols - 1);
}

std::string ladderLevelName(int level) {
  if (level <= 1) return "copy";
  return std::to_string(level - 1) + (level == 2 ? " hop" : " hops");
}

TaskKind parseTask(const std::string& name) {
  if (name == "copy") return TaskKind::Copy;
  if (name == "recall") return TaskKind::Recall;
  if (name == "ladder") return TaskKind::Ladder;
  if (name == "multitask") return TaskKind::Multitask;
  throw InputError("unknown task '" + name + "' (expected copy, recall, ladder or multitask; or --data FILE.npy)");
}

const char* taskName(TaskKind kind) {
  switch (kind) {
    case TaskKind::Copy:
      return "copy";
    case TaskKind::Recall:
      return "recall";
    case TaskKind::Ladder:
      return "ladder";
    case TaskKind::Multitask:
      return "multitask";
  }
  return "copy";
}

int taskVocabulary(const TaskOptions& o) {
  switch (o.kind) {
    case TaskKind::Copy:
      return o.symbols;
    case TaskKind::Recall:
      return 2 * o.symbols + 1;
    case TaskKind::Ladder:
      return o.symbols + 1 + o.symbols * o.symbols;
    case TaskKind::Multitask:
      return o.symbols + 1 + kMultitaskRules;
  }
  return o.symbols;
}

int taskMinimumLength(const TaskOptions& o) {
  switch (o.kind) {
    case TaskKind::Copy:
      return 3;
    case TaskKind::Recall:
      return 2 * o.pairs + 2;  // pairs, separator, one query and its answer, minus the shift
    case TaskKind::Ladder:
      return o.level == 1 ? 3 : o.symbols + 2;
    case TaskKind::Multitask:
      return 2 * o.symbols + 3;
  }
  return 3;
}

void validateTask(const TaskOptions& o, int length) {
  if (o.symbols < 2 || o.symbols > 4096) throw InputError("--symbols must be in [2, 4096]");
  if (o.kind == TaskKind::Recall && (o.pairs < 1 || o.pairs > o.symbols)) {
    throw InputError("--pairs must be in [1, --symbols]");
  }
  if (o.kind == TaskKind::Ladder && (o.level < 1 || o.level > 16)) throw InputError("--level must be in [1, 16]");
  // Levels >= 2 give every (a, b) pair its own token: S + 1 + S^2 ids.
  if (o.kind == TaskKind::Ladder && o.level >= 2 && o.symbols > 64)
    throw InputError("ladder levels >= 2 need --symbols of at most 64 (pair tokens: S + 1 + S^2 ids)");
  if (length < taskMinimumLength(o)) {
    throw InputError(std::string("task ") + taskName(o.kind) + " needs --context of at least " +
                     std::to_string(taskMinimumLength(o)) + " with these options (got " + std::to_string(length) + ")");
  }
}

void generateTaskSequence(const TaskOptions& o, int length, uint64_t seed, std::vector<int>& tokens,
                          std::vector<char>& determined) {
  tokens.clear();
  determined.clear();
  std::mt19937_64 engine(seed);
  const int total = length + 1;
  switch (o.kind) {
    case TaskKind::Copy:
      copySequence(o.symbols, total, engine, tokens, determined);
      return;
    case TaskKind::Recall:
      recallSequence(o.symbols, o.pairs, total, engine, tokens, determined);
      return;
    case TaskKind::Ladder:
      // Level 1 is the positional rung (copy: attend a fixed distance back); level L >= 2 chains L - 1 lookups.
      if (o.level == 1) {
        copySequence(o.symbols, total, engine, tokens, determined);
      } else {
        pairTokenHopSequence(o.symbols, o.level - 1, total, engine, tokens, determined);
      }
      return;
    case TaskKind::Multitask: {
      const int rule = static_cast<int>(engine() % kMultitaskRules);
      tokens.push_back(o.symbols + 1 + rule);
      determined.push_back(0);
      if (rule == 0) {
        copySequence(o.symbols, total - 1, engine, tokens, determined);
      } else {
        hopSequence(o.symbols, rule, total - 1, engine, tokens, determined);
      }
      return;
    }
  }
}

TokenBatch taskBatch(const TaskOptions& o, int batch, int length, uint64_t seed, int64_t step) {
  TokenBatch result;
  result.batch = batch;
  result.length = length;
  std::vector<int> tokens;
  std::vector<char> determined;
  for (int b = 0; b < batch; ++b) {
    generateTaskSequence(o, length, mix(mix(seed) ^ mix(static_cast<uint64_t>(step) * 1000003ull + b)), tokens,
                         determined);
    for (int t = 0; t < length; ++t) {
      result.inputs.push_back(tokens[t]);
      result.targets.push_back(tokens[t + 1]);
      result.weights.push_back(determined[t + 1] ? 1.0f : 0.0f);
    }
  }
  return result;
}

TokenData readTokenData(const std::filesystem::path& path, int vocab) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path))
    throw FileError(name + ": cannot open (expected an integer .npy file)");
  const uintmax_t fileSize = std::filesystem::file_size(path);
  char magic[8] = {};
  if (fileSize < 10 || !in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    throw FileError(name + ": not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(magic[6]);
  if (major < 1 || major > 3) throw FileError(name + ": unsupported .npy version " + std::to_string(major));
  unsigned char lengthBytes[4] = {};
  const int lengthSize = major == 1 ? 2 : 4;
  if (!in.read(reinterpret_cast<char*>(lengthBytes), lengthSize)) throw FileError(name + ": truncated .npy header");
  uint64_t headerLength = lengthBytes[0] | (lengthBytes[1] << 8);
  if (lengthSize == 4)
    headerLength |= (static_cast<uint64_t>(lengthBytes[2]) << 16) | (static_cast<uint64_t>(lengthBytes[3]) << 24);
  const uint64_t dataOffset = 8 + lengthSize + headerLength;
  if (dataOffset > fileSize || headerLength > 65536 * 16) throw FileError(name + ": truncated .npy header");
  std::string header(headerLength, '\0');
  in.read(header.data(), static_cast<std::streamsize>(headerLength));
  std::smatch match;
  if (!std::regex_search(header, match, std::regex("'descr'\\s*:\\s*'([<>|=])([iu])([1248])'"))) {
    std::smatch any;
    const std::string found =
        std::regex_search(header, any, std::regex("'descr'\\s*:\\s*'([^']*)'")) ? any[1].str() : "?";
    throw FileError(name + ": dtype '" + found +
                    "' is not an integer type (token ids must be int8..int64 or uint8..uint64)");
  }
  const bool bigEndian = match[1].str() == ">";
  const bool isSigned = match[2].str() == "i";
  const int itemSize = std::stoi(match[3].str());
  if (std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True"))) {
    throw FileError(name + ": fortran_order True is not supported (save with C order)");
  }
  std::smatch shapeMatch;
  if (!std::regex_search(header, shapeMatch, std::regex("'shape'\\s*:\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,?\\s*\\)"))) {
    throw FileError(name + ": token ids must be a 2-D array (sequences x (T + 1))");
  }
  const double rows = std::stod(shapeMatch[1].str()), columns = std::stod(shapeMatch[2].str());
  if (rows < 1 || columns < 2) throw FileError(name + ": needs at least 1 row and 2 columns (inputs and a target)");
  if (rows > 2e9 || columns > 2e9) throw FileError(name + ": shape is absurdly large");
  const double bytes = rows * columns * itemSize;
  if (static_cast<double>(fileSize - dataOffset) != bytes) {
    throw FileError(name + ": holds " + std::to_string(fileSize - dataOffset) + " data bytes but its shape needs " +
                    std::to_string(static_cast<uint64_t>(bytes)));
  }
  requireWithinBudget(bytes + rows * columns * sizeof(int), name);
  std::vector<unsigned char> raw(static_cast<size_t>(bytes));
  in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(bytes));
  TokenData data;
  data.rows = static_cast<int>(rows);
  data.columns = static_cast<int>(columns);
  data.ids.resize(static_cast<size_t>(rows * columns));
  for (size_t i = 0; i < data.ids.size(); ++i) {
    uint64_t u = 0;
    for (int k = 0; k < itemSize; ++k) {
      const int byteIndex = bigEndian ? itemSize - 1 - k : k;
      u |= static_cast<uint64_t>(raw[i * itemSize + byteIndex]) << (8 * k);
    }
    int64_t value = static_cast<int64_t>(u);
    if (isSigned && itemSize < 8 && (u >> (8 * itemSize - 1)) & 1)
      value = static_cast<int64_t>(u | (~0ull << (8 * itemSize)));
    const int64_t limit = vocab > 0 ? vocab : (int64_t{1} << 24);
    if (value < 0 || value >= limit || (!isSigned && itemSize == 8 && u >= (1ull << 63))) {
      throw FileError(name + ": token id " + std::to_string(value) + " at row " + std::to_string(i / data.columns) +
                      ", column " + std::to_string(i % data.columns) +
                      (vocab > 0 ? " is outside the vocabulary [0, " + std::to_string(vocab) + ")"
                                 : " is negative or larger than 2^24"));
    }
    data.ids[i] = static_cast<int>(value);
    data.largestId = std::max(data.largestId, data.ids[i]);
  }
  return data;
}

TokenBatch dataBatch(const TokenData& data, int batch, int64_t step) {
  TokenBatch result;
  result.batch = batch;
  result.length = data.columns - 1;
  for (int b = 0; b < batch; ++b) {
    const int64_t row = (step * batch + b) % data.rows;
    const int* ids = data.ids.data() + row * data.columns;
    result.inputs.insert(result.inputs.end(), ids, ids + result.length);
    result.targets.insert(result.targets.end(), ids + 1, ids + data.columns);
  }
  result.weights.assign(result.inputs.size(), 1.0f);
  return result;
}

}  // namespace attnscope::train
