// `attnscope model info|generate|capture`: inspect a checkpoint, generate text with a llama2.c model exactly as
// llama2.c prints it, and write a Q/K capture file for any model the core can open.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/command_registry.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/model/capture_file.h"
#include "core/model/gguf_model.h"
#include "core/model/head_metrics.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/llama2c.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/model/llama_generate.h"
#include "core/model/model.h"
#include "core/model/spm_tokenizer.h"

namespace attnscope::cli {
namespace {

namespace fs = std::filesystem;
using namespace attnscope::model;

struct InfoArguments {
  std::string path;
};

struct GenerateArguments {
  std::string model;
  std::string tokenizer;
  std::string prompt;
  std::string tokenIds;   // instead of --prompt, for models without a tokenizer (key-value cache path)
  bool printIds = false;  // print token ids instead of text (key-value cache path)
  float temperature = 1.0f;
  float topp = 0.9f;
  int steps = 256;
  uint64_t seed = 0;
  bool capture = false;
  std::string captureOut;
  bool bench = false;
};

struct HeadsArguments {
  std::string model;
  std::string prompt;
  std::string tokenIds;
  std::string tokenizer;
  std::string csv;
  std::string sort;
  std::string divergence = "ct";
  double sinkThreshold = 0.3;
  int inductionPeriod = 32;
  bool inductionPeriodGiven = false;
  uint64_t seed = 1;
};

struct CaptureArguments {
  std::string model;
  std::string prompt;
  std::string tokenIds;
  std::string tokenizer;
  std::string out;
  bool noAttention = false;
};

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

void printInfo(const InfoArguments& args) {
  const std::unique_ptr<Model> model = openModel(args.path);
  const ModelInfo& info = model->info();
  std::printf("path:          %s\n", info.path.c_str());
  std::printf("format:        %s\n", info.format.c_str());
  std::printf("architecture:  %s\n", info.architecture.c_str());
  std::printf("layers:        %d\n", info.layers);
  std::printf("heads:         %d query, %d key/value%s\n", info.heads, info.keyValueHeads,
              info.keyValueHeads < info.heads ? " (grouped-query attention)" : "");
  std::printf("model dim:     %d (head dim %d)\n", info.modelDim, info.headDim);
  std::printf("vocabulary:    %d\n", info.vocabSize);
  std::printf("max sequence:  %d\n", info.maxSequence);
  std::string window;
  if (info.slidingWindow > 0) {
    window = ", sliding window " + std::to_string(info.slidingWindow);
    if (!info.slidingLayers.empty()) {  // Gemma 2/3: local layers listed, the others attend globally
      std::string layers;
      for (size_t l = 0; l < info.slidingLayers.size(); ++l)
        if (info.slidingLayers[l]) layers += (layers.empty() ? "" : ",") + std::to_string(l);
      window += " on layers " + (layers.empty() ? std::string("(none)") : layers) + " (the others global)";
    }
  }
  if (info.attentionSoftcap > 0.0f) {
    char cap[160];
    std::snprintf(cap, sizeof cap, ", scores soft-capped at %g (weights are the softmax of the capped scores)",
                  info.attentionSoftcap);
    window += cap;
  }
  std::printf("attention:     %s%s%s%s, kernel %s\n", info.causal ? "causal" : "bidirectional",
              info.rope ? ", rotary (RoPE)" : "",
              info.qkNorm ? ", QK-norm (q/k shown after the norm; captures also hold them before it)" : "",
              window.c_str(), info.attentionKernel.c_str());
  std::printf("tensor types:  %s\n", tensorTypeSummary(info).c_str());
  if (const auto* llama = dynamic_cast<const Llama2cModel*>(model.get())) {
    if (info.format == "gguf")
      std::printf("tokenizer:     %s\n", llama->tokenizer() ? "embedded (tokenizer.ggml)" : "(none in the file)");
    else
      std::printf("tokenizer:     %s\n",
                  llama->tokenizerPath().empty() ? "(none found next to the model)" : llama->tokenizerPath().c_str());
  }
  int64_t parameters = 0;
  size_t nameWidth = 4;
  for (const TensorInfo& tensor : info.tensors) nameWidth = std::max(nameWidth, tensor.name.size());
  std::printf("tensors:       %zu\n", info.tensors.size());
  for (const TensorInfo& tensor : info.tensors) {
    int64_t count = 1;
    for (int64_t s : tensor.shape) count *= s;
    parameters += count;
    std::printf("  %-*s  %-4s  %s\n", int(nameWidth), tensor.name.c_str(), tensor.dtype.c_str(),
                shapeText(tensor.shape).c_str());
  }
  std::printf("parameters:    %lld (stored values, including unused tables)\n", static_cast<long long>(parameters));
}

// The tokenizer of a llama-family `model`: --tokenizer (a llama2.c tokenizer) if given, else the one attached when
// the model was opened: tok*.bin next to a llama2.c checkpoint, the embedded vocabulary of a GGUF file (reported
// on stderr).
std::shared_ptr<const Tokenizer> llamaTokenizer(Llama2cModel& model, const std::string& explicitPath) {
  if (!explicitPath.empty()) {
    std::shared_ptr<const Llama2cTokenizer> tokenizer = openLlama2cTokenizer(explicitPath, model.config().vocabSize);
    model.setTokenizer(tokenizer, explicitPath);
    return tokenizer;
  }
  if (!model.tokenizer()) {
    if (model.info().format == "gguf")
      throw InputError(model.info().path + " has no tokenizer.ggml vocabulary; pass --tokenizer (a llama2.c tok*.bin)");
    throw InputError("no llama2.c tokenizer with " + std::to_string(model.config().vocabSize) + " tokens next to " +
                     model.info().path + " (looked for tok" + std::to_string(model.config().vocabSize) +
                     ".bin, tokenizer.bin, tok*.bin); pass --tokenizer");
  }
  if (model.info().format == "gguf")
    std::fprintf(stderr, "attnscope: using the tokenizer embedded in %s\n", model.tokenizerPath().c_str());
  else
    std::fprintf(stderr, "attnscope: using tokenizer %s\n", model.tokenizerPath().c_str());
  return model.sharedTokenizer();
}

Llama2cModel& requireLlama2c(Model& model, const char* command) {
  auto* llama = dynamic_cast<Llama2cModel*>(&model);
  if (!llama)
    throw InputError(std::string("`model ") + command + "` runs llama2.c checkpoints and GGUF llama files; " +
                     model.info().path + " is a " + model.info().format + " model");
  return *llama;
}

std::shared_ptr<const Tokenizer> findTokenizer(Model& model, const std::string& explicitPath);
std::vector<int> parseTokenIds(const std::string& text);
std::vector<int> promptIds(const Model& model, const Tokenizer* tokenizer, const std::string& prompt,
                           const std::string& tokenIds);

// Generation for every other causal model (Hugging Face folders, GPT-2 GGUF files) through its key-value cache:
// the prompt is fed in one pass, then each sampled token alone; llama2.c's sampler picks the tokens.
void runCachedGenerate(Model& model, const GenerateArguments& args) {
  if (args.capture || !args.captureOut.empty())
    throw InputError("--capture is available for llama2.c and GGUF llama models; for " + model.info().path +
                     " run `model capture` on the generated text");
  const std::unique_ptr<Decoder> decoder = model.startDecoding();
  if (!decoder)
    throw InputError(model.info().path + " is a " + model.info().architecture + " " + model.info().format +
                     " model, which does not generate text (an encoder or a capture file)");
  const std::shared_ptr<const Tokenizer> tokenizer = findTokenizer(model, args.tokenizer);
  std::vector<int> tokens = promptIds(model, tokenizer.get(), args.prompt, args.tokenIds);
  if (tokens.empty() && model.info().bosTokenId >= 0) tokens.push_back(model.info().bosTokenId);
  if (tokens.empty())
    throw InputError("the prompt is empty and " + model.info().path + " has no BOS token; give --prompt");
  const int limit = args.steps > 0 ? std::min(args.steps, model.info().maxSequence) : model.info().maxSequence;
  if (static_cast<int>(tokens.size()) > limit)
    throw InputError("the prompt has " + std::to_string(tokens.size()) + " tokens, more than --steps / the context (" +
                     std::to_string(limit) + ")");
  SamplerOptions samplerOptions;
  samplerOptions.temperature = args.temperature;
  samplerOptions.topp = args.topp;
  samplerOptions.seed = args.seed != 0 ? args.seed : uint64_t(std::time(nullptr));
  Sampler sampler(model.info().vocabSize, samplerOptions);

  const size_t promptLength = tokens.size();
  std::string printed;
  auto emit = [&] {  // prints what the decoded text gained since the last call (the ids without a tokenizer)
    std::string text;
    if (tokenizer && !args.printIds) {
      text = tokenizer->decode(tokens);
    } else {
      for (int id : tokens) text += (text.empty() ? "" : " ") + std::to_string(id);
    }
    if (text.size() > printed.size() && text.compare(0, printed.size(), printed) == 0) {
      std::fwrite(text.data() + printed.size(), 1, text.size() - printed.size(), stdout);
      std::fflush(stdout);
      printed = text;
    }
  };
  emit();
  const auto promptStart = std::chrono::steady_clock::now();
  std::vector<float> logits = decoder->feed(tokens);  // the first feed also reads the weights
  const double promptSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - promptStart).count();
  const auto wallStart = std::chrono::steady_clock::now();
  const std::clock_t cpuStart = std::clock();
  while (decoder->position() < limit) {
    const int next = sampler.sample(logits);
    if (next == model.info().eosTokenId) break;
    tokens.push_back(next);
    emit();
    if (decoder->position() + 1 > limit) break;
    logits = decoder->feed(std::span<const int>(&tokens.back(), 1));
  }
  if (isatty(STDOUT_FILENO)) std::fputc('\n', stdout);
  std::fflush(stdout);
  if (args.bench) {
    // Generation alone (one position per token through the cache); the prompt pass also converts the weights.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
    const double cpuSeconds = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    const size_t generated = tokens.size() - promptLength;
    std::fprintf(stderr,
                 "attnscope: prompt of %zu tokens in %.4f s (with reading the weights); %zu generated tokens in %.4f s "
                 "wall (%.0f tokens/s), %.4f s CPU (%.0f tokens/s), key-value cache\n",
                 promptLength, promptSeconds, generated, seconds, seconds > 0 ? double(generated) / seconds : 0.0,
                 cpuSeconds, cpuSeconds > 0 ? double(generated) / cpuSeconds : 0.0);
  }
}

void runGenerate(const GenerateArguments& args) {
  const std::unique_ptr<Model> opened = openModel(args.model);
  if (!dynamic_cast<Llama2cModel*>(opened.get())) return runCachedGenerate(*opened, args);
  Llama2cModel& model = *dynamic_cast<Llama2cModel*>(opened.get());
  if (!args.tokenIds.empty() || args.printIds)
    throw InputError(
        "--token-ids and --ids are for Hugging Face and GPT-2 GGUF models; llama2.c models start from "
        "--prompt and print text");
  const std::shared_ptr<const Tokenizer> tokenizer = llamaTokenizer(model, args.tokenizer);

  GenerateOptions options;
  options.prompt = args.prompt;
  options.steps = args.steps;
  options.sampler.temperature = args.temperature;
  options.sampler.topp = args.topp;
  // llama2.c seeds from the clock when no seed is given.
  options.sampler.seed = args.seed != 0 ? args.seed : uint64_t(std::time(nullptr));
  options.capture = args.capture || !args.captureOut.empty();

  const std::clock_t cpuStart = std::clock();
  const GenerateResult result = generate(model, *tokenizer, options, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  // llama2.c ends with a newline; piped output stays byte-identical to the text (greedy_reference.txt has none),
  // while a terminal gets its prompt back on a fresh line.
  if (isatty(STDOUT_FILENO)) std::fputc('\n', stdout);
  std::fflush(stdout);
  if (args.bench) {
    // CPU time as well: on a shared machine wall time mostly measures the other processes.
    const double cpuSeconds = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    std::fprintf(stderr,
                 "attnscope: %d positions in %.4f s wall (%.0f tokens/s), %.4f s CPU (%.0f tokens/s), capture %s\n",
                 result.positions, result.seconds, result.seconds > 0 ? result.positions / result.seconds : 0.0,
                 cpuSeconds, cpuSeconds > 0 ? result.positions / cpuSeconds : 0.0, options.capture ? "on" : "off");
  }
  if (!args.captureOut.empty()) {
    writeCaptureFile(args.captureOut, result.capture, model.info().path);
    std::fprintf(stderr, "attnscope: wrote %s (%d tokens, %d layers x %d heads)\n", args.captureOut.c_str(),
                 result.capture.tokens, result.capture.layers, result.capture.heads);
  }
}

std::vector<int> parseTokenIds(const std::string& text) {
  std::vector<int> ids;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const size_t first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    if (first == std::string::npos) throw InputError("--token-ids has an empty entry in '" + text + "'");
    item = item.substr(first, last - first + 1);
    size_t used = 0;
    long value = 0;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || value < 0 || value > 0x7fffffff)
      throw InputError("--token-ids entry '" + item + "' is not a non-negative integer (expected e.g. 3,17,42)");
    ids.push_back(int(value));
  }
  if (ids.empty()) throw InputError("--token-ids is empty (expected e.g. 3,17,42)");
  return ids;
}

