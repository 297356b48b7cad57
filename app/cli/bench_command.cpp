// `attnscope bench`: times one core computation in-process on seeded random data and prints one JSON object
// (median_ms, min_ms, mean_ms, ...), for comparing machines and for the side-by-side PyTorch script.
// `--metric M` times an alignment divergence (core/divergence.h) the same way. Adding a benchmark target means: an
// option in installBenchCommand, a workload factory like kernelWorkload, and a branch in runBench; timing and JSON
// output are shared.
#include <omp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "app/cli/command_registry.h"
#include "app/cli/train_options.h"
#include "core/attention_kernels.h"
#include "core/divergence.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/random_matrix.h"
#include "core/train/trainer.h"

namespace attnscope::cli {
namespace {

struct BenchArguments {
  std::string kernel;
  std::string metric;
  int queries = 0;  // N
  int keys = 0;     // M; 0 = same as N
  int dimension = 0;
  int repeat = 10;
  unsigned seed = 1;
  int components = 2;
  bool scores = false;
  int sinkhornIterations = 30;
  // --train: one AdamW step (forward, backward, update) of the training transformer.
  bool train = false;
  ModelArguments model;
  int batch = 32;
};

/// What was measured, besides the times.
struct Workload {
  std::function<void()> run;
  nlohmann::json description;
};

Workload kernelWorkload(const BenchArguments& args) {
  Kernel kernel = parseKernel(args.kernel);
  const int keyCount = args.keys > 0 ? args.keys : args.queries;
  std::mt19937 rng(args.seed);
  auto Q = std::make_shared<RowMatrix>(standardNormalMatrix(args.queries, args.dimension, rng));
  auto K = std::make_shared<RowMatrix>(standardNormalMatrix(keyCount, args.dimension, rng));
  auto options = std::make_shared<AttentionOptions>();
  // Off by default: PyTorch's softmax returns only the weights, so the comparison is like for like.
  options->computeScores = args.scores;
  nlohmann::json description = {
      {"kernel", args.kernel}, {"n", args.queries}, {"m", keyCount}, {"d", args.dimension}, {"scores", args.scores}};
  if (kernel == Kernel::Mgk || kernel == Kernel::MgkHard || kernel == Kernel::Mlk) {
    if (args.components < 1) throw InputError("--components must be at least 1");
    // One key matrix per component (R GEMMs, the general MGK case) and the official code's two-component variances
    // sqrt(d) and sqrt(d)/3 (further components repeat sqrt(d)).
    const float rootD = std::sqrt(static_cast<float>(args.dimension));
    options->gaussian.componentKeys.push_back(*K);
    for (int r = 1; r < args.components; ++r)
      options->gaussian.componentKeys.push_back(standardNormalMatrix(keyCount, args.dimension, rng));
    options->gaussian.variances = Vector::Constant(args.components, rootD);
    if (args.components >= 2) options->gaussian.variances(1) = rootD / 3.0f;
    options->gaussian.priors = Vector::Constant(args.components, 1.0f / static_cast<float>(args.components));
    description["components"] = args.components;
  }
  return {[kernel, Q, K, options] {
            AttentionResult result = computeAttention(kernel, *Q, *K, *options);
            // Touch the result so the call cannot be optimised away.
            if (!(result.weights(0, 0) >= 0.0f)) throw Error("benchmark produced an invalid weight");
          },
          description};
}

Workload divergenceWorkload(const BenchArguments& args) {
  const Metric metric = parseMetric(args.metric);
  const int keyCount = args.keys > 0 ? args.keys : args.queries;
  std::mt19937 rng(args.seed);
  auto Q = std::make_shared<RowMatrix>(standardNormalMatrix(args.queries, args.dimension, rng));
  auto K = std::make_shared<RowMatrix>(standardNormalMatrix(keyCount, args.dimension, rng));
  DivergenceOptions options;
  nlohmann::json description = {{"metric", args.metric}, {"n", args.queries}, {"m", keyCount}, {"d", args.dimension}};
  if (metric == Metric::Sinkhorn) {
    // A fixed sweep count (epsilon-scaling sweeps included) so machines are compared on equal work: the smallest
    // positive tolerance is never reached in practice.
    if (args.sinkhornIterations < 1) throw InputError("--iters must be at least 1");
    options.maxIterations = args.sinkhornIterations;
    options.tolerance = std::numeric_limits<double>::min();
    description["iterations"] = args.sinkhornIterations;
    description["epsilon"] = options.epsilon;
  }
  return {[metric, Q, K, options] {
            const DivergenceResult result = alignmentDivergence(metric, *Q, *K, options);
            if (!std::isfinite(result.value)) throw Error("benchmark produced a non-finite divergence");
          },
          description};
}

/// One AdamW step of the training transformer on seeded uniform random tokens (B x T inputs and targets, every
/// position counted): the work per step of `attnscope train`, without the task generator.
Workload trainWorkload(const BenchArguments& args) {
  ModelArguments model = args.model;
  model.kernel = args.kernel.empty() ? "dpa" : args.kernel;
  model.components = args.components;
  if (model.vocab <= 0) model.vocab = 32;
  const train::ModelConfig config = modelConfig(model);
  if (args.batch < 1) throw InputError("--batch must be at least 1");
  requireWithinBudget(train::trainingMemoryBytes(config, args.batch, config.context), "bench --train");
  train::keepTrainingMemoryResident();
  auto transformer = std::make_shared<train::Transformer<float>>(config);
  transformer->initialise(args.seed);
  auto batch = std::make_shared<train::TokenBatch>();
  batch->batch = args.batch;
  batch->length = config.context;
  std::mt19937 rng(args.seed);
  for (int i = 0; i < args.batch * config.context; ++i) {
    batch->inputs.push_back(static_cast<int>(rng() % static_cast<unsigned>(config.vocab)));
    batch->targets.push_back(static_cast<int>(rng() % static_cast<unsigned>(config.vocab)));
  }
  train::OptimizerOptions options;  // AdamW, clip 1, as PyTorch's side of bench/train_bench.py
  options.learningRate = 1e-3;
  auto optimizer = std::make_shared<train::Optimizer>(options, transformer->parameters());
  auto gradients = std::make_shared<std::vector<train::Matrix<float>>>();
  nlohmann::json description = {{"train", true},         {"kernel", model.kernel}, {"layers", config.layers},
                                {"heads", config.heads}, {"dim", config.dim},      {"context", config.context},
                                {"batch", args.batch},   {"vocab", config.vocab},  {"align", model.align}};
  if (train::kernelHasMixture(config.kernel)) description["components"] = config.mgkComponents;
  return {[transformer, batch, optimizer, gradients] {
            const train::LossReport report = transformer->lossAndGradients(*batch, gradients.get());
            if (!std::isfinite(report.loss)) throw Error("benchmark produced a non-finite loss");
            optimizer->step(transformer->parameters(), *gradients);
          },
          description};
}

struct Timing {
  double medianMs = 0, minMs = 0, meanMs = 0, maxMs = 0;
  double cpuMs = 0;  // process CPU time (all threads, user + system) per run: stable on a busy machine
};

double processCpuMs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) {
    return 1e3 * static_cast<double>(t.tv_sec) + 1e-3 * static_cast<double>(t.tv_usec);
  };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

/// One untimed warm-up run (page faults, thread-pool start), then `repeat` timed runs.
Timing measure(const std::function<void()>& run, int repeat) {
  run();
  std::vector<double> ms;
  double cpuStart = processCpuMs();
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  Timing timing;
  timing.cpuMs = (processCpuMs() - cpuStart) / repeat;
  std::sort(ms.begin(), ms.end());
  std::size_t n = ms.size();
  timing.medianMs = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  timing.minMs = ms.front();
  timing.maxMs = ms.back();
  timing.meanMs = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(n);
  return timing;
}

void runBench(const BenchArguments& args) {
  if (args.train) {
    if (!args.metric.empty()) throw InputError("--train times a training step; --metric does not apply");
    if (args.repeat < 1) throw InputError("--repeat must be at least 1");
    Workload workload = trainWorkload(args);
    Timing timing = measure(workload.run, args.repeat);
    nlohmann::json out = workload.description;
    out["repeat"] = args.repeat;
    out["seed"] = args.seed;
    out["threads"] = omp_get_max_threads();
    out["median_ms"] = timing.medianMs;
    out["min_ms"] = timing.minMs;
    out["mean_ms"] = timing.meanMs;
    out["cpu_ms"] = timing.cpuMs;
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  if (args.queries < 1 || args.dimension < 1) throw InputError("--n and --d must be at least 1");
  if (args.keys < 0) throw InputError("--m must be at least 1");
  if (args.repeat < 1) throw InputError("--repeat must be at least 1");
  if (args.kernel.empty() == args.metric.empty())
    throw InputError("give exactly one of --kernel K (attention weights) or --metric M (alignment divergence)");
  {
    // Q, K (one per Gaussian component) and the N x M outputs (twice with scores); refused before any allocation.
    const double n = args.queries, m = args.keys > 0 ? args.keys : args.queries, d = args.dimension;
    const double keyMatrices = args.kernel.empty() ? 1.0 : std::max(1, args.components);
    const double outputs = args.scores ? 2.0 : 1.0;
    requireWithinBudget((n * d + keyMatrices * m * d + outputs * n * m) * sizeof(float),
                        "bench with N = " + std::to_string(args.queries) + ", M = " +
                            std::to_string(static_cast<long long>(m)) + ", d = " + std::to_string(args.dimension));
  }
  Workload workload = args.kernel.empty() ? divergenceWorkload(args) : kernelWorkload(args);
  Timing timing = measure(workload.run, args.repeat);
  nlohmann::json out = workload.description;
  out["repeat"] = args.repeat;
  out["seed"] = args.seed;
  out["threads"] = omp_get_max_threads();
  out["median_ms"] = timing.medianMs;
  out["min_ms"] = timing.minMs;
  out["mean_ms"] = timing.meanMs;
  out["max_ms"] = timing.maxMs;
  out["cpu_ms"] = timing.cpuMs;
  std::printf("%s\n", out.dump().c_str());
}

void installBenchCommand(CLI::App& parent) {
  auto args = std::make_shared<BenchArguments>();
  CLI::App* command = parent.add_subcommand(
      "bench", "Time a core computation on seeded random data (standard normal Q: N x d, K: M x d) and print JSON.");
  std::vector<std::string> names;
  for (Kernel kernel : kAllKernels) names.emplace_back(kernelName(kernel));
  command->add_option("--kernel", args->kernel, "Attention kernel to time")->check(CLI::IsMember(names));
  std::vector<std::string> metrics;
  for (Metric metric : allMetrics()) metrics.emplace_back(metricName(metric));
  command->add_option("--metric", args->metric, "Alignment divergence to time (instead of --kernel)")
      ->check(CLI::IsMember(metrics));
  command->add_option(
      "--iters", args->sinkhornIterations,
      "Sinkhorn sweeps per OT problem for --metric sinkhorn, run in full (default 30, as bench/divergence_bench)");
  command->add_option("--n", args->queries, "Number of queries N (required unless --train)");
  command->add_option("--m", args->keys, "Number of keys M (default N)");
  command->add_option("--d", args->dimension, "Vector dimension d (required unless --train)");
  command->add_flag("--train", args->train,
                    "Time one AdamW step of the training transformer (with --kernel and the model options below)");
  addModelOptions(*command, args->model, false);
  command->add_option("--batch", args->batch, "--train: sequences per step (default 32)");
  command->add_option("--repeat", args->repeat, "Timed repetitions after one warm-up (default 10)");
  command->add_option("--seed", args->seed, "Random seed (default 1)");
  command->add_option("--components", args->components, "Gaussian components per key for mgk/mgk-hard/mlk (default 2)");
  command->add_flag("--scores", args->scores, "Also compute the pre-normalisation scores (off: weights only)");
  command->callback([args] { runBench(*args); });
}

const RegisterCommand registration{"bench", &installBenchCommand};

}  // namespace
}  // namespace attnscope::cli
