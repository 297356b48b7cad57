// The model session: worker-thread loading/running with progress and cancel, per-head statistics, and the bridge from
// a captured head to the Scene (so every geometry view shows that head's Q/K).
#include "app/gui/model_session.h"
#include "app/gui/workspaces.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/gui/long_map.h"
#include "app/gui/preferences.h"
#include "app/gui/scene_io.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/geometry.h"
#include "core/model/gguf_model.h"
#include "core/model/head_metrics.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/llama2c.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/model/spm_tokenizer.h"

namespace attnscope::gui {
namespace {

constexpr std::size_t kMaxRecentModels = 10;

struct StatisticInfo {
  HeadStatistic statistic;
  const char* name;
  const char* description;
};

constexpr StatisticInfo kStatistics[kHeadStatisticCount] = {
    {HeadStatistic::Ct, "CT divergence",
     "Conditional transport between the head's key and query clouds (rho 0.5, tau 1, Euclidean cost on unit "
     "vectors): low when every key direction has a nearby query direction and vice versa."},
    {HeadStatistic::Chamfer, "Chamfer", "Nearest-direction distance between keys and queries (CT's tau -> 0 limit)."},
    {HeadStatistic::Mmd, "MMD^2",
     "Maximum mean discrepancy (RBF kernel, median bandwidth), biased: 0 for equal clouds."},
    {HeadStatistic::MmdUnbiased, "MMD^2 unbiased", "Unbiased MMD^2 estimator; can be negative; needs >= 2 tokens."},
    {HeadStatistic::Sinkhorn, "Sinkhorn", "Sinkhorn divergence (squared Euclidean cost, eps 0.1) of the raw vectors."},
    {HeadStatistic::GaussKl, "Gaussian KL", "Symmetrised KL between Gaussians fitted to the queries and the keys."},
    {HeadStatistic::GaussW2, "Gaussian W2^2", "Squared 2-Wasserstein (Frechet) distance between the fitted Gaussians."},
    {HeadStatistic::Entropy, "Attention entropy",
     "Mean entropy (nats) of the model's attention rows: 0 = every query attends one key, log(i+1) = uniform."},
    {HeadStatistic::ParallelFraction, "Parallel fraction",
     "Fraction of causal (query, key) pairs within 15 degrees of parallel."},
    {HeadStatistic::OrthogonalFraction, "Orthogonal fraction",
     "Fraction of causal (query, key) pairs within 15 degrees of orthogonal."},
    {HeadStatistic::AntiparallelFraction, "Antiparallel fraction",
     "Fraction of causal (query, key) pairs within 15 degrees of antiparallel."},
    {HeadStatistic::Rank, "Attention rank", "Numerical rank of the model's tokens x tokens attention matrix."},
    {HeadStatistic::SinkShare, "Attention sink",
     "Mean attention every query pays to the first token (Gu et al., ICLR 2025); above 0.3 the head counts as a sink "
     "head. Short prompts inflate it. Same as `attnscope model heads` (sink)."},
    {HeadStatistic::PreviousToken, "Previous-token score",
     "Mean attention from each token to the token just before it (1 = a pure previous-token head)."},
    {HeadStatistic::Induction, "Induction score",
     "On a random sequence of 32 tokens repeated twice (after the BOS), the mean attention from each token of the "
     "second copy to the token that followed its earlier occurrence (1 = a pure induction head). Same as `attnscope "
     "model heads` (induction)."},
    {HeadStatistic::MeanDistance, "Attention distance",
     "How far back a head looks: sum_j a_ij |i - j| averaged over the queries, in tokens."},
    {HeadStatistic::QueryNorm, "Query norm",
     "Mean L2 norm of the head's query vectors (after RoPE, which keeps norms)."},
    {HeadStatistic::KeyNorm, "Key norm", "Mean L2 norm of the head's key vectors (after RoPE, which keeps norms)."},
};

std::string recentModelsFile() {
  const std::string folder = configDirectory();
  return folder.empty() ? std::string() : folder + "/models.json";
}

}  // namespace

const char* headStatisticName(HeadStatistic statistic) {
  return kStatistics[int(statistic)].name;
}
const char* headStatisticDescription(HeadStatistic statistic) {
  return kStatistics[int(statistic)].description;
}

std::optional<Metric> headStatisticMetric(HeadStatistic statistic) {
  switch (statistic) {
    case HeadStatistic::Ct:
      return Metric::Ct;
    case HeadStatistic::Chamfer:
      return Metric::Chamfer;
    case HeadStatistic::Mmd:
      return Metric::Mmd;
    case HeadStatistic::MmdUnbiased:
      return Metric::MmdUnbiased;
    case HeadStatistic::Sinkhorn:
      return Metric::Sinkhorn;
    case HeadStatistic::GaussKl:
      return Metric::GaussKl;
    case HeadStatistic::GaussW2:
      return Metric::GaussW2;
    default:
      return std::nullopt;
  }
}

RowMatrix thumbnail(const MatrixView& values, int cells) {
  const Eigen::Index rows = values.rows(), cols = values.cols();
  const Eigen::Index outRows = std::min<Eigen::Index>(rows, cells), outCols = std::min<Eigen::Index>(cols, cells);
  RowMatrix out = RowMatrix::Zero(outRows, outCols);
  Eigen::MatrixXi counts = Eigen::MatrixXi::Zero(outRows, outCols);
  // Source row r lands in output row r * outRows / rows: blocks differ in size by at most one row.
  for (Eigen::Index r = 0; r < rows; ++r) {
    const Eigen::Index orow = r * outRows / rows;
    for (Eigen::Index c = 0; c < cols; ++c) {
      const Eigen::Index ocol = c * outCols / cols;
      out(orow, ocol) += values(r, c);
      counts(orow, ocol) += 1;
    }
  }
  for (Eigen::Index r = 0; r < outRows; ++r)
    for (Eigen::Index c = 0; c < outCols; ++c)
      if (counts(r, c) > 0) out(r, c) /= static_cast<float>(counts(r, c));
  const float peak = out.size() > 0 ? out.maxCoeff() : 0.0f;
  if (peak > 0.0f) out /= peak;
  return out;
}

HeadStatistics computeHeadStatistics(const model::ModelCapture& capture, const model::HeadMetricsTable& table,
                                     const model::ProgressCallback& progress) {
  HeadStatistics stats;
  stats.layers = capture.layers;
  stats.heads = capture.heads;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  stats.values.assign(kHeadStatisticCount, RowMatrix::Constant(capture.layers, capture.heads, float(nan)));
  stats.valid.assign(kHeadStatisticCount,
                     decltype(stats.valid)::value_type::Constant(capture.layers, capture.heads, false));
  const int t = std::min(capture.tokens, kThumbnailCells);
  stats.thumbnailSize = t;
  stats.thumbnailAtlas =
      RowMatrix::Zero(std::max(capture.layers * (t + 1) - 1, 0), std::max(capture.heads * (t + 1) - 1, 0));
  const int total = capture.layers * capture.heads;
  if (capture.tokens == 0 || total == 0) return stats;
  if (table.layers != capture.layers || table.heads != capture.heads || table.rows.size() != size_t(total))
    throw Error("the head table has " + std::to_string(table.layers) + " x " + std::to_string(table.heads) +
                " heads, the capture " + std::to_string(capture.layers) + " x " + std::to_string(capture.heads));

  // The table's divergence and its options are headMetrics' defaults (the grid's options match: values only).
  const std::optional<Metric> tableDivergence = model::HeadMetricsOptions{}.divergence;
  const DivergenceOptions divergenceOptions = model::HeadMetricsOptions{}.divergenceOptions;
  for (int layer = 0; layer < capture.layers; ++layer) {
    for (int head = 0; head < capture.heads; ++head) {
      const int index = capture.headIndex(layer, head);
      const RowMatrix& Q = capture.queries[index];
      const RowMatrix& K = capture.keys[index];
      const RowMatrix& A = capture.attention[index];
      auto set = [&](HeadStatistic s, std::optional<double> value) {
        if (!value || !std::isfinite(*value)) return;
        stats.values[int(s)](layer, head) = static_cast<float>(*value);
        stats.valid[int(s)](layer, head) = true;
      };
      // What `attnscope model heads` measures comes from its table (the same numbers, computed once per run).
      const model::HeadMetricsRow& row = table.rows[size_t(layer) * size_t(table.heads) + size_t(head)];
      set(HeadStatistic::Entropy, row.pattern.entropyNats);
      set(HeadStatistic::SinkShare, row.pattern.sinkShare);
      set(HeadStatistic::PreviousToken, row.pattern.previousToken);
      set(HeadStatistic::Induction, row.induction);
      set(HeadStatistic::MeanDistance, row.pattern.meanDistance);
      set(HeadStatistic::QueryNorm, row.queryNorm);
      set(HeadStatistic::KeyNorm, row.keyNorm);
      for (int s = 0; s < kHeadStatisticCount; ++s) {
        const auto metric = headStatisticMetric(HeadStatistic(s));
        if (!metric) continue;
        if (metric == tableDivergence) {
          set(HeadStatistic(s), row.divergence);
          continue;
        }
        if (*metric == Metric::MmdUnbiased && (Q.rows() < 2 || K.rows() < 2)) continue;  // undefined, shown n/a
        set(HeadStatistic(s), alignmentDivergence(*metric, Q, K, divergenceOptions).value);
      }
      PairClassOptions classOptions;
      classOptions.bandDegrees = kHeadGridBandDegrees;
      classOptions.causal = capture.causal;
      const PairClassification classes = classifyPairs(cosineMatrix(Q, K), classOptions);
      set(HeadStatistic::ParallelFraction, classes.parallelFraction);
      set(HeadStatistic::OrthogonalFraction, classes.orthogonalFraction);
      set(HeadStatistic::AntiparallelFraction, classes.antiparallelFraction);
      set(HeadStatistic::Rank, numericalRank(A).rank);

      stats.thumbnailAtlas.block(layer * (t + 1), head * (t + 1), t, t) = thumbnail(A, kThumbnailCells);
      if (progress && !progress(float(index + 1) / float(total))) throw Error("cancelled");
    }
  }
  return stats;
}

std::vector<std::pair<int, int>> rankedHeads(const HeadStatistics& stats, HeadStatistic s) {
  std::vector<std::pair<int, int>> heads;
  for (int layer = 0; layer < stats.layers; ++layer)
    for (int head = 0; head < stats.heads; ++head) heads.emplace_back(layer, head);
  std::stable_sort(heads.begin(), heads.end(), [&](const auto& a, const auto& b) {
    const bool aValid = stats.isValid(s, a.first, a.second), bValid = stats.isValid(s, b.first, b.second);
    if (aValid != bValid) return aValid;
    return aValid && stats.value(s, a.first, a.second) > stats.value(s, b.first, b.second);
  });
  return heads;
}

// ---------------------------------------------------------------------------------------------------------------

ModelSession::~ModelSession() {
  cancel();
  runner_.waitIdle();  // the job writes members destroyed before runner_
}

std::string ModelSession::stage() const {
  std::lock_guard lock(mutex_);
  return stage_;
}

std::unique_ptr<ModelResult> ModelSession::execute(const ModelRequest& request) {
  auto setStage = [this](const char* stage) {
    std::lock_guard lock(mutex_);
    stage_ = stage;
  };
  auto result = std::make_unique<ModelResult>();
  result->request = request;
  setStage("loading");
  progress_ = 0.0f;
  if (cachedModel_ == nullptr || cachedPath_ != request.path || cachedTokenizerRequest_ != request.tokenizerPath) {
    std::shared_ptr<model::Model> opened = model::openModel(resolveBundledPath(request.path));
    std::shared_ptr<const model::Tokenizer> tokenizer;
    std::string tokenizerPath;
    if (auto* llama = dynamic_cast<model::Llama2cModel*>(opened.get())) {
      if (!request.tokenizerPath.empty())
        llama->setTokenizer(model::openLlama2cTokenizer(request.tokenizerPath, llama->config().vocabSize),
                            request.tokenizerPath);
      tokenizer = llama->sharedTokenizer();
      tokenizerPath = llama->tokenizerPath().string();
    } else if (opened->info().format == "gguf" && request.tokenizerPath.empty()) {
      tokenizer = model::findGgufTokenizer(opened->info().path);  // gpt2 files carry their vocabulary
      if (tokenizer) tokenizerPath = "(embedded in the GGUF file)";
    } else if (opened->info().format != "capture") {
      if (!request.tokenizerPath.empty()) {
        tokenizer = model::openTokenizerFile(request.tokenizerPath);  // tokenizer.json or a GGUF vocabulary
        tokenizerPath = request.tokenizerPath;
      } else {
        tokenizer = model::findHfTokenizer(opened->info().path);
        if (tokenizer) tokenizerPath = "tokenizer.json";
      }
    }
    cachedModel_ = std::move(opened);
    cachedTokenizer_ = std::move(tokenizer);
    cachedPath_ = request.path;
    cachedTokenizerRequest_ = request.tokenizerPath;
    cachedTokenizerPath_ = tokenizerPath;
  }
  result->model = cachedModel_;
  result->tokenizer = cachedTokenizer_;
  result->tokenizerPath = cachedTokenizerPath_;
  result->info = cachedModel_->info();

  // From here on errors do not come from a loader (see the worker's catch in start()).
  setStage("running");
  std::vector<int> ids = request.tokenIds;
  const bool isCapture = result->info.format == "capture";
  if (ids.empty() && !isCapture) {
    if (request.prompt.empty() || !result->tokenizer) {
      // Nothing to run yet (no tokenizer: the user enters token ids); the loaded model is still a result.
      result->generation = nextGeneration_++;
      return result;
    }
    ids = result->tokenizer->encode(request.prompt, true);
  }
  if (cancelRequested_) throw Error("cancelled");
  const auto runStart = std::chrono::steady_clock::now();
  model::RunOptions options;
  options.progress = [this](float fraction) {
    progress_ = 0.7f * fraction;
    return !cancelRequested_.load();
  };
  result->capture = cachedModel_->run(ids, options);
  result->request.tokenIds = result->capture.tokenIds;
  const auto statsStart = std::chrono::steady_clock::now();
  result->runSeconds = std::chrono::duration<double>(statsStart - runStart).count();
  setStage("statistics");
  // The induction score needs a second, short run: a random sequence repeated twice (a capture file cannot run it).
  std::optional<model::ModelCapture> repeated;
  int prefixLength = 0, period = 0;
  if (!isCapture) {
    const std::vector<int> prefix = model::inductionPrefix(result->capture.tokenIds, result->tokenizer.get());
    prefixLength = int(prefix.size());
    period = model::fittingInductionPeriod(result->info, prefixLength, kInductionPeriod);
    if (period > 0) {
      const std::vector<int> repeatedIds =
          model::repeatedRandomTokens(prefix, result->info.vocabSize, period, /*seed=*/1);
      model::RunOptions repeatOptions;
      repeatOptions.progress = [this](float) { return !cancelRequested_.load(); };
      repeated = cachedModel_->run(repeatedIds, repeatOptions);
    }
  }
  if (cancelRequested_) throw Error("cancelled");
  // The table `attnscope model heads` computes with its defaults (the CSV export writes it, so the bytes are equal);
  // the grid takes its statistics from it and computes only the rest.
  result->headTable =
      model::headMetrics(result->capture, repeated ? &*repeated : nullptr, prefixLength, repeated ? period : 0);
  progress_ = 0.8f;
  result->statistics = computeHeadStatistics(result->capture, result->headTable, [this](float fraction) {
    progress_ = 0.8f + 0.2f * fraction;
    return !cancelRequested_.load();
  });
  result->statisticsSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - statsStart).count();
  progress_ = 1.0f;
  result->generation = nextGeneration_++;
  return result;
}