// Any model's tokenizer: llama2.c .bin for llama2.c models, tokenizer.json for Hugging Face folders.
std::shared_ptr<const Tokenizer> findTokenizer(Model& model, const std::string& explicitPath) {
  if (auto* llama = dynamic_cast<Llama2cModel*>(&model)) {
    if (explicitPath.empty() && !llama->tokenizer()) return nullptr;
    return llamaTokenizer(*llama, explicitPath);
  }
  if (!explicitPath.empty()) return openTokenizerFile(explicitPath);
  if (model.info().format == "gguf") {  // gpt2 files: the vocabulary embedded in the file
    std::shared_ptr<const Tokenizer> tokenizer = findGgufTokenizer(model.info().path);
    if (tokenizer) std::fprintf(stderr, "attnscope: using the tokenizer embedded in %s\n", model.info().path.c_str());
    return tokenizer;
  }
  if (model.info().format != "safetensors") return nullptr;  // capture files carry their token texts
  std::shared_ptr<const Tokenizer> tokenizer = findHfTokenizer(model.info().path);
  if (tokenizer) std::fprintf(stderr, "attnscope: using the tokenizer.json of %s\n", model.info().path.c_str());
  return tokenizer;
}

// The token ids to run: --token-ids as given, else the prompt through the model's tokenizer (with BOS).
std::vector<int> promptIds(const Model& model, const Tokenizer* tokenizer, const std::string& prompt,
                           const std::string& tokenIds) {
  if (!tokenIds.empty()) return parseTokenIds(tokenIds);
  if (!tokenizer)
    throw InputError("--prompt needs a tokenizer and none was found for " + model.info().path +
                     "; pass --tokenizer FILE or give --token-ids");
  return tokenizer->encode(prompt, true);
}

