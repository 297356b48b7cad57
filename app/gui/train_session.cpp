// The Train workspace's runs (train_session.h). Each run's thread owns its model; the UI thread only sends commands
// (flags under the run's mutex, a condition variable to wake a waiting worker) and copies results out under the same
// mutex. The worker honours commands between optimiser steps, inside trainModel's per-step callback.
#include "app/gui/train_session.h"

#include <omp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/divergence.h"
#include "core/error.h"
#include "core/job_runner.h"
#include "core/memory_budget.h"
#include "core/train/checkpoint.h"

namespace attnscope::gui {

train::ModelConfig trainRunConfig(const TrainSetup& setup, int run) {
  if (run < 0 || run >= static_cast<int>(setup.runs.size())) throw InputError("train: no run " + std::to_string(run));
  train::ModelConfig config;
  config.layers = setup.layers;
  config.heads = setup.heads;
  config.dim = setup.dim;
  config.context = setup.context;
  config.vocab = train::taskVocabulary(setup.task);
  const TrainRunOptions& options = setup.runs[static_cast<size_t>(run)];
  config.kernel = options.kernel;
  config.alignment.kind = options.alignment;
  config.alignment.weight = options.alignment == train::AlignmentKind::None ? 0.0 : options.alignmentWeight;
  config.validate();
  return config;
}

namespace {

/// Floats of one snapshot: per head the probe's Q and K (T x d_head each) and weights (T x T).
double snapshotBytes(const TrainSetup& setup) {
  const double T = setup.context, hd = setup.heads > 0 ? double(setup.dim) / setup.heads : 0.0;
  return 4.0 * setup.layers * setup.heads * (2.0 * T * hd + T * T);
}

void validateSetup(const TrainSetup& setup) {
  const int runs = static_cast<int>(setup.runs.size());
  if (runs < 1 || runs > kMaxTrainRuns) {
    throw InputError("train: " + std::to_string(runs) + " runs; the workspace compares 1 to " +
                     std::to_string(kMaxTrainRuns));
  }
  if (setup.batch < 1) throw InputError("train: the batch must be at least 1 sequence");
  if (setup.steps < 1) throw InputError("train: the step limit must be at least 1");
  if (setup.snapshotEvery < 1) throw InputError("train: snapshots must be at least 1 step apart");
  if (setup.keptWeights < 2 || setup.keptWeights > 100000) {
    throw InputError("train: the snapshots with kept weights must number 2 to 100000 (" +
                     std::to_string(setup.keptWeights) + ")");
  }
  if (!(setup.optimizer.learningRate > 0.0) || !std::isfinite(setup.optimizer.learningRate)) {
    throw InputError("train: the learning rate must be finite and > 0");
  }
  if (!(setup.bandDegrees >= 0.0f && setup.bandDegrees < 45.0f)) {
    throw InputError("train: the classification band must be in [0, 45) degrees");
  }
  train::validateTask(setup.task, setup.context);
  for (int r = 0; r < runs; ++r) trainRunConfig(setup, r);
}

bool allFinite(const std::vector<train::HeadProbe>& probes) {
  for (const train::HeadProbe& p : probes)
    if (!p.queries.allFinite() || !p.keys.allFinite() || !p.weights.allFinite()) return false;
  return true;
}

}  // namespace

double trainSetupMemoryBytes(const TrainSetup& setup) {
  double bytes = 0.0;
  const double snapshots = std::floor(double(std::max(setup.steps, 0)) / std::max(setup.snapshotEvery, 1)) + 1.0;
  for (int r = 0; r < static_cast<int>(setup.runs.size()); ++r) {
    const train::ModelConfig config = trainRunConfig(setup, r);
    const double kept = std::min<double>(snapshots, setup.keptWeights);
    bytes += train::trainingMemoryBytes(config, setup.batch, setup.context) + snapshots * snapshotBytes(setup) +
             kept * 4.0 * train::parameterFloats(config);
  }
  return bytes;
}

std::vector<int> trainProbeTokens(const TrainSetup& setup) {
  std::vector<int> tokens;
  std::vector<char> determined;
  train::generateTaskSequence(setup.task, setup.context, setup.seed ^ kProbeSeedMix, tokens, determined);
  tokens.resize(static_cast<size_t>(setup.context));  // the inputs: T of the T + 1 tokens
  return tokens;
}

TrainSnapshot takeTrainSnapshot(const train::Transformer<float>& model, const std::vector<int>& probe, int step,
                                float bandDegrees) {
  const std::vector<train::HeadProbe> probes = train::probeHeads(model, probe);
  if (!allFinite(probes)) {
    throw InputError("train: the weights after step " + std::to_string(step) + " give non-finite queries or keys");
  }
  TrainSnapshot snapshot;
  snapshot.step = step;
  snapshot.layers = model.config().layers;
  snapshot.heads = model.config().heads;
  DivergenceOptions ct;
  ct.keepMatrices = false;
  for (const train::HeadProbe& p : probes) {
    HeadSnapshot head;
    head.queries = p.queries;
    head.keys = p.keys;
    head.weights = p.weights;
    head.ct = ctDivergence(head.queries, head.keys, ct).value;
    head.fractions = train::attentionWeightedFractions(head.queries, head.keys, head.weights, bandDegrees);
    snapshot.perHead.push_back(std::move(head));
  }
  return snapshot;
}

Scene sceneForTrainHead(const Scene& base, const TrainSnapshot& snapshot, int layer, int head,
                        const std::vector<int>& probe) {
  if (layer < 0 || layer >= snapshot.layers || head < 0 || head >= snapshot.heads) {
    throw InputError("train: no head " + std::to_string(layer) + "." + std::to_string(head) + " in a model of " +
                     std::to_string(snapshot.layers) + " x " + std::to_string(snapshot.heads) + " heads");
  }
  const HeadSnapshot& h = snapshot.head(layer, head);
  if (h.queries.cols() < kMinDimension) {
    throw InputError("head dimension " + std::to_string(h.queries.cols()) + " is below the app's minimum of 2");
  }
  Scene scene = base;
  scene.queries = h.queries;
  scene.keys = h.keys;
  const int T = static_cast<int>(h.queries.rows());
  scene.queryLabels.resize(T);
  scene.keyLabels.resize(T);
  for (int i = 0; i < T; ++i) {
    const std::string id = i < static_cast<int>(probe.size()) ? std::to_string(probe[i]) : std::string();
    scene.queryLabels[i] = scene.keyLabels[i] = std::to_string(i) + ":" + id;
  }
  // As for a model head (sceneForHead): the previous vectors' MGK parameters mean nothing for these.
  scene.kernel.mgkShifts.resize(0, 0);
  scene.kernel.mgkOffsets.resize(0, 0);
  scene.kernel.mgkPriors.resize(0, 0);
  scene.kernel.mgkVariances.resize(0, 0);
  scene.kernel.causal = true;
  scene.kernel.useScaleOverride = false;
  scene.selectedQuery = T - 1;
  scene.selectedKey = T - 1;
  scene.model = ModelSource{};
  scene.fitPlaneExtent();
  scene.normalise();
  return scene;
}

const char* runStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::Paused:
      return "paused";
    case RunStatus::Running:
      return "running";
    case RunStatus::Finished:
      return "finished";
    case RunStatus::Diverged:
      return "diverged";
    case RunStatus::Failed:
      return "failed";
  }
  return "?";
}