bool ModelSession::start(ModelRequest request) {
  if (runner_.busy()) return false;  // the lane is busy from submit() until the job below has returned
  cancelRequested_ = false;
  progress_ = 0.0f;
  runner_.submit([this, request = std::move(request)](const std::atomic<bool>&) {
    std::unique_ptr<ModelResult> result;
    std::string error;
    try {
      result = execute(request);
    } catch (const std::exception& e) {
      error = e.what();
      // Loaders name the file they refuse (model, config, tokenizer); errors of the later stages (a prompt the
      // tokenizer refuses, the run) get the model's path.
      const bool loading = stage() == "loading";
      if (error != "cancelled" && !loading) error = request.path + ": " + error;
    }
    {
      std::lock_guard lock(mutex_);
      finished_ = std::move(result);
      error_ = std::move(error);
      stage_.clear();
    }
  });
  return true;
}

void ModelSession::runNow(ModelRequest request) {
  if (runner_.busy()) throw InputError("a model job is already running");
  cancelRequested_ = false;
  std::unique_ptr<ModelResult> result = execute(request);
  std::lock_guard lock(mutex_);
  finished_ = std::move(result);
  error_.clear();
  stage_.clear();
}

bool ModelSession::poll() {
  std::unique_ptr<ModelResult> finished;
  {
    std::lock_guard lock(mutex_);
    if (runner_.busy()) return false;  // the job stores its result before the lane goes idle
    finished = std::move(finished_);
    if (!error_.empty()) pendingError_ = std::exchange(error_, {});
  }
  if (!finished) return false;
  rememberPath(finished->request.path);
  result_ = std::move(finished);
  return true;
}

