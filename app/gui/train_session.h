// The Train workspace's controller (issue 15): one to four runs of the training lab side by side (same task, size,
// seed and data; each its own kernel and regulariser), each trained by core/train's trainModel on a thread of its own.
// Start / Pause / Step / Reset act between optimiser steps; every `snapshotEvery` steps a run records what its heads
// do on a fixed probe sequence. No ImGui here, so tests drive it directly; app/views/train_view.cpp is its UI.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "core/train/probe.h"
#include "core/train/trainer.h"

namespace attnscope::gui {

/// What differs between the runs of a comparison.
struct TrainRunOptions {
  Kernel kernel = Kernel::Dpa;
  train::AlignmentKind alignment = train::AlignmentKind::None;
  double alignmentWeight = 0.1;  ///< lambda of the regulariser (ignored for AlignmentKind::None)
};

/// What every run shares. The defaults are `attnscope train`'s (2 layers, 4 heads, dim 64, batch 32, AdamW at 3e-3,
/// seed 1) on the copy task with a context of 24 tokens, so a run learns visibly within a few hundred steps.
struct TrainSetup {
  train::TaskOptions task;
  int context = 24;  ///< sequence length T of the batches and of the probe (n_positions of the model)
  int layers = 2, heads = 4, dim = 64;
  int batch = 32;
  std::uint64_t seed = 1;
  train::OptimizerOptions optimizer;
  int steps = 1000;           ///< a run stops (finished) after this many updates
  int snapshotEvery = 10;     ///< steps between snapshots (the first is at step 0)
  float bandDegrees = 15.0f;  ///< classification band of the fractions (DisplayParams::classificationBandDegrees)
  /// Snapshots per run whose whole weights are kept, so the Model explorer can open the step the timeline shows
  /// (at least 2). The latest snapshot's are always kept; older ones are thinned: every snapshot at first, then,
  /// each time there would be more than this many, only those whose index (0, 1, 2, ... in snapshot order) is a
  /// multiple of twice the previous stride. At the default size one copy is about 0.4 MB, so 16 cost 6.5 MB a run
  /// (all 101 snapshots of 1000 steps would cost 40 MB).
  int keptWeights = 16;
  std::vector<TrainRunOptions> runs{{Kernel::Dpa}, {Kernel::Ea}};
};

/// Largest number of runs side by side.
constexpr int kMaxTrainRuns = 4;

/// The model config of run `run` of `setup` (vocabulary from the task). Throws InputError for a bad setup.
train::ModelConfig trainRunConfig(const TrainSetup& setup, int run);

/// Bytes a setup needs while training: every run's trainingMemoryBytes plus its snapshots (probe Q, K and weights
/// of every head, at most setup.steps / snapshotEvery + 1 of them) plus its kept weights (keptWeights copies).
double trainSetupMemoryBytes(const TrainSetup& setup);

/// Checks a setup before anything is made: sizes and options (InputError), then the memory budget (ResourceError,
/// "training 2 runs (2 layers, dim 64, batch 32, context 24) would need ..."). TrainSession::configure calls it.
void checkTrainSetup(const TrainSetup& setup);

/// The fixed probe of a setup: the first T tokens of the task sequence of seed `setup.seed ^ kProbeSeedMix`, so
/// every run of a comparison, and every snapshot, shows the same sequence.
constexpr std::uint64_t kProbeSeedMix = 0x9e0be5eedull;
std::vector<int> trainProbeTokens(const TrainSetup& setup);

/// One head in one snapshot.
struct HeadSnapshot {
  RowMatrix queries, keys, weights;  ///< T x d_head, T x d_head, T x T (train::HeadProbe)
  double ct = 0.0;                   ///< CT divergence (core/divergence.h defaults) between the queries and the keys
  train::WeightedPairFractions fractions;
};

/// What a run's heads did on the probe after `step` updates.
struct TrainSnapshot {
  std::uint64_t id = 0;  ///< unique within the session (texture cache key)
  int step = 0;
  int layers = 0, heads = 0;
  std::vector<HeadSnapshot> perHead;  ///< layers x heads, index layer * heads + head
  const HeadSnapshot& head(int layer, int head) const { return perHead[static_cast<size_t>(layer * heads + head)]; }
};

/// `base` with its vectors replaced by head (layer, head) of `snapshot`: the probe's queries and keys (labelled
/// "i:id" with the probe's token ids), causal like the model, MGK parameters back to their defaults, the plane fitted
/// to the vectors, no model source (a training run is not a file the explorer can reopen). Throws InputError for a bad
/// index or a head dimension below the app's minimum.
Scene sceneForTrainHead(const Scene& base, const TrainSnapshot& snapshot, int layer, int head,
                        const std::vector<int>& probe);

/// The snapshot of `model` now (what the worker records; tests call it on their own models).
TrainSnapshot takeTrainSnapshot(const train::Transformer<float>& model, const std::vector<int>& probe, int step,
                                float bandDegrees);

enum class RunStatus {
  Paused,    ///< waiting for Start or Step (also the state after Reset)
  Running,   ///< stepping
  Finished,  ///< reached TrainSetup::steps
  Diverged,  ///< the loss stopped being finite; paused with the last good snapshot kept
  Failed     ///< anything else went wrong (message says what)
};
const char* runStatusName(RunStatus status);

/// A consistent copy of one run's state for the UI (taken under the run's lock).
struct RunState {
  RunStatus status = RunStatus::Paused;
  int stepsDone = 0;
  /// The update a Step is computing (stepsDone + 1), set by the run's worker the moment it begins that update and
  /// cleared when it lands (or is dropped by Pause / Reset); 0 otherwise. A Step "takes effect" when this is set: the
  /// update itself (about 14 ms at the default size on one idle thread) lands when it is done.
  int stepping = 0;
  std::string message;  ///< why a run diverged or failed ("" otherwise)
};

/// Runs, threads and their results. Each run's steps use an equal share of the OpenMP threads (max threads / runs,
/// at least 1), so one run computes exactly what `attnscope train` computes with the same options. Owned per AppContext
/// (AppContext::trainSession()); every method is for the UI thread. The destructor stops and joins every worker.
class TrainSession {
 public:
  /// `tempRoot`: where the checkpoint folders for the Model explorer go (default: the system's temporary folder).
  explicit TrainSession(std::filesystem::path tempRoot = {});
  /// Stops the runs and removes this session's checkpoint folders.
  ~TrainSession();
  TrainSession(const TrainSession&) = delete;
  TrainSession& operator=(const TrainSession&) = delete;