struct TrainSession::Run {
  int index = 0;
  TrainSetup setup;
  train::ModelConfig config;
  std::vector<int> probe;
  std::atomic<std::uint64_t>* revision = nullptr;
  int threads = 1;  // OpenMP threads of this run's steps

  mutable std::mutex mutex;
  std::condition_variable wake;             // the worker waits on it for a command
  mutable std::condition_variable changed;  // waitFor waits on it for progress
  // Commands (UI thread -> worker).
  /// Raised by Pause, Step while running, Reset and the end: the step in flight is dropped at its next batch chunk
  /// (train::TrainOptions::interrupt), so a command takes effect in a few milliseconds, not at the end of the step.
  std::atomic<bool> interrupt{false};
  bool running = false;
  int stepsAllowed = 0;
  bool resetRequested = false;
  bool quit = false;
  // Results (worker -> UI thread).
  RunStatus status = RunStatus::Paused;
  int stepsDone = 0;
  int stepping = 0;  // RunState::stepping
  std::string message;
  std::vector<train::StepRecord> history;
  std::vector<std::shared_ptr<const TrainSnapshot>> snapshots;
  /// Whole parameters of some snapshots (TrainSetup::keptWeights): `index` is the snapshot's place in snapshot order.
  struct Kept {
    int index = 0, step = 0;
    std::vector<train::Matrix<float>> values;
  };
  std::vector<Kept> kept;  // oldest first; the latest snapshot's last
  int keptStride = 1;      // older snapshots are kept when index % keptStride == 0
  int snapshotsTaken = 0;  // snapshot index of the next one