std::string ModelSession::takeError() {
  return std::exchange(pendingError_, {});
}

void ModelSession::rememberPath(const std::string& path) {
  if (path.empty()) return;
  std::erase(recentPaths, path);
  recentPaths.insert(recentPaths.begin(), path);
  if (recentPaths.size() > kMaxRecentModels) recentPaths.resize(kMaxRecentModels);
  saveRecentModels(recentPaths);
}

// ---------------------------------------------------------------------------------------------------------------

std::string requestKey(const std::string& path, const std::string& tokenizerPath, const std::vector<int>& tokenIds) {
  std::string key = path + "|" + tokenizerPath + "|";
  for (int id : tokenIds) key += std::to_string(id) + ",";
  return key;
}

namespace {
int checkedHeadIndex(const model::ModelCapture& capture, int layer, int head) {
  if (layer < 0 || layer >= capture.layers || head < 0 || head >= capture.heads)
    throw InputError("head (layer " + std::to_string(layer) + ", head " + std::to_string(head) +
                     ") is outside the model's " + std::to_string(capture.layers) + " layers x " +
                     std::to_string(capture.heads) + " heads");
  return capture.headIndex(layer, head);
}
}  // namespace

const RowMatrix& headQueries(const model::ModelCapture& capture, int layer, int head, bool preRope) {
  const int index = checkedHeadIndex(capture, layer, head);
  return preRope && capture.rope && !capture.queriesPreRope.empty() ? capture.queriesPreRope[index]
                                                                    : capture.queries[index];
}

