// Benchmarks of the Hugging Face path: header-only open of a sparse 4 GiB safetensors file, and a GPT-2-small
// shaped forward pass (d = 768, 12 heads, 2 layers, vocabulary 8192) over a prompt, with and without capture.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/model/hf_models.h"
#include "core/model/safetensors.h"

namespace {

namespace fs = std::filesystem;
using namespace attnscope::model;

const fs::path& sparseFile() {
  static const fs::path path = [] {
    fs::path p = fs::current_path() / "hf_bench_sparse.safetensors";
    const uint64_t bytes = uint64_t{4} << 30;
    const std::string header =
        R"({"big":{"dtype":"F32","shape":[32768,32768],"data_offsets":[0,)" + std::to_string(bytes) + "]}}";
    {
      std::ofstream out(p, std::ios::binary);
      const uint64_t length = header.size();
      out.write(reinterpret_cast<const char*>(&length), 8);
      out << header;
    }
    if (truncate(p.c_str(), static_cast<off_t>(8 + header.size() + bytes)) != 0) throw std::runtime_error("truncate");
    return p;
  }();
  return path;
}

void BM_SafetensorsOpenSparse4GiB(benchmark::State& state) {
  const fs::path& path = sparseFile();
  for (auto _ : state) {
    SafetensorsFile file(path);
    benchmark::DoNotOptimize(file.entries().size());
  }
}
BENCHMARK(BM_SafetensorsOpenSparse4GiB)->Unit(benchmark::kMicrosecond);

SafetensorsTensor filler(const std::string& name, std::vector<int64_t> shape, float scale, float offset = 0.0f) {
  int64_t count = 1;
  for (int64_t e : shape) count *= e;
  SafetensorsTensor t{name, std::move(shape), std::vector<float>(static_cast<size_t>(count))};
  for (int64_t i = 0; i < count; ++i) t.values[i] = offset + scale * std::sin(0.37f * static_cast<float>(i % 100003));
  return t;
}

Model& gpt2Model() {
  static std::unique_ptr<Model> model = [] {
    const fs::path dir = fs::current_path() / "hf_bench_gpt2";
    fs::create_directories(dir);
    const int layers = 2, d = 768, vocab = 8192, positions = 1024;
    std::ofstream(dir / "config.json") << R"({"architectures":["GPT2LMHeadModel"],"n_layer":)" << layers
                                       << R"(,"n_head":12,"n_embd":)" << d << R"(,"vocab_size":)" << vocab
                                       << R"(,"n_positions":)" << positions << "}";
    std::vector<SafetensorsTensor> t = {filler("wte.weight", {vocab, d}, 0.1f),
                                        filler("wpe.weight", {positions, d}, 0.05f),
                                        filler("ln_f.weight", {d}, 0.1f, 1.0f), filler("ln_f.bias", {d}, 0.01f)};
    for (int l = 0; l < layers; ++l) {
      const std::string p = "h." + std::to_string(l) + ".";
      for (const char* ln : {"ln_1", "ln_2"}) {
        t.push_back(filler(p + ln + ".weight", {d}, 0.1f, 1.0f));
        t.push_back(filler(p + ln + ".bias", {d}, 0.01f));
      }
      t.push_back(filler(p + "attn.c_attn.weight", {d, 3 * d}, 0.05f));
      t.push_back(filler(p + "attn.c_attn.bias", {3 * d}, 0.01f));
      t.push_back(filler(p + "attn.c_proj.weight", {d, d}, 0.02f));
      t.push_back(filler(p + "attn.c_proj.bias", {d}, 0.01f));
      t.push_back(filler(p + "mlp.c_fc.weight", {d, 4 * d}, 0.02f));
      t.push_back(filler(p + "mlp.c_fc.bias", {4 * d}, 0.01f));
      t.push_back(filler(p + "mlp.c_proj.weight", {4 * d, d}, 0.02f));
      t.push_back(filler(p + "mlp.c_proj.bias", {d}, 0.01f));
    }
    writeSafetensors(dir / "model.safetensors", t);
    return openHfModel(dir);
  }();
  return *model;
}

void BM_Gpt2Forward(benchmark::State& state) {
  Model& model = gpt2Model();
  std::vector<int> ids(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>((i * 7919) % 8192);
  RunOptions options;
  options.captureAttention = state.range(1) != 0;
  for (auto _ : state) benchmark::DoNotOptimize(model.run(ids, options).logits.data());
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(ids.size()), benchmark::Counter::kIsIterationInvocationRate);
}
BENCHMARK(BM_Gpt2Forward)
    ->ArgNames({"tokens", "capture"})
    ->Args({64, 1})
    ->Args({64, 0})
    ->Args({256, 1})
    ->Args({256, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