  /// Adds the newest snapshot's weights and thins the older ones (TrainSetup::keptWeights). Under the mutex.
  void keep(int step, std::vector<train::Matrix<float>> values) {
    // The previous latest was kept only for being the latest.
    if (!kept.empty() && kept.back().index % keptStride != 0) kept.pop_back();
    kept.push_back({snapshotsTaken++, step, std::move(values)});
    while (static_cast<int>(kept.size()) > setup.keptWeights) {
      keptStride *= 2;
      const int latest = snapshotsTaken - 1;
      std::erase_if(kept, [&](const Kept& k) { return k.index % keptStride != 0 && k.index != latest; });
    }
  }

  void bump() {
    revision->fetch_add(1);
    changed.notify_all();
  }

  /// Between steps: waits for a command; true = do one more step, false = stop (Reset or quit).
  bool gate() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (quit || resetRequested) return false;
      if (running || stepsAllowed > 0) {
        if (!running) --stepsAllowed;
        interrupt = false;  // under the mutex: a command arriving now raises it again
        const int nowStepping = running ? 0 : stepsDone + 1;
        if (status != RunStatus::Running || stepping != nowStepping) {
          status = RunStatus::Running;
          stepping = nowStepping;
          bump();
        }
        return true;
      }
      if (status != RunStatus::Paused || stepping != 0) {
        status = RunStatus::Paused;
        stepping = 0;  // a Step dropped by Pause or Reset
        bump();
      }
      wake.wait(lock);
    }
  }

  void record(const train::Transformer<float>& model, int step) {
    // Weights that give non-finite queries come just before a divergence: no snapshot, the run is about to pause.
    TrainSnapshot taken;
    try {
      taken = takeTrainSnapshot(model, probe, step, setup.bandDegrees);
    } catch (const InputError&) {
      return;
    }
    taken.id = revision->fetch_add(1) + 1;
    auto snapshot = std::make_shared<const TrainSnapshot>(std::move(taken));
    std::lock_guard lock(mutex);
    snapshots.push_back(std::move(snapshot));
    std::vector<train::Matrix<float>> values;
    for (const train::Parameter<float>& p : model.parameters()) values.push_back(p.value);
    keep(step, std::move(values));
    bump();
  }

  void work() {
    // The runs share the cores: each takes its share of OpenMP threads (a per-thread setting). Oversubscribed OpenMP
    // teams spin against each other: two runs of two threads each on two cores took ten times longer per step.
    omp_set_num_threads(threads);
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (quit) return;
        resetRequested = false;
        status = RunStatus::Paused;
        stepsDone = 0;
        stepping = 0;
        message.clear();
        history.clear();
        snapshots.clear();
        kept.clear();
        keptStride = 1;
        snapshotsTaken = 0;
        bump();
      }
      try {
        train::Transformer<float> model(config);
        model.initialise(setup.seed);
        record(model, 0);
        if (gate()) {
          const TrainSetup& s = setup;
          train::TrainOptions options;
          options.steps = s.steps;
          options.optimizer = s.optimizer;
          options.interrupt = &interrupt;
          options.resume = [this] { return gate(); };  // a dropped step runs again once the run may go on
          const train::TrainResult result = train::trainModel(
              model, [&s](int64_t step) { return train::taskBatch(s.task, s.batch, s.context, s.seed, step); }, options,
              [&](const train::StepRecord& r) {
                {
                  std::lock_guard lock(mutex);
                  history.push_back(r);
                  stepsDone = r.step;
                  stepping = 0;
                }
                if (r.step % s.snapshotEvery == 0 || r.step == s.steps) record(model, r.step);
                bump();
                return r.step == s.steps || gate();
              });
          if (!result.cancelled) {
            std::lock_guard lock(mutex);
            status = RunStatus::Finished;
            running = false;
            stepping = 0;
            bump();
          }
        }
      } catch (const train::TrainingDiverged& diverged) {
        std::lock_guard lock(mutex);
        std::erase_if(snapshots, [&](const auto& s) { return s->step > diverged.lastGoodStep; });
        std::erase_if(kept, [&](const Kept& k) { return k.step > diverged.lastGoodStep; });
        status = RunStatus::Diverged;
        running = false;
        stepsAllowed = 0;
        stepping = 0;
        const int lastSnapshot = snapshots.empty() ? 0 : snapshots.back()->step;
        message = "run " + std::to_string(index + 1) + " (" + std::string(kernelName(config.kernel)) +
                  "): the loss is not finite at step " + std::to_string(stepsDone + 1) +
                  "; the learning rate is likely too high (lower it, or the regulariser's weight). Paused; showing "
                  "the last good snapshot, step " +
                  std::to_string(lastSnapshot) + ".";
        bump();
      } catch (const std::exception& error) {
        std::lock_guard lock(mutex);
        status = RunStatus::Failed;
        running = false;
        stepping = 0;
        message = "run " + std::to_string(index + 1) + ": " + error.what();
        bump();
      }
      // Stopped (Reset, finished, diverged, failed): wait for a Reset or the end.
      std::unique_lock lock(mutex);
      wake.wait(lock, [&] { return quit || resetRequested; });
      if (quit) return;
    }
  }

  JobRunner lane;  // last: its job (work) uses every member above; destroyed first, after work() returned
};