const RowMatrix& headKeys(const model::ModelCapture& capture, int layer, int head, bool preRope) {
  const int index = checkedHeadIndex(capture, layer, head);
  return preRope && capture.rope && !capture.keysPreRope.empty() ? capture.keysPreRope[index] : capture.keys[index];
}

Scene sceneForHead(const Scene& base, const ModelResult& result, int layer, int head, int queryRow, bool preRope) {
  const model::ModelCapture& capture = result.capture;
  if (capture.tokens == 0) throw InputError("the model has not been run yet: enter a prompt or token ids");
  if (capture.headDim < kMinDimension)
    throw InputError("head dimension " + std::to_string(capture.headDim) + " is below the app's minimum of 2");
  Scene scene = base;
  scene.queries = headQueries(capture, layer, head, preRope);
  scene.keys = headKeys(capture, layer, head, preRope);
  scene.queryLabels.resize(capture.tokens);
  scene.keyLabels.resize(capture.tokens);
  for (int i = 0; i < capture.tokens; ++i) {
    const std::string piece = i < int(capture.tokenTexts.size()) ? capture.tokenTexts[i] : std::string();
    scene.queryLabels[i] = std::to_string(i) + ":" + piece;
    scene.keyLabels[i] = std::to_string(i) + ":" + piece;
  }
  // Per-key MGK parameters of the previous vectors mean nothing for a new head: start from the defaults.
  scene.kernel.mgkShifts.resize(0, 0);
  scene.kernel.mgkOffsets.resize(0, 0);
  scene.kernel.mgkPriors.resize(0, 0);
  scene.kernel.mgkVariances.resize(0, 0);
  scene.kernel.causal = capture.causal;
  // The model's own scores use 1/sqrt(head_dim): the what-if kernels start from the same scale.
  scene.kernel.useScaleOverride = false;
  scene.selectedQuery = queryRow;
  scene.selectedKey = queryRow;
  scene.fitPlaneExtent();  // real heads are not unit-sized
  scene.model.path = result.request.path;
  scene.model.tokenizerPath = result.request.tokenizerPath;
  scene.model.prompt = result.request.prompt;
  scene.model.tokenIds = capture.tokenIds;
  scene.model.layer = layer;
  scene.model.head = head;
  scene.model.preRope = preRope && capture.rope;
  scene.normalise();
  // Default MGK variances are sized for unit vectors. For a model head, component 1 gets sigma^2 = sqrt(d): then
  // -|q - k|^2 / (2 sigma^2) has the cross term q.k / sqrt(d), DPA's own logit, so the what-if MGK map is comparable
  // with the model's attention; further components keep their default ratio to the first.
  const float firstVariance = scene.kernel.mgkVariances.size() > 0 ? scene.kernel.mgkVariances(0, 0) : 0.0f;
  if (firstVariance > 0.0f)
    scene.kernel.mgkVariances *= std::sqrt(static_cast<float>(scene.dimension())) / firstVariance;
  return scene;
}

