// `attnscope ladder`: trains every (kernel, level, seed) of the lookup-chain ladder (core/train/tasks.h) and writes
// the final held-out accuracy against complexity per kernel (mean and spread over seeds) as CSV and Markdown and, in
// a build with the GUI libraries, as a figure (PNG and SVG) drawn by the plot module through an offscreen EGL context.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

#include "app/cli/command_registry.h"
#include "app/cli/train_options.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/train/ladder.h"
#include "core/train/tasks.h"

#ifdef ATTNSCOPE_HAVE_GUI
#include "app/gui/ladder_figure.h"
#include "app/render/egl_context.h"
#endif

namespace attnscope::cli {
namespace {

/// The calibrated defaults (core/train/ladder.h, README "The ladder").
const train::LadderOptions kLadderDefaults;

struct LadderArguments {
  ModelArguments model;
  OptimizerArguments optimizer;
  std::vector<std::string> kernels{"dpa", "ea"};
  std::vector<int> levels{1, 2, 3, 4};
  int seeds = 2;
  int symbols = kLadderDefaults.symbols;
  std::vector<int> kernelHeads;  // optional heads per kernel (MGK with H/2 heads against DPA with H)
  int evalBatches = 8;
  int threads = 1;
  std::string out;
};

struct Cell {
  std::vector<double> accuracies;
  double mean() const {
    double s = 0;
    for (double a : accuracies) s += a;
    return accuracies.empty() ? 0.0 : s / static_cast<double>(accuracies.size());
  }
  double spread() const {  // sample standard deviation (0 for one seed)
    if (accuracies.size() < 2) return 0.0;
    const double m = mean();
    double s = 0;
    for (double a : accuracies) s += (a - m) * (a - m);
    return std::sqrt(s / static_cast<double>(accuracies.size() - 1));
  }
};

void runLadder(const LadderArguments& args) {
  if (args.out.empty()) throw InputError("--out DIR is required");
  if (args.kernels.empty() || args.levels.empty() || args.seeds < 1) {
    throw InputError("--kernels, --levels and --seeds (>= 1) must not be empty");
  }
  if (!args.kernelHeads.empty() && args.kernelHeads.size() != args.kernels.size()) {
    throw InputError("--kernel-heads needs one head count per --kernels entry");
  }
  if (args.threads < 1) throw InputError("--threads must be at least 1");
  std::vector<int> levels = args.levels;
  // A ladder run is small (T = 10, d = 64): split over two OpenMP threads on a shared machine, one run of 30 steps
  // took 4.0 s of CPU against 0.46 s on one thread (the threads spin while waiting), for no gain in wall time.
  const int previousThreads = omp_get_max_threads();
  omp_set_num_threads(args.threads);
  struct RestoreThreads {
    int count;
    ~RestoreThreads() { omp_set_num_threads(count); }
  } restoreThreads{previousThreads};
  ModelArguments model = args.model;
  if (model.context <= 0)
    model.context = train::ladderContext(args.symbols);  // one query per sequence (README "The ladder")
  std::sort(levels.begin(), levels.end());
  train::LadderOptions ladder;
  ladder.symbols = args.symbols;
  ladder.batch = args.optimizer.batch;
  ladder.steps = args.optimizer.steps;
  ladder.evalBatches = args.evalBatches;
  ladder.optimizer = optimizerOptions(args.optimizer);
  // The model of one run; --vocab defaults to the level's own vocabulary.
  auto configFor = [&](ModelArguments m, int level) {
    if (m.vocab <= 0) m.vocab = train::taskVocabulary({train::TaskKind::Ladder, args.symbols, 8, level});
    return modelConfig(m);
  };
  // Every (kernel, level) is checked before the first run trains, so a bad option fails in a second, not after hours.
  std::vector<ModelArguments> kernelModels;
  for (size_t k = 0; k < args.kernels.size(); ++k) {
    ModelArguments m = model;
    m.kernel = args.kernels[k];
    if (!args.kernelHeads.empty()) m.heads = args.kernelHeads[k];
    for (int level : levels) train::validateLadderLevel(configFor(m, level), level, ladder);
    kernelModels.push_back(m);
  }
  std::filesystem::create_directories(args.out);
  const std::filesystem::path out = args.out;
  std::vector<std::string> labels;
  std::map<std::pair<size_t, int>, Cell> cells;
  std::ostringstream csv;
  csv << "kernel,heads,level,seed,train_accuracy,eval_accuracy,eval_cross_entropy,steps,chance,cpu_seconds\n";
  const bool terminal = isatty(STDERR_FILENO);
  for (size_t k = 0; k < args.kernels.size(); ++k) {
    const ModelArguments& modelArgs = kernelModels[k];
    labels.push_back(modelArgs.kernel + " (H=" + std::to_string(modelArgs.heads) + ")" +
                     (modelArgs.align != "none" ? " +" + modelArgs.align : ""));
    for (int level : levels) {
      // Seeds --seed, --seed + 1, ... (--seeds of them): the default --seed 1 gives 1..S.
      for (unsigned long long seed = args.optimizer.seed;
           seed < args.optimizer.seed + static_cast<unsigned>(args.seeds); ++seed) {
        // Process CPU time (every thread), not wall time: the machines this runs on are shared.
        const std::clock_t cpuStart = std::clock();
        const train::LadderRun run =
            train::trainLadderLevel(configFor(modelArgs, level), level, static_cast<uint64_t>(seed), ladder);
        cells[{k, level}].accuracies.push_back(run.evalAccuracy);
        csv << modelArgs.kernel << ',' << modelArgs.heads << ',' << level << ',' << seed << ',' << run.trainAccuracy
            << ',' << run.evalAccuracy << ',' << run.evalCrossEntropy << ',' << run.stepsDone << ','
            << train::ladderChanceAccuracy(args.symbols, level) << ','
            << static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC << '\n';
        writeFileAtomically(out / "ladder.csv", csv.str());  // a long ladder keeps its finished runs on disk
        if (terminal) {
          std::fprintf(stderr, "%s level %d seed %llu: held-out accuracy %.3f\n", labels.back().c_str(), level, seed,
                       run.evalAccuracy);
        }
      }
    }
  }
  std::ostringstream md;
  md << "| kernel |";
  for (int level : levels) md << " level " << level << " (" << train::ladderLevelName(level) << ") |";
  md << "\n|---|";
  for (size_t i = 0; i < levels.size(); ++i) md << "---|";
  md << "\n";
  md.setf(std::ios::fixed);
  md.precision(3);
  for (size_t k = 0; k < labels.size(); ++k) {
    md << "| " << labels[k] << " |";
    for (int level : levels) {
      const Cell& c = cells[{k, level}];
      const char* bold = c.mean() >= train::kLadderSolvedAccuracy ? "**" : "";
      md << ' ' << bold << c.mean() << " ± " << c.spread() << bold << " |";
    }
    md << "\n";
  }
  md << "| chance |";
  for (int level : levels) md << ' ' << train::ladderChanceAccuracy(args.symbols, level) << " |";
  md << "\n";
  writeFileAtomically(out / "ladder.md", md.str());
  std::printf("%s", md.str().c_str());
#ifdef ATTNSCOPE_HAVE_GUI
  gui::LadderFigure figure;
  figure.levels = levels;
  figure.solvedThreshold = train::kLadderSolvedAccuracy;
  for (int level : levels) {
    figure.levelNames.push_back(train::ladderLevelName(level));
    figure.chance.push_back(train::ladderChanceAccuracy(args.symbols, level));
  }
  for (size_t k = 0; k < labels.size(); ++k) {
    gui::LadderSeries series{labels[k], {}, {}};
    for (int level : levels) {
      series.mean.push_back(cells[{k, level}].mean());
      series.spread.push_back(cells[{k, level}].spread());
    }
    figure.series.push_back(std::move(series));
  }
  render::HeadlessContext gl;  // the tables are written already: an EGL failure loses only the figure
  gui::writeLadderFigure(figure, (out / "ladder.png").string(), (out / "ladder.svg").string());
#endif
}

void installLadderCommand(CLI::App& parent) {
  auto args = std::make_shared<LadderArguments>();
  CLI::App* command = parent.add_subcommand(
      "ladder",
      "Train every (kernel, ladder level, seed) and write held-out accuracy against complexity: ladder.csv, "
      "ladder.md (mean ± standard deviation over seeds, solved cells in bold) and the figure ladder.png and "
      "ladder.svg in --out.");
  command->add_option("--kernels", args->kernels, "Kernels, e.g. dpa,ea,mgk")->delimiter(',');
  command->add_option("--kernel-heads", args->kernelHeads, "Heads per kernel, e.g. 4,2 (default --heads for all)")
      ->delimiter(',');
  command
      ->add_option("--levels", args->levels, "Ladder levels (1 = copy, L >= 2 = L - 1 chained lookups), e.g. 1,2,3,4")
      ->delimiter(',');
  command->add_option("--seeds", args->seeds, "Seeds per (kernel, level): --seed, --seed + 1, ... (default 2)");
  command->add_option("--symbols", args->symbols,
                      "Alphabet size S of the ladder (default 8; at most 64 for levels >= 2)");
  command->add_option("--eval-batches", args->evalBatches, "Held-out batches per run (default 8)");
  command->add_option("--threads", args->threads, "OpenMP threads per run (default 1: runs are small)");
  args->model.context = 0;  // S + 2 unless given
  args->optimizer.batch = kLadderDefaults.batch;
  args->optimizer.steps = kLadderDefaults.steps;
  addModelOptions(*command, args->model, false);
  command->add_option("--components", args->model.components, "Gaussian components of mgk/mgk-hard/mlk (default 2)");
  addOptimizerOptions(*command, args->optimizer);
  // The shared options describe `train`'s defaults; the ladder's calibrated ones differ.
  command->get_option("--context")->description("Sequence length T (default --symbols + 2: one query per sequence)");
  command->get_option("--batch")->description("Sequences per step (default " + std::to_string(kLadderDefaults.batch) +
                                              ")");
  command->get_option("--steps")->description("AdamW steps per run (default " + std::to_string(kLadderDefaults.steps) +
                                              ")");
  command->add_option("--out", args->out, "Folder for ladder.csv, ladder.md, ladder.png, ladder.svg")->required();
  command->callback([args] { runLadder(*args); });
}

const RegisterCommand registration{"ladder", &installLadderCommand};

}  // namespace
}  // namespace attnscope::cli