namespace {

constexpr const char* kCheckpointPrefix = "attnscope-train-";

/// The process id in the name of a checkpoint folder: attnscope-train-PID (and attnscope-train-PID-runR-stepS, the
/// names before per-process folders); 0 for any other name.
long checkpointFolderPid(const std::string& name) {
  const std::string prefix = kCheckpointPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
  long pid = 0;
  size_t i = prefix.size();
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && pid < (1L << 40); ++i)
    pid = pid * 10 + (name[i] - '0');
  return i > prefix.size() && (i == name.size() || name[i] == '-') ? pid : 0;
}

/// Removes the checkpoint folders of processes that no longer exist (a crash, a kill): kill(pid, 0) fails with ESRCH.
/// A live process that reused the pid keeps its folder; that is the only way one survives.
void removeStaleCheckpointFolders(const std::filesystem::path& root) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    const long pid = checkpointFolderPid(entry.path().filename().string());
    if (pid <= 0 || pid == ::getpid() || pid > std::numeric_limits<pid_t>::max()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) std::filesystem::remove_all(entry.path(), error);
  }
}

}  // namespace

TrainSession::TrainSession(std::filesystem::path tempRoot) : tempRoot_(std::move(tempRoot)) {
  if (tempRoot_.empty()) tempRoot_ = std::filesystem::temp_directory_path();
  // Named by the session's address: unique among the process's live sessions (tests make many; the app one per
  // AppContext) with no counter shared across the process, and a session removes its folder when it is destroyed, so
  // a later session at the same address never meets a leftover.
  checkpointRoot_ = tempRoot_ / (kCheckpointPrefix + std::to_string(::getpid())) /
                    ("s" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
}

TrainSession::~TrainSession() {
  stopAll();
  removeCheckpoints(-1);
}

void TrainSession::removeCheckpoints(int run) {
  std::error_code error;  // best effort: a folder that cannot be removed is not worth an error at Reset or exit
  if (run < 0) {
    std::filesystem::remove_all(checkpointRoot_, error);
    std::filesystem::remove(checkpointRoot_.parent_path(), error);  // only if no other session of ours uses it
    return;
  }
  const std::string prefix = "run" + std::to_string(run + 1) + "-";
  for (const auto& entry : std::filesystem::directory_iterator(checkpointRoot_, error))
    if (entry.path().filename().string().starts_with(prefix)) std::filesystem::remove_all(entry.path(), error);
}

std::filesystem::path TrainSession::explorerCheckpoint(int run, int step) {
  at(run);
  if (!sweptStale_) {
    removeStaleCheckpointFolders(tempRoot_);
    sweptStale_ = true;
  }
  const std::filesystem::path folder =
      checkpointRoot_ / ("run" + std::to_string(run + 1) + "-step" + std::to_string(step));
  // A folder of this name holds this run's weights at this step: Reset (the only way to another model under the same
  // name) removes it.
  if (!std::filesystem::exists(folder / "config.json")) writeCheckpoint(run, step, folder);
  return folder;
}

void TrainSession::stopAll() {
  for (auto& run : runs_) {
    {
      std::lock_guard lock(run->mutex);
      run->quit = true;
      run->interrupt = true;
    }
    run->wake.notify_all();
  }
  for (auto& run : runs_) run->lane.waitIdle();  // work() returns once it sees quit
  runs_.clear();
}

void checkTrainSetup(const TrainSetup& setup) {
  validateSetup(setup);
  requireWithinBudget(trainSetupMemoryBytes(setup),
                      "training " + std::to_string(setup.runs.size()) + " runs (" + std::to_string(setup.layers) +
                          " layers, dim " + std::to_string(setup.dim) + ", batch " + std::to_string(setup.batch) +
                          ", context " + std::to_string(setup.context) + ")");
}

void TrainSession::configure(const TrainSetup& setup) {
  checkTrainSetup(setup);
  stopAll();
  removeCheckpoints(-1);
  setup_ = setup;
  const std::vector<int> probe = trainProbeTokens(setup);
  for (int r = 0; r < static_cast<int>(setup.runs.size()); ++r) {
    auto run = std::make_unique<Run>();
    run->index = r;
    run->setup = setup;
    run->config = trainRunConfig(setup, r);
    run->probe = probe;
    run->threads = std::max(1, omp_get_max_threads() / static_cast<int>(setup.runs.size()));
    run->revision = &revision_;
    runs_.push_back(std::move(run));
  }
  // Each run trains on a job lane of its own (core/job_runner.h): one job, work(), that returns at the end (quit).
  // Not a job per Start / Step: trainModel owns the AdamW moments and the step count for the whole run, so jobs per
  // command would need that state moved out of core/train and handed between jobs; one job that waits between steps
  // keeps it on the worker's stack, and Pause / Step / Reset are flags it reads between steps.
  for (auto& run : runs_) run->lane.submit([r = run.get()](const std::atomic<bool>&) { r->work(); });
  revision_.fetch_add(1);
}

TrainSession::Run& TrainSession::at(int run) const {
  if (run < 0 || run >= runCount()) throw InputError("train: no run " + std::to_string(run + 1));
  return *runs_[static_cast<size_t>(run)];
}

template <typename F>
void TrainSession::forRuns(int run, F&& f) {
  for (int r = 0; r < runCount(); ++r) {
    if (run >= 0 && r != run) continue;
    Run& target = *runs_[static_cast<size_t>(r)];
    {
      std::lock_guard lock(target.mutex);
      f(target);
    }
    target.wake.notify_all();
  }
  revision_.fetch_add(1);
}

void TrainSession::start(int run) {
  forRuns(run, [](Run& r) {
    if (r.status == RunStatus::Paused || r.status == RunStatus::Running) r.running = true;
  });
}

void TrainSession::pause(int run) {
  forRuns(run, [](Run& r) {
    r.running = false;
    r.stepsAllowed = 0;
    r.interrupt = true;
  });
}

void TrainSession::step(int run) {
  forRuns(run, [](Run& r) {
    if (r.running) {
      r.running = false;  // while running, Step pauses (the step in flight is dropped: it was not asked for)
      r.stepsAllowed = 0;
      r.interrupt = true;
    } else if (r.status == RunStatus::Paused) {
      r.stepsAllowed = 1;
    }
  });
}

void TrainSession::reset(int run) {
  forRuns(run, [](Run& r) {
    r.running = false;
    r.stepsAllowed = 0;
    r.resetRequested = true;
    r.interrupt = true;
  });
  for (int r = 0; r < runCount(); ++r)
    if (run < 0 || r == run) removeCheckpoints(r);
}

RunState TrainSession::state(int run) const {
  const Run& r = at(run);
  std::lock_guard lock(r.mutex);
  return {r.status, r.stepsDone, r.stepping, r.message};
}

std::vector<train::StepRecord> TrainSession::history(int run) const {
  const Run& r = at(run);
  std::lock_guard lock(r.mutex);
  return r.history;
}

std::vector<std::shared_ptr<const TrainSnapshot>> TrainSession::snapshots(int run) const {
  const Run& r = at(run);
  std::lock_guard lock(r.mutex);
  return r.snapshots;
}

std::uint64_t TrainSession::revision() const {
  return revision_.load();
}

bool TrainSession::waitUntilSettled(int run, double timeoutSeconds) const {
  const Run& r = at(run);
  std::unique_lock lock(r.mutex);
  return r.changed.wait_for(lock, std::chrono::duration<double>(timeoutSeconds), [&] {
    return !r.running && r.stepsAllowed == 0 && !r.resetRequested && r.status != RunStatus::Running &&
           !r.snapshots.empty();
  });
}

bool TrainSession::waitForSteps(int run, int steps, double timeoutSeconds) const {
  const Run& r = at(run);
  std::unique_lock lock(r.mutex);
  return r.changed.wait_for(lock, std::chrono::duration<double>(timeoutSeconds), [&] {
    const bool settled = !r.running && r.stepsAllowed == 0 && r.status != RunStatus::Running;
    return (r.stepsDone >= steps && !r.resetRequested) || (settled && !r.resetRequested && !r.snapshots.empty());
  });
}

std::vector<int> TrainSession::keptWeightSteps(int run) const {
  const Run& r = at(run);
  std::lock_guard lock(r.mutex);
  std::vector<int> steps;
  for (const Run::Kept& k : r.kept) steps.push_back(k.step);
  return steps;
}

int TrainSession::nearestKeptStep(int run, int step) const {
  const std::vector<int> kept = keptWeightSteps(run);
  if (kept.empty()) return step;
  int best = kept.front();
  for (int k : kept)
    if (std::abs(k - step) < std::abs(best - step)) best = k;  // strict: ties keep the earlier (kept is ascending)
  return best;
}

void TrainSession::writeCheckpoint(int run, const std::filesystem::path& folder) const {
  const std::vector<int> steps = keptWeightSteps(run);
  if (steps.empty()) throw InputError("train: run " + std::to_string(run + 1) + " has no snapshot yet");
  writeCheckpoint(run, steps.back(), folder);
}

void TrainSession::writeCheckpoint(int run, int step, const std::filesystem::path& folder) const {
  const Run& r = at(run);
  train::Transformer<float> model(r.config);
  nlohmann::json extra;
  {
    std::lock_guard lock(r.mutex);
    if (r.kept.empty()) throw InputError("train: run " + std::to_string(run + 1) + " has no snapshot yet");
    const auto found = std::find_if(r.kept.begin(), r.kept.end(), [&](const Run::Kept& k) { return k.step == step; });
    if (found == r.kept.end()) {
      std::string list;
      for (const Run::Kept& k : r.kept) list += (list.empty() ? "" : ", ") + std::to_string(k.step);
      throw InputError("train: run " + std::to_string(run + 1) + " keeps no weights for step " + std::to_string(step) +
                       " (kept: " + list + ")");
    }
    for (size_t i = 0; i < found->values.size(); ++i) model.parameters()[i].value = found->values[i];
    extra = {{"seed", r.setup.seed},
             {"steps", step},
             {"task",
              {{"name", train::taskName(r.setup.task.kind)},
               {"symbols", r.setup.task.symbols},
               {"pairs", r.setup.task.pairs},
               {"level", r.setup.task.level}}}};
  }
  train::saveCheckpoint(folder, model, extra);
}

}  // namespace attnscope::gui
