// Real models inside the app: loads a model, tokenises, runs it with capture and computes every head's statistics on
// a worker thread (progress + cancel), and turns a captured head into the scene's queries and keys. No ImGui here, so
// tests drive it directly; the model explorer view (app/views/model_explorer_view.cpp) is its UI.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/gui/app_state.h"
#include "core/divergence.h"
#include "core/job_runner.h"
#include "core/model/head_metrics.h"
#include "core/model/model.h"

namespace attnscope::gui {

/// The per-head statistics the head grid can show. Divergences are core/divergence.h's metrics with default options.
enum class HeadStatistic {
  Ct,
  Chamfer,
  Mmd,
  MmdUnbiased,
  Sinkhorn,
  GaussKl,
  GaussW2,
  Entropy,               ///< mean over query rows of the entropy (nats) of the model's attention row
  ParallelFraction,      ///< fraction of causal (query, key) pairs within the band of 0 degrees
  OrthogonalFraction,    ///< ... of 90 degrees
  AntiparallelFraction,  ///< ... of 180 degrees
  Rank,                  ///< numerical rank of the model's tokens x tokens attention matrix
  // What researchers look for in heads (core/model/head_metrics.h, the same numbers as `attnscope model heads`).
  SinkShare,      ///< mean attention to the first token (Gu et al.)
  PreviousToken,  ///< mean attention to the previous token
  Induction,      ///< on BOS + r + r (r: 32 distinct seeded ids), mean attention to the token after r's earlier copy
  MeanDistance,   ///< mean attention distance, in tokens
  QueryNorm,      ///< mean L2 norm of the head's queries
  KeyNorm,        ///< mean L2 norm of the head's keys
};
constexpr int kHeadStatisticCount = 18;

const char* headStatisticName(HeadStatistic statistic);
/// One sentence for the tooltip: what the number means.
const char* headStatisticDescription(HeadStatistic statistic);
/// The divergence metric behind a statistic, if it is one.
std::optional<Metric> headStatisticMetric(HeadStatistic statistic);

/// Band (degrees) used for the parallel/orthogonal/antiparallel fractions of the grid (PairClassOptions default).
constexpr float kHeadGridBandDegrees = 15.0f;
/// Each attention-map thumbnail is block-averaged down to at most this many cells per side.
constexpr int kThumbnailCells = 48;

/// Every head's statistics and thumbnails, computed once per capture.
struct HeadStatistics {
  int layers = 0, heads = 0;
  /// kHeadStatisticCount matrices of layers x heads. A value that could not be computed (e.g. unbiased MMD of one
  /// token) is NaN in memory and flagged in `valid`; views show "n/a" and never colour-map it.
  std::vector<RowMatrix> values;
  std::vector<Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> valid;
  /// Attention-map thumbnails tiled into one matrix: cell (layer, head) occupies rows layer * (t + 1) .. + t - 1 and
  /// columns head * (t + 1) .. + t - 1 (t = thumbnailSize), one spacer row/column between cells. Each thumbnail is
  /// scaled to its own maximum, so every head's pattern is visible whatever its sharpness.
  RowMatrix thumbnailAtlas;
  int thumbnailSize = 0;

  double value(HeadStatistic s, int layer, int head) const { return values[int(s)](layer, head); }
  bool isValid(HeadStatistic s, int layer, int head) const { return valid[int(s)](layer, head); }
};

/// Computes every statistic for every head of `capture` (the work the worker thread does after a run). `table` is
/// model::headMetrics of the same capture with default options (the table `attnscope model heads` prints): the
/// statistics it holds (sink share, previous-token, induction, distance, entropy, q/k norms, the CT divergence) are
/// taken from it, not computed again; the other divergences, pair classes, rank and thumbnails are computed here.
/// `progress` gets fractions in [0, 1]; returning false cancels (throws Error("cancelled")). Throws Error when the
/// table's layers x heads differ from the capture's.
HeadStatistics computeHeadStatistics(const model::ModelCapture& capture, const model::HeadMetricsTable& table,
                                     const model::ProgressCallback& progress = {});

/// Every head as (layer, head), ordered by statistic `s`, largest first; heads where it is undefined come last; ties
/// keep layer/head order (as `attnscope model heads --sort`). The explorer's ranked list.
std::vector<std::pair<int, int>> rankedHeads(const HeadStatistics& stats, HeadStatistic s);

/// The induction sequence the explorer runs after each prompt: inductionPrefix of the prompt, then
/// kInductionPeriod distinct ids (seed 1) twice, shortened to what the model's vocabulary and context allow (as
/// `attnscope model heads` does with its defaults, so both show the same scores). Empty when nothing fits.
constexpr int kInductionPeriod = 32;

/// Block-average of an R x C matrix down to at most `cells` x `cells` (returns it unchanged when it already fits),
/// then divided by its maximum (a zero matrix stays zero).
RowMatrix thumbnail(const MatrixView& values, int cells);

/// What to run: a model path, an optional tokenizer, and either token ids or a prompt to encode.
struct ModelRequest {
  std::string path;
  std::string tokenizerPath;
  std::string prompt;
  std::vector<int> tokenIds;  ///< when non-empty these are run and `prompt` is only remembered
  /// Where the result goes: true = the user asked (the result becomes the scene, an undoable step); false = the
  /// scene asked (opened scene file, undo) and the result only fills the session.
  bool fromUser = true;
};

/// A finished run: the model, its tokenizer, the capture and the statistics.
struct ModelResult {
  std::uint64_t generation = 0;
  ModelRequest request;  ///< as asked, with tokenIds filled in
  std::shared_ptr<model::Model> model;
  std::shared_ptr<const model::Tokenizer> tokenizer;  ///< null for models without one (enter token ids)
  std::string tokenizerPath;                          ///< where it came from ("" if none)
  model::ModelInfo info;
  model::ModelCapture capture;
  HeadStatistics statistics;
  /// The core's per-head table with `attnscope model heads`' defaults (induction period 32 shortened to fit, seed 1,
  /// sink threshold 0.3, CT divergence): what the CSV export writes, so it equals `model heads --csv`.
  model::HeadMetricsTable headTable;
  double runSeconds = 0, statisticsSeconds = 0;
};

/// Writes result.headTable as `attnscope model heads --csv` does (model::writeHeadMetricsCsv), atomically. Throws
/// FileError when the path cannot be written.
void writeHeadsCsv(const ModelResult& result, const std::string& path);

/// Loads and runs models off the UI thread, on a JobRunner lane of its own. One job at a time; a new request while
/// busy is refused (the UI disables its buttons). Results and errors are collected by poll() on the UI thread.
class ModelSession {
 public:
  ModelSession() = default;
  ~ModelSession();
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  /// Starts a job on a worker thread. Returns false if one is already running.
  bool start(ModelRequest request);
  /// Runs the job on the calling thread (headless export, tests); throws what the job throws.
  void runNow(ModelRequest request);
  /// Asks the running job to stop at its next progress report.
  void cancel() { cancelRequested_ = true; }
  bool busy() const { return runner_.busy(); }
  /// Fraction done of the running job, and what it is doing ("loading", "running", "statistics").
  float progress() const { return progress_; }
  std::string stage() const;