bool sceneMatchesHead(const Scene& scene, const model::ModelCapture& capture) {
  const ModelSource& m = scene.model;
  if (!m.active() || m.layer >= capture.layers || m.head >= capture.heads || capture.tokens == 0) return false;
  const RowMatrix& Q = headQueries(capture, m.layer, m.head, m.preRope);
  const RowMatrix& K = headKeys(capture, m.layer, m.head, m.preRope);
  return scene.queries.rows() == Q.rows() && scene.queries.cols() == Q.cols() && scene.keys.rows() == K.rows() &&
         scene.keys.cols() == K.cols() && scene.queries == Q && scene.keys == K;
}

std::vector<int> parseTokenIds(const std::string& text) {
  std::vector<int> ids;
  std::string entry;
  std::string normalised = text;
  std::replace(normalised.begin(), normalised.end(), ',', ' ');
  std::istringstream words(normalised);
  while (words >> entry) {
    char* end = nullptr;
    const long value = std::strtol(entry.c_str(), &end, 10);
    if (end == entry.c_str() || *end != '\0' || value < 0 || value > std::numeric_limits<int>::max())
      throw InputError("token ids: \"" + entry + "\" is not a non-negative integer");
    ids.push_back(static_cast<int>(value));
  }
  return ids;
}

std::string resolveBundledPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path given(path);
  if (path.empty() || given.is_absolute() || fs::exists(given, error)) return path;
  // Shipped files are named relative to the repository root (assets/models/...): look from the working
  // directory's parent and from the executable's checkout (build/app/attnscope or build/attnscope).
  std::vector<fs::path> roots = {".."};
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error)
    for (const char* up : {"../..", "..", "../../.."}) roots.push_back(exe.parent_path() / up);
  for (const fs::path& root : roots)
    if (fs::exists(root / given, error)) return fs::weakly_canonical(root / given, error).string();
  return path;
}

