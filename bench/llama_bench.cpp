// Generation speed of stories260K (greedy, KV cache): attnscope's decoder with and without capture, a whole-prompt
// capture run, and a plain scalar C-style forward pass (llama2.c's run.c loops) on the same weights as the yardstick.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/model/llama2c.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/model/llama_generate.h"

namespace {

using namespace attnscope::model;

// $ATTNSCOPE_MODELS_DIR when set, else the folder CMake found at configure time (bench/CMakeLists.txt).
std::filesystem::path modelsDirectory() {
  if (const char* env = std::getenv("ATTNSCOPE_MODELS_DIR"); env && *env) return env;
  return ATTNSCOPE_MODELS_DIR;
}

struct Stories {
  std::unique_ptr<Llama2cModel> model;
  std::unique_ptr<Llama2cTokenizer> tokenizer;
};

Stories& stories() {
  static Stories loaded = [] {
    Stories s;
    std::unique_ptr<Model> opened = openLlama2cModel(modelsDirectory() / "stories260K.bin");
    s.model.reset(dynamic_cast<Llama2cModel*>(opened.release()));
    s.tokenizer = openLlama2cTokenizer(modelsDirectory() / "tok512.bin", 512);
    return s;
  }();
  return loaded;
}

void BM_GenerateGreedy(benchmark::State& state) {
  Stories& s = stories();
  GenerateOptions options;
  options.sampler.temperature = 0.0f;
  options.steps = 512;
  options.capture = state.range(0) != 0;
  int64_t positions = 0;
  for (auto _ : state) {
    const GenerateResult result = generate(*s.model, *s.tokenizer, options);
    positions += result.positions;
    benchmark::DoNotOptimize(result.text.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(double(positions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GenerateGreedy)->ArgName("capture")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_RunCapture(benchmark::State& state) {
  Stories& s = stories();
  std::vector<int> ids(size_t(state.range(0)));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = i == 0 ? 1 : int(3 + (i * 37) % 509);
  for (auto _ : state) benchmark::DoNotOptimize(s.model->run(ids).attention.data());
  state.counters["tokens/s"] =
      benchmark::Counter(double(state.iterations()) * double(ids.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RunCapture)->ArgName("tokens")->Arg(64)->Arg(346)->Unit(benchmark::kMillisecond);

// llama2.c's run.c forward(), scalar loops and all, to measure what "a plain C forward pass" does here and now.
struct PlainC {
  LlamaConfig p;
  LlamaWeights w;
  std::vector<float> x, xb, xb2, hb, hb2, q, att, logits, keyCache, valueCache;

  PlainC(const LlamaConfig& config, const LlamaWeights& weights) : p(config), w(weights) {
    const int kvDim = p.kvDim();
    x.resize(p.modelDim), xb.resize(p.modelDim), xb2.resize(p.modelDim), q.resize(p.modelDim);
    hb.resize(p.hiddenDim), hb2.resize(p.hiddenDim), att.resize(size_t(p.heads) * p.maxSequence);
    logits.resize(p.vocabSize);
    keyCache.resize(size_t(p.layers) * p.maxSequence * kvDim), valueCache.resize(keyCache.size());
  }
  static void rmsnorm(float* o, const float* x, const float* weight, int size) {
    float ss = 0.0f;
    for (int j = 0; j < size; j++) ss += x[j] * x[j];
    ss = 1.0f / std::sqrt(ss / size + 1e-5f);
    for (int j = 0; j < size; j++) o[j] = weight[j] * (ss * x[j]);
  }
  static void softmax(float* x, int size) {
    float max = x[0];
    for (int i = 1; i < size; i++) max = x[i] > max ? x[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < size; i++) sum += (x[i] = std::exp(x[i] - max));
    for (int i = 0; i < size; i++) x[i] /= sum;
  }
  static void matmul(float* xout, const float* x, const float* w, int n, int d) {
    for (int i = 0; i < d; i++) {
      float val = 0.0f;
      for (int j = 0; j < n; j++) val += w[i * n + j] * x[j];
      xout[i] = val;
    }
  }
  const float* forward(int token, int pos) {
    const int dim = p.modelDim, kvDim = p.kvDim(), kvMul = p.heads / p.kvHeads, hidden = p.hiddenDim;
    const int headSize = p.headDim();
    std::memcpy(x.data(), w.tokenEmbedding + token * dim, dim * sizeof(float));
    for (int l = 0; l < p.layers; l++) {
      rmsnorm(xb.data(), x.data(), w.attentionNorm + l * dim, dim);
      const size_t loff = size_t(l) * p.maxSequence * kvDim;
      float* k = keyCache.data() + loff + pos * kvDim;
      float* v = valueCache.data() + loff + pos * kvDim;
      matmul(q.data(), xb.data(), w.wq + l * dim * dim, dim, dim);
      matmul(k, xb.data(), w.wk + l * dim * kvDim, dim, kvDim);
      matmul(v, xb.data(), w.wv + l * dim * kvDim, dim, kvDim);
      for (int i = 0; i < dim; i += 2) {
        const float freq = 1.0f / std::pow(10000.0f, float(i % headSize) / float(headSize));
        const float val = float(pos) * freq, fcr = std::cos(val), fci = std::sin(val);
        for (int r = 0; r < (i < kvDim ? 2 : 1); r++) {
          float* vec = r == 0 ? q.data() : k;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (int h = 0; h < p.heads; h++) {
        const float* qh = q.data() + h * headSize;
        float* a = att.data() + h * p.maxSequence;
        for (int t = 0; t <= pos; t++) {
          const float* kt = keyCache.data() + loff + t * kvDim + (h / kvMul) * headSize;
          float score = 0.0f;
          for (int i = 0; i < headSize; i++) score += qh[i] * kt[i];
          a[t] = score / std::sqrt(float(headSize));
        }
        softmax(a, pos + 1);
        float* out = xb.data() + h * headSize;
        std::memset(out, 0, headSize * sizeof(float));
        for (int t = 0; t <= pos; t++) {
          const float* vt = valueCache.data() + loff + t * kvDim + (h / kvMul) * headSize;
          for (int i = 0; i < headSize; i++) out[i] += a[t] * vt[i];
        }
      }
      matmul(xb2.data(), xb.data(), w.wo + l * dim * dim, dim, dim);
      for (int i = 0; i < dim; i++) x[i] += xb2[i];
      rmsnorm(xb.data(), x.data(), w.ffnNorm + l * dim, dim);
      matmul(hb.data(), xb.data(), w.w1 + l * dim * hidden, dim, hidden);
      matmul(hb2.data(), xb.data(), w.w3 + l * dim * hidden, dim, hidden);
      for (int i = 0; i < hidden; i++) hb[i] = hb[i] * (1.0f / (1.0f + std::exp(-hb[i]))) * hb2[i];
      matmul(xb.data(), hb.data(), w.w2 + l * dim * hidden, hidden, dim);
      for (int i = 0; i < dim; i++) x[i] += xb[i];
    }
    rmsnorm(x.data(), x.data(), w.finalNorm, dim);
    matmul(logits.data(), x.data(), w.classifier, dim, p.vocabSize);
    return logits.data();
  }
};

void BM_PlainCGreedy(benchmark::State& state) {
  Stories& s = stories();
  PlainC plain(s.model->config(), s.model->weights());
  int64_t positions = 0;
  for (auto _ : state) {
    int token = 1;
    for (int pos = 0; pos < 512; ++pos) {
      const float* logits = plain.forward(token, pos);
      int next = 0;
      for (int i = 1; i < plain.p.vocabSize; ++i)
        if (logits[i] > logits[next]) next = i;
      ++positions;
      if (next == 1) break;
      token = next;
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(double(positions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PlainCGreedy)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