  /// Collects a finished job (UI thread). Returns true if a new result arrived; an error lands in takeError().
  bool poll();
  std::string takeError();

  /// The latest successful result (null before the first). Kept when a later job fails or is cancelled.
  const ModelResult* result() const { return result_.get(); }
  std::shared_ptr<const ModelResult> sharedResult() const { return result_; }
  /// Generation of the last result already applied to the scene (the view's bookkeeping).
  std::uint64_t appliedGeneration = 0;
  /// Key (path + tokenizer + ids) of the last request that failed, so a scene naming a broken model is not retried
  /// every frame.
  std::string failedKey;

  /// Recently opened model paths, newest first (persisted by the view in the config folder).
  std::vector<std::string> recentPaths;
  void rememberPath(const std::string& path);

 private:
  std::unique_ptr<ModelResult> execute(const ModelRequest& request);

  std::atomic<bool> cancelRequested_{false};
  std::atomic<float> progress_{0.0f};
  mutable std::mutex mutex_;
  std::string stage_;
  std::unique_ptr<ModelResult> finished_;  // guarded by mutex_
  std::string error_;                      // guarded by mutex_
  std::string pendingError_;               // UI thread
  std::shared_ptr<const ModelResult> result_;
  std::uint64_t nextGeneration_ = 1;
  // The last opened model is reused when only the prompt changes (opening a big model is the slow part).
  std::shared_ptr<model::Model> cachedModel_;
  std::shared_ptr<const model::Tokenizer> cachedTokenizer_;
  std::string cachedPath_, cachedTokenizerRequest_, cachedTokenizerPath_;
  JobRunner runner_;  // last: its job uses every member above
};

/// "path|tokenizer|ids": equal keys mean the same capture.
std::string requestKey(const std::string& path, const std::string& tokenizerPath, const std::vector<int>& tokenIds);

/// Q and K of one head as the capture holds them (after RoPE unless preRope). Throws InputError for a bad index.
const RowMatrix& headQueries(const model::ModelCapture& capture, int layer, int head, bool preRope);
const RowMatrix& headKeys(const model::ModelCapture& capture, int layer, int head, bool preRope);

/// `base` with its vectors replaced by head (layer, head) of `result`: queries and keys are the head's Q and K (one
/// per token, labelled "i:piece"), the causal mask follows the model, MGK parameters are reset to defaults for the
/// new keys, the selected query is `queryRow` (clamped), and `model` records path, prompt, ids, layer and head.
Scene sceneForHead(const Scene& base, const ModelResult& result, int layer, int head, int queryRow, bool preRope);

/// True when the scene's Q/K are exactly head (layer, head) of the capture (a reopened scene needs no new step).
bool sceneMatchesHead(const Scene& scene, const model::ModelCapture& capture);

/// Token ids typed by the user: integers separated by spaces or commas. Throws InputError naming the bad entry.
std::vector<int> parseTokenIds(const std::string& text);

/// The example model stories260K.bin, or "" when not found. Looked for in $ATTNSCOPE_MODELS_DIR, then in the
/// repository's assets/models (resolveBundledPath), then ../shared/models relative to the working directory, then in
/// the models folder CMake found at configure time.
std::string findExampleModel();

/// A relative path that does not exist from the working directory but does from the repository root (found from
/// the working directory's parent or the executable's checkout), made absolute; any other path unchanged. Demo 6
/// names its model as assets/models/stories260K.bin, which this finds wherever the app was started.
std::string resolveBundledPath(const std::string& path);

/// True for what the model session opens: any folder (a Hugging Face model needs config.json; the loader says so),
/// and .bin / .safetensors / .gguf / .pt / .pth files.
bool isModelPath(const std::filesystem::path& path);

/// Opens model paths dropped on the window (a directory with config.json, or a .bin/.safetensors file) in the
/// session; returns false for anything else (the window then treats it as a scene file).
bool openDroppedModel(AppContext& context, const std::string& path);

/// Recent model paths persisted as models.json in the config folder (never throws).
std::vector<std::string> loadRecentModels();
void saveRecentModels(const std::vector<std::string>& paths);

}  // namespace attnscope::gui