std::string findExampleModel() {
  std::vector<std::filesystem::path> candidates;
  if (const char* folder = std::getenv("ATTNSCOPE_MODELS_DIR"); folder && *folder)
    candidates.push_back(std::filesystem::path(folder) / "stories260K.bin");
  // The copy shipped in the repository (assets/models, with its license and provenance): a clone alone suffices.
  candidates.push_back(resolveBundledPath("assets/models/stories260K.bin"));
  candidates.insert(candidates.end(), {"../shared/models/stories260K.bin", "../../shared/models/stories260K.bin"});
#ifdef ATTNSCOPE_MODELS_DIR
  // The folder CMake found when this binary was configured.
  candidates.push_back(std::filesystem::path(ATTNSCOPE_MODELS_DIR) / "stories260K.bin");
#endif
  for (const auto& candidate : candidates) {
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error))
      return std::filesystem::weakly_canonical(candidate, error).string();
  }
  return {};
}

bool isModelPath(const std::filesystem::path& path) {
  std::error_code error;
  // Any folder: a scene is never a folder, and the model loader says what a model folder needs (config.json).
  if (std::filesystem::is_directory(path, error)) return true;
  const std::string ext = path.extension().string();
  return ext == ".bin" || ext == ".safetensors" || ext == ".gguf" || ext == ".pt" || ext == ".pth";
}