void runCapture(const CaptureArguments& args) {
  const std::unique_ptr<Model> model = openModel(args.model);
  const std::shared_ptr<const Tokenizer> tokenizer = findTokenizer(*model, args.tokenizer);
  const std::vector<int> ids = promptIds(*model, tokenizer.get(), args.prompt, args.tokenIds);
  ModelCapture capture = model->run(ids);
  if (tokenizer) {
    capture.tokenTexts.clear();
    for (int id : capture.tokenIds) capture.tokenTexts.push_back(tokenizer->piece(id));
  }
  // Without attention the file is O(tokens) per head instead of O(tokens^2); readers compute the maps on demand.
  if (args.noAttention) capture.attention.clear();
  writeCaptureFile(args.out, capture, model->info().path);
  std::printf("wrote %s: %d tokens, %d layers x %d heads, head dim %d%s%s\n", args.out.c_str(), capture.tokens,
              capture.layers, capture.heads, capture.headDim, capture.rope ? ", with pre-RoPE q/k" : "",
              args.noAttention ? ", without attention" : "");
}

// One table cell on the terminal: a value, or "-" when the statistic was not measured (the CSV is core's).
std::string cellText(std::optional<double> value) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", *value);
  return text;
}

void runHeads(const HeadsArguments& args) {
  const std::unique_ptr<Model> model = openModel(args.model);
  const bool captureFile = model->info().format == "capture";
  std::shared_ptr<const Tokenizer> tokenizer;
  std::vector<int> ids;
  if (captureFile) {
    // A capture file replays the one sequence it recorded: that is the prompt.
    if (!args.prompt.empty() || !args.tokenIds.empty())
      throw InputError(model->info().path +
                       " is a capture file: it holds one recorded sequence, so --prompt and "
                       "--token-ids do not apply (give the model itself to run another prompt)");
    ids = readCaptureFile(args.model).tokenIds;
  } else {
    tokenizer = findTokenizer(*model, args.tokenizer);
    if (args.prompt.empty() && args.tokenIds.empty()) throw InputError("give --prompt TEXT or --token-ids 3,17,42");
    ids = promptIds(*model, tokenizer.get(), args.prompt, args.tokenIds);
  }
  HeadMetricsOptions options;
  options.sinkThreshold = args.sinkThreshold;
  if (args.divergence == "none")
    options.divergence.reset();
  else
    options.divergence = parseMetric(args.divergence);
  std::optional<HeadMetric> sortBy;
  if (!args.sort.empty()) sortBy = parseHeadMetric(args.sort);

  const ModelCapture prompt = model->run(ids);
  // The induction sequence starts like the prompt (its BOS, if the tokenizer adds one), so position 0 plays the same
  // role in both runs.
  const std::vector<int> prefix = inductionPrefix(ids, tokenizer.get());
  std::optional<ModelCapture> repeated;
  std::vector<int> repeatedIds;
  int period = args.inductionPeriod;
  // Tiny vocabularies or short contexts: as many tokens as fit (an explicit --induction-period is used as given).
  if (!args.inductionPeriodGiven) period = fittingInductionPeriod(model->info(), int(prefix.size()), period);
  if (captureFile && period > 0) {
    // A capture file replays one recorded sequence; it cannot run the repeated one.
    if (args.inductionPeriodGiven)
      throw InputError(model->info().path +
                       " is a capture file: it cannot run the induction sequence (omit "
                       "--induction-period, or give the model itself)");
    period = 0;
    std::fprintf(stderr, "attnscope: %s is a capture file; the induction score needs the model and is left out\n",
                 model->info().path.c_str());
  }
  if (period > 0) {
    repeatedIds = repeatedRandomTokens(prefix, model->info().vocabSize, period, args.seed);
    repeated = model->run(repeatedIds);
  }
  const HeadMetricsTable table =
      headMetrics(prompt, repeated ? &*repeated : nullptr, int(prefix.size()), period, options);

  std::vector<const HeadMetricsRow*> order;  // descending by --sort; unmeasured values last; ties in layer/head order
  for (int index : headMetricsOrder(table, sortBy)) order.push_back(&table.rows[size_t(index)]);
  std::printf("%d tokens, %d layers x %d heads; sink threshold %.2f: %d of %zu heads are sink heads (sink rate %.4f)\n",
              table.tokens, table.layers, table.heads, options.sinkThreshold,
              int(std::lround(table.sinkRate * double(table.rows.size()))), table.rows.size(), table.sinkRate);
  if (repeated) {
    std::printf("induction sequence (seed %llu, period %d):", static_cast<unsigned long long>(args.seed), period);
    for (int id : repeatedIds) std::printf(" %d", id);
    std::printf("\n");
  }
  std::printf("%5s %4s", "layer", "head");
  for (HeadMetric metric : allHeadMetrics()) std::printf(" %10s", std::string(headMetricName(metric)).c_str());
  std::printf("\n");
  for (const HeadMetricsRow* row : order) {
    std::printf("%5d %4d", row->layer, row->head);
    for (HeadMetric metric : allHeadMetrics()) std::printf(" %10s", cellText(row->value(metric)).c_str());
    std::printf("%s\n", row->sink ? "  sink" : "");
  }
  if (!args.csv.empty()) {
    writeFileAtomically(args.csv, [&](std::ostream& out) { writeHeadMetricsCsv(out, table, sortBy); });
    std::printf("wrote %s\n", args.csv.c_str());
  }
}

