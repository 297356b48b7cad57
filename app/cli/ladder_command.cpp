// `attnscope ladder`: trains every (kernel, level, seed) of the lookup-chain ladder (core/train/tasks.h) and writes
// the final held-out accuracy against complexity per kernel (mean and spread over seeds) as CSV, Markdown and SVG.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "app/cli/command_registry.h"
#include "app/cli/train_options.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/train/trainer.h"

namespace attnscope::cli {
namespace {

struct LadderArguments {
  ModelArguments model;
  OptimizerArguments optimizer;
  std::vector<std::string> kernels{"dpa", "ea"};
  std::vector<int> levels{1, 2, 3};
  int seeds = 2;
  int symbols = 16;
  std::vector<int> kernelHeads;  // optional heads per kernel (MGK with H/2 heads against DPA with H)
  int evalBatches = 8;
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

std::string svgPlot(const std::vector<std::string>& labels, const std::vector<int>& levels,
                    const std::map<std::pair<size_t, int>, Cell>& cells) {
  const int width = 640, height = 400, left = 60, right = 160, top = 30, bottom = 50;
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"};
  const double plotW = width - left - right, plotH = height - top - bottom;
  const int first = levels.front(), last = levels.back();
  auto x = [&](int level) { return left + (last == first ? plotW / 2 : plotW * (level - first) / (last - first)); };
  auto y = [&](double accuracy) { return top + plotH * (1.0 - accuracy); };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (int tick = 0; tick <= 4; ++tick) {
    const double a = tick / 4.0;
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plotW << "\" y1=\"" << y(a) << "\" y2=\"" << y(a)
        << "\" stroke=\"#ddd\"/><text x=\"" << left - 8 << "\" y=\"" << y(a) + 4 << "\" text-anchor=\"end\">" << a
        << "</text>\n";
  }
  for (int level : levels) {
    svg << "<text x=\"" << x(level) << "\" y=\"" << top + plotH + 20 << "\" text-anchor=\"middle\">" << level
        << "</text>\n";
  }
  svg << "<text x=\"" << left + plotW / 2 << "\" y=\"" << height - 10
      << "\" text-anchor=\"middle\">ladder level (1 = copy, L = L - 1 chained lookups)</text>\n<text x=\"15\" y=\""
      << top + plotH / 2 << "\" transform=\"rotate(-90 15 " << top + plotH / 2
      << ")\" text-anchor=\"middle\">held-out accuracy</text>\n";
  for (size_t k = 0; k < labels.size(); ++k) {
    const char* colour = colours[k % 7];
    std::ostringstream points;
    for (int level : levels) {
      const Cell& c = cells.at({k, level});
      points << x(level) << ',' << y(c.mean()) << ' ';
      svg << "<line x1=\"" << x(level) << "\" x2=\"" << x(level) << "\" y1=\""
          << y(std::min(1.0, c.mean() + c.spread())) << "\" y2=\"" << y(std::max(0.0, c.mean() - c.spread()))
          << "\" stroke=\"" << colour << "\"/>\n";
      svg << "<circle cx=\"" << x(level) << "\" cy=\"" << y(c.mean()) << "\" r=\"3\" fill=\"" << colour << "\"/>\n";
    }
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"" << points.str()
        << "\"/>\n<text x=\"" << left + plotW + 12 << "\" y=\"" << top + 16 + 18 * k << "\" fill=\"" << colour << "\">"
        << labels[k] << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

void runLadder(const LadderArguments& args) {
  if (args.out.empty()) throw InputError("--out DIR is required");
  if (args.kernels.empty() || args.levels.empty() || args.seeds < 1) {
    throw InputError("--kernels, --levels and --seeds (>= 1) must not be empty");
  }
  if (!args.kernelHeads.empty() && args.kernelHeads.size() != args.kernels.size()) {
    throw InputError("--kernel-heads needs one head count per --kernels entry");
  }
  std::vector<int> levels = args.levels;
  std::sort(levels.begin(), levels.end());
  std::vector<std::string> labels;
  std::map<std::pair<size_t, int>, Cell> cells;
  std::ostringstream csv;
  csv << "kernel,heads,level,seed,train_accuracy,eval_accuracy,eval_cross_entropy,steps\n";
  const bool terminal = isatty(STDERR_FILENO);
  for (size_t k = 0; k < args.kernels.size(); ++k) {
    ModelArguments modelArgs = args.model;
    modelArgs.kernel = args.kernels[k];
    if (!args.kernelHeads.empty()) modelArgs.heads = args.kernelHeads[k];
    labels.push_back(modelArgs.kernel + " (H=" + std::to_string(modelArgs.heads) + ")" +
                     (modelArgs.align != "none" ? " +" + modelArgs.align : ""));
    for (int level : levels) {
      train::TaskOptions task;
      task.kind = train::TaskKind::Ladder;
      task.symbols = args.symbols;
      task.level = level;
      for (int seed = 1; seed <= args.seeds; ++seed) {
        ModelArguments m = modelArgs;
        if (m.vocab <= 0) m.vocab = train::taskVocabulary(task);
        const train::ModelConfig config = modelConfig(m);
        train::validateTask(task, config.context);
        requireWithinBudget(train::trainingMemoryBytes(config, args.optimizer.batch, config.context), "ladder run");
        train::Transformer<float> model(config);
        model.initialise(static_cast<uint64_t>(seed));
        const int batch = args.optimizer.batch, length = config.context;
        train::TrainOptions options;
        options.steps = args.optimizer.steps;
        options.optimizer = optimizerOptions(args.optimizer);
        const train::TrainResult result = train::trainModel(
            model, [&](int64_t step) { return train::taskBatch(task, batch, length, seed, step); }, options);
        const train::LossReport eval = train::evaluateModel(
            model, [&](int64_t i) { return train::taskBatch(task, batch, length, seed ^ 0x5eed5eedull, i); },
            args.evalBatches);
        cells[{k, level}].accuracies.push_back(eval.accuracy);
        const double trainAccuracy = result.history.empty() ? 0.0 : result.history.back().accuracy;
        csv << modelArgs.kernel << ',' << modelArgs.heads << ',' << level << ',' << seed << ',' << trainAccuracy << ','
            << eval.accuracy << ',' << eval.crossEntropy << ',' << result.stepsDone << '\n';
        if (terminal) {
          std::fprintf(stderr, "%s level %d seed %d: held-out accuracy %.3f\n", labels.back().c_str(), level, seed,
                       eval.accuracy);
        }
      }
    }
  }
  std::ostringstream md;
  md << "| kernel |";
  for (int level : levels) md << " level " << level << " |";
  md << "\n|---|";
  for (size_t i = 0; i < levels.size(); ++i) md << "---|";
  md << "\n";
  md.setf(std::ios::fixed);
  md.precision(3);
  for (size_t k = 0; k < labels.size(); ++k) {
    md << "| " << labels[k] << " |";
    for (int level : levels) {
      const Cell& c = cells[{k, level}];
      md << ' ' << c.mean() << " ± " << c.spread() << " |";
    }
    md << "\n";
  }
  std::filesystem::create_directories(args.out);
  const std::filesystem::path out = args.out;
  writeFileAtomically(out / "ladder.csv", csv.str());
  writeFileAtomically(out / "ladder.md", md.str());
  writeFileAtomically(out / "ladder.svg", svgPlot(labels, levels, cells));
  std::printf("%s", md.str().c_str());
}

void installLadderCommand(CLI::App& parent) {
  auto args = std::make_shared<LadderArguments>();
  CLI::App* command = parent.add_subcommand(
      "ladder",
      "Train every (kernel, ladder level, seed) and write held-out accuracy against complexity: ladder.csv, "
      "ladder.md (mean ± standard deviation over seeds) and ladder.svg in --out.");
  command->add_option("--kernels", args->kernels, "Kernels, e.g. dpa,ea,mgk")->delimiter(',');
  command->add_option("--kernel-heads", args->kernelHeads, "Heads per kernel, e.g. 4,2 (default --heads for all)")
      ->delimiter(',');
  command->add_option("--levels", args->levels, "Ladder levels (1 = copy, L >= 2 = L - 1 chained lookups), e.g. 1,2,3")
      ->delimiter(',');
  command->add_option("--seeds", args->seeds, "Seeds 1..S per (kernel, level) (default 2)");
  command->add_option("--symbols", args->symbols, "Alphabet size of the ladder (default 16)");
  command->add_option("--eval-batches", args->evalBatches, "Held-out batches per run (default 8)");
  addModelOptions(*command, args->model, false);
  command->add_option("--components", args->model.components, "Gaussian components of mgk/mgk-hard/mlk (default 2)");
  addOptimizerOptions(*command, args->optimizer);
  command->add_option("--out", args->out, "Folder for ladder.csv, ladder.md, ladder.svg")->required();
  command->callback([args] { runLadder(*args); });
}

const RegisterCommand registration{"ladder", &installLadderCommand};

}  // namespace
}  // namespace attnscope::cli