  /// Replaces the runs by the setup's (all paused at step 0 with their first snapshot being taken). Checks the whole
  /// setup, sizes against the memory budget included, before any run is made: throws InputError or ResourceError and
  /// keeps the previous runs on refusal.
  void configure(const TrainSetup& setup);
  const TrainSetup& setup() const { return setup_; }
  int runCount() const { return static_cast<int>(runs_.size()); }

  /// Controls for one run, or every run with run = -1. Start: train until Pause, the step limit or divergence.
  /// Pause: stop after the step in progress. Step: exactly one more update, then pause (from pause; while running it
  /// pauses after the next step). Reset: back to the seed's initial weights, step 0, paused.
  void start(int run = -1);
  void pause(int run = -1);
  void step(int run = -1);
  void reset(int run = -1);

  RunState state(int run) const;
  /// Every step's record so far (the loss and accuracy curves).
  std::vector<train::StepRecord> history(int run) const;
  /// Snapshots so far, oldest first (step 0 first). Shared and immutable: the UI keeps them without copying.
  std::vector<std::shared_ptr<const TrainSnapshot>> snapshots(int run) const;
  /// Increases whenever any run records a step or a snapshot or changes status (the view's cache key).
  std::uint64_t revision() const;

  /// Waits (tests, the benchmark) until run `run` has carried out every command sent (it is paused, finished,
  /// diverged or failed, with its first snapshot taken). Returns false on timeout.
  bool waitUntilSettled(int run, double timeoutSeconds = 60.0) const;
  /// Waits until run `run` has done `steps` updates, or settled short of them. Returns false on timeout.
  bool waitForSteps(int run, int steps, double timeoutSeconds = 60.0) const;

  /// Steps of run `run`'s snapshots whose weights are kept (TrainSetup::keptWeights), oldest first; the latest
  /// snapshot's step is always the last.
  std::vector<int> keptWeightSteps(int run) const;
  /// The kept step nearest `step` (the earlier of two equally near): `step` itself when its weights are kept; `step`
  /// before the first snapshot.
  int nearestKeptStep(int run, int step) const;

  /// Writes run `run`'s weights at its snapshot of step `step` as a checkpoint folder (core/train/checkpoint.h) with
  /// the task, seed and step in its "attnscope" block. Throws InputError if that step's weights are not kept (the
  /// message lists the kept steps) or before the first snapshot.
  void writeCheckpoint(int run, int step, const std::filesystem::path& folder) const;
  /// The same at the latest snapshot.
  void writeCheckpoint(int run, const std::filesystem::path& folder) const;

  /// The checkpoint folder of run `run` at kept step `step` for the Model explorer: written on first use (as
  /// writeCheckpoint) to TEMP/attnscope-train-PID/sSESSION/runR-stepS, this session's folder, and removed again by
  /// Reset of that run, by configure (the runs are replaced) and by the destructor (the app's exit). Folders of
  /// processes that are gone (attnscope-train-PID with no process PID, e.g. after a crash) are removed when this
  /// session first writes one, so they do not pile up.
  std::filesystem::path explorerCheckpoint(int run, int step);
  /// This session's folder under the temporary folder (it exists only while it holds checkpoints).
  const std::filesystem::path& checkpointRoot() const { return checkpointRoot_; }

 private:
  struct Run;
  void stopAll();
  void removeCheckpoints(int run);  // run -1: every run's, and this session's folder
  Run& at(int run) const;
  template <typename F>
  void forRuns(int run, F&& f);

  TrainSetup setup_;
  std::filesystem::path tempRoot_, checkpointRoot_;
  bool sweptStale_ = false;  // folders of dead processes removed (once, at the first checkpoint)
  std::atomic<std::uint64_t> revision_{1};
  // Declared after revision_: the runs (whose workers bump it) are stopped and destroyed first.
  std::vector<std::unique_ptr<Run>> runs_;
};

}  // namespace attnscope::gui