bool openDroppedModel(AppContext& context, const std::string& path) {
  if (!isModelPath(path)) return false;
  // A long capture never becomes a dense scene (N x N per head in the explorer and the views): the long map view
  // computes what it shows from the head's q and k.
  bool refused = false;
  try {
    if (openLongCapture(context, path)) return true;
  } catch (const std::exception& e) {
    context.reportError(e.what());  // and the explorer opens, as for any model that fails to load
    refused = true;
  }
  if (!refused) {
    ModelSession& session = context.modelSession();
    ModelRequest request;
    request.path = path;
    request.prompt =
        context.scene().model.prompt.empty() ? std::string("Once upon a time") : context.scene().model.prompt;
    if (!session.start(std::move(request)))
      context.reportError("a model is still loading; open " + path + " again when it has finished");
  }
  Scene next = context.scene();
  if (!next.isViewOpen(ViewKind::Model)) {
    // The Model workspace: the explorer along the bottom, the head's vectors and maps above it.
    switchWorkspace(next, workspaceInfo(WorkspaceKind::Model));
    context.submit(std::move(next), "Open view model");
  }
  return true;
}

std::vector<std::string> loadRecentModels() {
  std::vector<std::string> paths;
  const std::string file = recentModelsFile();
  if (file.empty()) return paths;
  try {
    std::ifstream in(file);
    if (!in) return paths;
    const nlohmann::json root = nlohmann::json::parse(in);
    for (const auto& entry : root.at("recentModels"))
      if (entry.is_string()) paths.push_back(entry.get<std::string>());
  } catch (const std::exception&) {
    // Unreadable recent list: start empty rather than bother the user.
  }
  if (paths.size() > kMaxRecentModels) paths.resize(kMaxRecentModels);
  return paths;
}

void saveRecentModels(const std::vector<std::string>& paths) {
  const std::string file = recentModelsFile();
  if (file.empty() || std::getenv("ATTNSCOPE_NO_PERSIST") != nullptr) return;
  try {
    std::error_code error;
    std::filesystem::create_directories(configDirectory(), error);
    writeFileAtomically(file, nlohmann::json{{"recentModels", paths}}.dump(2) + "\n");
  } catch (const std::exception&) {
    // Not being able to remember recent files must never break opening one.
  }
}

void writeHeadsCsv(const ModelResult& result, const std::string& path) {
  writeFileAtomically(path, [&](std::ostream& out) { model::writeHeadMetricsCsv(out, result.headTable); });
}

}  // namespace attnscope::gui