void installModelCommand(CLI::App& parent) {
  CLI::App* model = parent.add_subcommand("model", "Open transformer checkpoints: info, generate, capture, heads");
  model->require_subcommand(1);

  auto info = std::make_shared<InfoArguments>();
  CLI::App* infoCommand = model->add_subcommand("info", "Print architecture, sizes and the tensor list of a model");
  infoCommand->add_option("path", info->path, "llama2.c .bin, GGUF file, Hugging Face folder or capture file")
      ->required();
  infoCommand->callback([info] { printInfo(*info); });

  auto gen = std::make_shared<GenerateArguments>();
  CLI::App* generateCommand = model->add_subcommand(
      "generate",
      "Generate text: llama2.c and GGUF llama models print exactly what llama2.c prints; Hugging Face "
      "folders and GPT-2 GGUF files generate through their key-value cache");
  generateCommand->add_option("model", gen->model, "llama2.c .bin, GGUF file or Hugging Face model folder")->required();
  generateCommand->add_option("--tokenizer", gen->tokenizer, "llama2.c tokenizer (default: tok*.bin next to model)");
  auto* generatePrompt =
      generateCommand->add_option("--prompt", gen->prompt, "text to start from (default: empty, start from BOS)");
  generateCommand
      ->add_option("--token-ids", gen->tokenIds,
                   "start from these token ids instead (Hugging Face and GPT-2 GGUF models; printed as ids when the "
                   "model has no tokenizer)")
      ->excludes(generatePrompt);
  generateCommand->add_flag("--ids", gen->printIds,
                            "print the token ids (prompt and generated) instead of text (Hugging Face and GPT-2 GGUF "
                            "models)");
  generateCommand->add_option("--temperature", gen->temperature, "0 = greedy; default 1.0")
      ->check(CLI::NonNegativeNumber);
  generateCommand->add_option("--topp", gen->topp, "nucleus sampling threshold in [0, 1]; default 0.9")
      ->check(CLI::Range(0.0f, 1.0f));
  generateCommand->add_option("--steps", gen->steps, "positions to run including the prompt; 0 = the context length")
      ->check(CLI::NonNegativeNumber);
  generateCommand->add_option("--seed", gen->seed, "random seed (default: the current time)");
  generateCommand->add_flag("--capture", gen->capture, "record every head's Q/K/attention while generating");
  generateCommand->add_option("--capture-out", gen->captureOut, "write the generation's capture file here");
  generateCommand->add_flag("--bench", gen->bench, "print positions, seconds and tokens/s on stderr");
  generateCommand->callback([gen] { runGenerate(*gen); });

  auto heads = std::make_shared<HeadsArguments>();
  CLI::App* headsCommand = model->add_subcommand(
      "heads",
      "Per layer x head: attention sink, previous-token and induction scores, attention distance, entropy, "
      "query/key norms and the alignment divergence");
  headsCommand->add_option("path", heads->model, "llama2.c .bin, GGUF file, Hugging Face folder or capture file")
      ->required();
  auto* headsPrompt =
      headsCommand->add_option("--prompt", heads->prompt, "text to encode (BOS is prepended); not for capture files");
  auto* headsIds = headsCommand->add_option("--token-ids", heads->tokenIds, "comma-separated token ids, e.g. 3,17,42");
  headsPrompt->excludes(headsIds);
  headsCommand->add_option("--tokenizer", heads->tokenizer,
                           "tokenizer file (llama2.c .bin, tokenizer.json or a GGUF vocabulary)");
  headsCommand->add_option("--csv", heads->csv, "also write the table as CSV (one row per head)");
  headsCommand->add_option("--sort", heads->sort,
                           "sort by this statistic, largest first: sink, prev_token, induction, distance, entropy, "
                           "q_norm, k_norm, divergence");
  headsCommand->add_option("--divergence", heads->divergence,
                           "alignment divergence per head: ct (default), chamfer, mmd, mmd-unbiased, sinkhorn, "
                           "gauss-kl, gauss-w2, or none");
  headsCommand
      ->add_option("--sink-threshold", heads->sinkThreshold,
                   "a head whose mean attention to the first token exceeds this is a sink head (default 0.3, "
                   "Gu et al.)")
      ->check(CLI::Range(0.0, 1.0));
  auto* periodOption =
      headsCommand
          ->add_option("--induction-period", heads->inductionPeriod,
                       "length of the random sequence repeated twice for the induction score (default 32; 0 = "
                       "skip)")
          ->check(CLI::Range(0, 1 << 20));
  headsCommand->add_option("--seed", heads->seed, "seed of the induction sequence (default 1)");
  headsCommand->callback([heads, periodOption] {
    heads->inductionPeriodGiven = periodOption->count() > 0;
    runHeads(*heads);
  });

  auto cap = std::make_shared<CaptureArguments>();
  CLI::App* captureCommand =
      model->add_subcommand("capture", "Run a prompt and write every layer's and head's Q, K and attention");
  captureCommand->add_option("path", cap->model, "llama2.c .bin, GGUF file or Hugging Face model folder")->required();
  auto* prompt = captureCommand->add_option("--prompt", cap->prompt, "text to encode (BOS is prepended)");
  auto* ids = captureCommand->add_option("--token-ids", cap->tokenIds, "comma-separated token ids, e.g. 3,17,42");
  prompt->excludes(ids);
  captureCommand->add_option("--tokenizer", cap->tokenizer,
                             "tokenizer file (llama2.c .bin, tokenizer.json or a GGUF vocabulary)");
  captureCommand->add_option("--out", cap->out, "capture file to write (.safetensors)")->required();
  captureCommand->add_flag("--no-attention", cap->noAttention,
                           "store only q and k (plus tokens); the app and `attnscope map` compute the maps on demand");
  captureCommand->callback([cap, prompt, ids] {
    if (prompt->count() == 0 && ids->count() == 0) throw InputError("give --prompt TEXT or --token-ids 3,17,42");
    runCapture(*cap);
  });
}

const RegisterCommand registration{"model", &installModelCommand};

}  // namespace
}  // namespace attnscope::cli
