// `attnscope weights`: attention weights of one kernel for Q/K matrices stored as .npy, written as float32 .npy.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/command_registry.h"
#include "core/attention_kernels.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "core/npz.h"
#include "core/validate.h"

namespace attnscope::cli {
namespace {

struct WeightsArguments {
  std::string kernel;
  std::string queries;
  std::vector<std::string> keys;
  std::optional<float> scale;
  bool causal = false;
  std::string expressiveForm = "saturating";
  std::string shifts;
  std::string priors;
  std::string variances;
  std::optional<float> cosineTemperature;  // cosine only; AttentionOptions holds the default
  std::string out;
  std::string scoresOut;
};

/// Parses "0.5,0.5" into a vector; `option` names the flag in the message.
Vector parseList(const std::string& text, const char* option) {
  std::vector<float> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    float value = 0.0f;
    const char* first = item.data();
    const char* last = item.data() + item.size();
    while (first < last && *first == ' ') ++first;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || first == last)
      throw InputError(std::string(option) + ": '" + item + "' is not a number (expected a comma-separated list like " +
                       "0.5,0.5)");
    values.push_back(value);
    start = end + 1;
  }
  return Eigen::Map<Vector>(values.data(), static_cast<Eigen::Index>(values.size()));
}

/// The shared budget (half the physical memory unless ATTNSCOPE_MEMORY_BUDGET_MB says otherwise): outputs beyond it
/// would push the system into swap.
std::size_t memoryBudget() {
  return static_cast<std::size_t>(memoryBudgetBytes());
}

/// `path` is a .npy file or an .npz archive (`x.npz:NAME`, or `x.npz` holding one array or one called `member`);
/// `label` receives the name later messages use ("x.npy", "x.npz:k").
RowMatrix readFiniteMatrix(const std::string& path, std::string_view member, std::string* labelOut = nullptr) {
  std::string label;
  RowMatrix matrix = readMatrixArgument(path, member, &label);
  if (labelOut) *labelOut = label;
  requireFinite(matrix, label);
  return matrix;
}

std::string rowList(const std::vector<Eigen::Index>& rows) {
  std::string text;
  for (std::size_t i = 0; i < rows.size() && i < 20; ++i) text += (i ? ", " : "") + std::to_string(rows[i]);
  if (rows.size() > 20) text += ", ...";
  return text;
}

