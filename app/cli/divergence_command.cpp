// `attnscope divergence`: alignment divergence between the queries and keys of one head, read from .npy files,
// printed as one JSON object (metric, value and what the metric reports besides: plans' terms, bandwidth, ...).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/command_registry.h"
#include "core/divergence.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "core/npz.h"
#include "core/validate.h"

namespace attnscope::cli {
namespace {

struct DivergenceArguments {
  std::string queries;
  std::string keys;
  std::string metric;
  std::optional<double> rho;
  std::optional<double> tau;
  std::optional<std::string> cost;
  std::optional<double> bandwidth;
  std::optional<double> epsilon;
  std::optional<int> iterations;
  std::optional<double> tolerance;
  std::optional<std::string> sinkhornCost;
  std::optional<double> covarianceRegularisation;
  std::string costOut, forwardOut, backwardOut;
};

/// `path` is a .npy file or an .npz archive (`x.npz:NAME`, or `x.npz` holding one array or one called `member`);
/// `label` receives the name later messages use ("x.npy", "x.npz:k").
RowMatrix readFiniteMatrix(const std::string& path, std::string_view member, std::string* labelOut = nullptr) {
  std::string label;
  RowMatrix matrix = readMatrixArgument(path, member, &label);
  if (labelOut) *labelOut = label;
  requireNonEmpty(matrix, label);
  requireFinite(matrix, label);
  return matrix;
}

// An option given for a metric that ignores it is almost always a mistake (e.g. --tau with mmd), so refuse it.
void requireApplies(bool given, bool applies, const char* option, const char* metrics) {
  if (given && !applies) throw InputError(std::string(option) + " applies only to " + metrics);
}

void runDivergence(const DivergenceArguments& args) {
  const Metric metric = parseMetric(args.metric);
  const bool transport = metric == Metric::Ct || metric == Metric::Chamfer;
  const bool mmd = metric == Metric::Mmd || metric == Metric::MmdUnbiased;
  const bool sinkhorn = metric == Metric::Sinkhorn;
  const bool gaussian = metric == Metric::GaussKl || metric == Metric::GaussW2;
  requireApplies(args.rho.has_value(), transport, "--rho", "ct and chamfer");
  requireApplies(args.cost.has_value(), transport, "--cost", "ct and chamfer");
  requireApplies(args.tau.has_value(), metric == Metric::Ct, "--tau", "ct");
  requireApplies(!args.costOut.empty() || !args.forwardOut.empty() || !args.backwardOut.empty(), metric == Metric::Ct,
                 "--cost-out, --forward-out and --backward-out", "ct");
  requireApplies(args.bandwidth.has_value(), mmd, "--bandwidth", "mmd and mmd-unbiased");
  requireApplies(args.epsilon || args.iterations || args.tolerance || args.sinkhornCost, sinkhorn,
                 "--epsilon, --iters, --tolerance and --sinkhorn-cost", "sinkhorn");
  requireApplies(args.covarianceRegularisation.has_value(), gaussian, "--cov-reg", "gauss-kl and gauss-w2");

  DivergenceOptions options;
  if (args.rho) options.rho = *args.rho;
  if (args.tau) options.tau = *args.tau;
  if (args.cost) options.cost = parseTransportCost(*args.cost);
  options.keepMatrices = !args.costOut.empty() || !args.forwardOut.empty() || !args.backwardOut.empty();
  options.bandwidth = args.bandwidth;
  if (args.epsilon) options.epsilon = *args.epsilon;
  if (args.iterations) options.maxIterations = *args.iterations;
  if (args.tolerance) options.tolerance = *args.tolerance;
  if (args.sinkhornCost) {
    if (*args.sinkhornCost == "squared-euclid")
      options.sinkhornCost = SinkhornCost::SquaredEuclid;
    else if (*args.sinkhornCost == "euclid")
      options.sinkhornCost = SinkhornCost::Euclid;
    else
      throw InputError("--sinkhorn-cost must be squared-euclid or euclid, got '" + *args.sinkhornCost + "'");
  }
  options.covarianceRegularisation = args.covarianceRegularisation;

  std::string queriesLabel, keysLabel;
  const RowMatrix Q = readFiniteMatrix(args.queries, "q", &queriesLabel);
  const RowMatrix K = readFiniteMatrix(args.keys, "k", &keysLabel);
  if (Q.cols() != K.cols())
    throw InputError(queriesLabel + " has dimension " + std::to_string(Q.cols()) + " but " + keysLabel +
                     " has dimension " + std::to_string(K.cols()) + "; they must match");

  {
    // CT, Chamfer and Sinkhorn hold M x N double matrices (cosines, costs, the CT plans; MMD works in blocks), and
    // Sinkhorn's self-transport terms add N x N and M x M. Three of each bounds what is alive at once.
    const double n = static_cast<double>(Q.rows()), m = static_cast<double>(K.rows());
    const bool pairwise = metric == Metric::Ct || metric == Metric::Chamfer || metric == Metric::Sinkhorn;
    const double pairs = metric == Metric::Sinkhorn ? n * m + n * n + m * m : n * m;
    if (pairwise)
      requireWithinBudget(3.0 * pairs * sizeof(double), "the " + std::string(metricName(metric)) + " divergence of " +
                                                            std::to_string(Q.rows()) + " queries and " +
                                                            std::to_string(K.rows()) + " keys");
  }
  const DivergenceResult result = alignmentDivergence(metric, Q, K, options);
  nlohmann::json out = {{"metric", std::string(metricName(metric))},
                        {"value", result.value},
                        {"n", Q.rows()},
                        {"m", K.rows()},
                        {"d", Q.cols()},
                        {"zero_floor", result.hasZeroFloor}};
  if (transport) {
    out["rho"] = options.rho;
    out["cost"] = std::string(transportCostName(options.cost));
    out["forward_term"] = result.forwardTerm;
    out["backward_term"] = result.backwardTerm;
    if (metric == Metric::Ct) out["tau"] = options.tau;
  } else if (mmd) {
    out["bandwidth"] = result.bandwidth;
    out["bandwidth_source"] = options.bandwidth ? "given" : "median";
  } else if (sinkhorn) {
    out["epsilon"] = options.epsilon;
    out["cost"] = options.sinkhornCost == SinkhornCost::SquaredEuclid ? "squared-euclid" : "euclid";
    out["iterations"] = result.iterations;
    out["max_iterations"] = options.maxIterations;
    out["converged"] = result.converged;
    out["marginal_error"] = result.marginalError;
  } else if (metric == Metric::GaussKl) {
    out["kl_q_to_k"] = result.klQueriesToKeys;
    out["kl_k_to_q"] = result.klKeysToQueries;
    out["regularisation"] = result.regularisation;
  } else {
    out["w2"] = std::sqrt(result.value);
    out["regularisation"] = result.regularisation;
  }
  if (!args.costOut.empty()) writeNpyMatrix(args.costOut, result.cost);
  if (!args.forwardOut.empty()) writeNpyMatrix(args.forwardOut, result.forwardPlan);
  if (!args.backwardOut.empty()) writeNpyMatrix(args.backwardOut, result.backwardPlan);
  std::printf("%s\n", out.dump().c_str());
}

void installDivergenceCommand(CLI::App& parent) {
  auto args = std::make_shared<DivergenceArguments>();
  CLI::App* command = parent.add_subcommand(
      "divergence",
      "Alignment divergence between queries Q (N x d) and keys K (M x d) from .npy files; prints one JSON object "
      "with at least \"metric\" and \"value\".");
  std::vector<std::string> names;
  for (Metric metric : allMetrics()) names.emplace_back(metricName(metric));
  command
      ->add_option("--q", args->queries,
                   "Queries .npy, N x d (float32 or float64, C order), or an .npz archive: x.npz:NAME, or x.npz "
                   "holding one array or one called q")
      ->required();
  command->add_option("--k", args->keys, "Keys .npy, M x d, or x.npz:NAME (x.npz alone takes its array k)")->required();
  command->add_option("--metric", args->metric, "Divergence")->required()->check(CLI::IsMember(names));
  command->add_option("--rho", args->rho, "ct/chamfer: weight of the key -> query term, in [0, 1] (default 0.5)");
  command->add_option("--tau", args->tau, "ct: navigator temperature > 0 (default 1)");
  command->add_option("--cost", args->cost, "ct/chamfer: euclid (default) or one-minus-cos")
      ->check(CLI::IsMember({"euclid", "one-minus-cos"}));
  command->add_option("--cost-out", args->costOut, "ct: write the M x N cost matrix (float32 .npy)");
  command->add_option("--forward-out", args->forwardOut, "ct: write the M x N forward plan P_fwd(q_j | k_i)");
  command->add_option("--backward-out", args->backwardOut, "ct: write the N x M backward plan P_bwd(k_i | q_j)");
  command->add_option("--bandwidth", args->bandwidth,
                      "mmd: RBF sigma in exp(-|x-y|^2 / (2 sigma^2)) (default: median pooled pairwise distance)");
  command->add_option("--epsilon", args->epsilon, "sinkhorn: entropic regularisation in cost units (default 0.1)");
  command->add_option("--iters", args->iterations, "sinkhorn: iteration cap per OT problem (default 1000)");
  command->add_option("--tolerance", args->tolerance, "sinkhorn: L1 marginal error to stop at (default 1e-6)");
  command->add_option("--sinkhorn-cost", args->sinkhornCost, "sinkhorn: squared-euclid (default) or euclid")
      ->check(CLI::IsMember({"squared-euclid", "euclid"}));
  command->add_option("--cov-reg", args->covarianceRegularisation,
                      "gauss-kl/gauss-w2: lambda added to both covariances (default 1e-6 * mean variance + 1e-9)");
  command->callback([args] { runDivergence(*args); });
}

const RegisterCommand registration{"divergence", &installDivergenceCommand};

}  // namespace
}  // namespace attnscope::cli