void runWeights(const WeightsArguments& args) {
  Kernel kernel = parseKernel(args.kernel);
  bool gaussian = kernel == Kernel::Mgk || kernel == Kernel::MgkHard || kernel == Kernel::Mlk;
  if (args.keys.size() > 1 && !gaussian)
    throw InputError("--k was given " + std::to_string(args.keys.size()) +
                     " times; only mgk, mgk-hard and mlk take one key matrix per component");
  if (!gaussian && (!args.shifts.empty() || !args.priors.empty() || !args.variances.empty()))
    throw InputError("--shifts, --pi and --sigma2 apply only to mgk, mgk-hard and mlk");
  if (args.cosineTemperature && kernel != Kernel::Cosine) throw InputError("--tau applies only to the cosine kernel");
  if (args.expressiveForm != "saturating" && args.expressiveForm != "pure")
    throw InputError("--ea-form must be 'saturating' or 'pure', got '" + args.expressiveForm + "'");

  std::string queriesLabel, keysLabel;
  RowMatrix Q = readFiniteMatrix(args.queries, "q", &queriesLabel);
  RowMatrix K = readFiniteMatrix(args.keys.front(), "k", &keysLabel);
  if (Q.cols() != K.cols())
    throw InputError(queriesLabel + " has dimension " + std::to_string(Q.cols()) + " but " + keysLabel +
                     " has dimension " + std::to_string(K.cols()) + "; they must match");

  AttentionOptions options;
  options.scale = args.scale;
  options.causal = args.causal;
  options.expressiveForm = args.expressiveForm == "pure" ? ExpressiveForm::Pure : ExpressiveForm::Saturating;
  if (args.cosineTemperature) options.cosineTemperature = *args.cosineTemperature;
  options.computeScores = !args.scoresOut.empty();
  options.memoryBudgetBytes = memoryBudget();
  if (args.keys.size() > 1) {
    options.gaussian.componentKeys.push_back(K);
    for (std::size_t r = 1; r < args.keys.size(); ++r) {
      std::string componentLabel;
      RowMatrix component = readFiniteMatrix(args.keys[r], "k", &componentLabel);
      if (component.rows() != K.rows() || component.cols() != K.cols())
        throw InputError(componentLabel + " is " + std::to_string(component.rows()) + " x " +
                         std::to_string(component.cols()) + " but " + keysLabel + " is " + std::to_string(K.rows()) +
                         " x " + std::to_string(K.cols()) + "; every component's key matrix needs the same shape");
      options.gaussian.componentKeys.push_back(std::move(component));
    }
  }
  if (!args.shifts.empty()) {
    if (args.keys.size() > 1) throw InputError("give either --k once per MGK component or --shifts, not both");
    options.gaussian.shifts = readFiniteMatrix(args.shifts, "shifts");
  }
  if (!args.priors.empty()) options.gaussian.priors = parseList(args.priors, "--pi");
  if (!args.variances.empty()) options.gaussian.variances = parseList(args.variances, "--sigma2");

  AttentionResult result = computeAttention(kernel, Q, K, options);
  writeNpyMatrix(args.out, result.weights);
  if (!args.scoresOut.empty()) writeNpyMatrix(args.scoresOut, result.scores);
  // Notes go to stderr so stdout stays clean for scripts; they are information, not failure.
  if (!result.fallbackRows.empty())
    std::fprintf(stderr, "attnscope: note: %zu row(s) had zero score mass and got uniform weights: %s\n",
                 result.fallbackRows.size(), rowList(result.fallbackRows).c_str());
  if (!result.emptyRows.empty())
    std::fprintf(stderr, "attnscope: note: %zu row(s) have every key masked and are all zeros: %s\n",
                 result.emptyRows.size(), rowList(result.emptyRows).c_str());
}

void installWeightsCommand(CLI::App& parent) {
  auto args = std::make_shared<WeightsArguments>();
  CLI::App* command = parent.add_subcommand(
      "weights",
      "Compute N x M attention weights of one kernel from Q (N x d) and K (M x d) .npy files (float32 or float64, "
      "C order, 2-D); writes float32 .npy.");
  std::vector<std::string> names;
  for (Kernel kernel : kAllKernels) names.emplace_back(kernelName(kernel));
  command->add_option("--kernel", args->kernel, "Attention kernel")->required()->check(CLI::IsMember(names));
  command
      ->add_option("--q", args->queries,
                   "Queries .npy, N x d (or an .npz archive: x.npz:NAME, or x.npz holding one array or one called q)")
      ->required();
  command
      ->add_option("--k", args->keys,
                   "Keys .npy, M x d (or x.npz:NAME; x.npz alone takes its array k). For mgk/mgk-hard/mlk repeat it, "
                   "one key matrix per Gaussian component")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_option("--scale", args->scale, "Logit scale s of dpa/ea (default 1/sqrt(d))");
  command->add_flag("--causal", args->causal, "Causal mask: query i sees keys j <= i");
  command->add_option("--ea-form", args->expressiveForm, "f(x) of ea: saturating x^2/(1+x^2) (default) or pure x^2")
      ->check(CLI::IsMember({"saturating", "pure"}));
  command->add_option("--shifts", args->shifts, "MGK shifted keys: R x d .npy, centres k_j + b_r (with one --k)");
  command->add_option("--pi", args->priors, "MGK priors per component, e.g. 0.5,0.5 (default equal)");
  command->add_option("--sigma2", args->variances, "MGK variances per component, e.g. 8,2.67 (default sqrt(d))");
  command->add_option("--tau", args->cosineTemperature, "Temperature of cosine attention (default 0.1)");
  command->add_option("--out", args->out, "Output .npy for the N x M weights (float32)")->required();
  command->add_option("--scores", args->scoresOut,
                      "Also write the pre-normalisation scores (logits, f(x), log S) as float32 .npy");
  command->callback([args] { runWeights(*args); });
}

const RegisterCommand registration{"weights", &installWeightsCommand};

}  // namespace
}  // namespace attnscope::cli
