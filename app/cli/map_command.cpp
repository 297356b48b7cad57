// `attnscope map`: one head's attention map from a capture file's q and k, streamed (core/streaming_attention.h):
// an exact tile or a pooled overview of any region as PNG or .npy, and the head's long-range statistics.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/command_registry.h"
#include "app/render/png_io.h"
#include "core/attention_kernels.h"
#include "core/colormap.h"
#include "core/error.h"
#include "core/model/capture_file.h"
#include "core/npy.h"
#include "core/streaming_attention.h"

namespace attnscope::cli {
namespace {

using Eigen::Index;

struct MapArguments {
  std::string capture;
  int layer = 0;
  int head = 0;
  std::string kernel = "dpa";
  std::string rows;
  std::string cols;
  std::string pooling = "max";
  int size = 1024;
  bool logScale = false;
  std::string colorMap = "viridis";
  std::string out;
  bool statistics = false;
  Index sinkTokens = 1;
  float sinkThreshold = 0.3f;
  Index recentWindow = 64;
};

/// "A:B", "A:" or ":B" -> [A, B), missing ends taken from [0, size). `option` names the flag in messages.
std::pair<Index, Index> parseRange(const std::string& text, Index size, const char* option) {
  if (text.empty()) return {0, size};
  std::size_t colon = text.find(':');
  if (colon == std::string::npos)
    throw InputError(std::string(option) + " '" + text + "' is not a range (expected A:B, e.g. 0:512)");
  auto parse = [&](std::string_view part, Index fallback) -> Index {
    if (part.empty()) return fallback;
    long long value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || ptr != part.data() + part.size())
      throw InputError(std::string(option) + " '" + text + "': '" + std::string(part) +
                       "' is not a whole number (expected A:B, e.g. 0:512)");
    return static_cast<Index>(value);
  };
  std::string_view all(text);
  return {parse(all.substr(0, colon), 0), parse(all.substr(colon + 1), size)};
}

std::string regionText(const MapRegion& region) {
  return "rows " + std::to_string(region.rowBegin) + ":" + std::to_string(region.rowEnd) + ", columns " +
         std::to_string(region.colBegin) + ":" + std::to_string(region.colEnd);
}

/// Colour-maps the maps side by side, `gap` white pixels apart, on one scale shared by all of them: from 0 (or, on
/// the log scale, 1e-6 of the largest value) to the largest value of any map.
render::Image colourImage(const std::vector<RowMatrix>& maps, ColorMap colorMap, bool logScale, int gap = 8) {
  float high = 0.0f;
  for (const RowMatrix& values : maps) high = std::max(high, values.maxCoeff());
  const float low = logScale ? high * 1e-6f : 0.0f;
  const Index rows = maps.front().rows(), cols = maps.front().cols();
  render::Image image;
  image.width = static_cast<int>(cols * static_cast<Index>(maps.size()) + gap * (static_cast<Index>(maps.size()) - 1));
  image.height = static_cast<int>(rows);
  image.rgba.assign(static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 4, 255);
  for (std::size_t m = 0; m < maps.size(); ++m) {
    const Index left = static_cast<Index>(m) * (cols + gap);
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < cols; ++j) {
        Rgb8 rgb = colorMapLookup(colorMap, normaliseValue(maps[m](i, j), low, high, logScale));
        std::uint8_t* pixel = image.rgba.data() + (static_cast<std::size_t>(i) * image.width + left + j) * 4;
        std::copy(rgb.begin(), rgb.end(), pixel);
      }
  }
  return image;
}

void printStatistics(const LongRangeStatistics& stats, const MapArguments& args, bool causal) {
  std::printf("rows counted:     %ld\n", static_cast<long>(stats.rowsCounted));
  std::printf("sink rate:        %.4f (rows with >= %.2f of their weight on the first %ld token(s))\n", stats.sinkRate,
              static_cast<double>(args.sinkThreshold), static_cast<long>(args.sinkTokens));
  std::printf("mean sink mass:   %.4f\n", stats.meanSinkMass);
  std::printf("recent share:     %.4f (weight within the last %ld tokens)\n", stats.recentShare,
              static_cast<long>(args.recentWindow));
  if (!causal) std::printf("future mass:      %.4f (weight on keys after the query)\n", stats.futureMass);
  std::printf("distance histogram (mean weight per distance bin):\n");
  for (std::size_t b = 0; b < stats.distanceHistogram.size(); ++b)
    std::printf("  %6ld .. %-6ld %.4f\n", static_cast<long>(LongRangeStatistics::binLow(b)),
                static_cast<long>(LongRangeStatistics::binHigh(b)), stats.distanceHistogram[b]);
}

void runMap(const MapArguments& args) {
  // "all": every kernel, side by side at the same region and on one colour scale.
  std::vector<Kernel> kernels;
  if (args.kernel == "all")
    kernels.assign(kAllKernels.begin(), kAllKernels.end());
  else
    kernels.push_back(parseKernel(args.kernel));
  const Pooling pooling = parsePooling(args.pooling);
  const std::optional<ColorMap> colorMap = colorMapFromName(args.colorMap);
  if (!colorMap) throw InputError("--colormap must be viridis, magma or diverging, got '" + args.colorMap + "'");
  if (args.size < 1 || args.size > 16384) throw InputError("--size must be between 1 and 16384 pixels");
  if (args.out.empty() && !args.statistics) throw InputError("give --out MAP.png|MAP.npy, --stats, or both");
  const std::string extension = std::filesystem::path(args.out).extension().string();
  if (!args.out.empty() && extension != ".png" && extension != ".npy")
    throw InputError("--out '" + args.out + "' must end in .png or .npy");

  const model::CaptureSummary summary = model::readCaptureSummary(args.capture);
  const model::CaptureHead head = model::readCaptureHead(args.capture, args.layer, args.head);
  AttentionOptions options;
  options.causal = summary.causal;
  const Index queries = head.queries.rows(), keys = head.keys.rows();

  // The region, checked before any normaliser pass runs.
  auto [rowBegin, rowEnd] = parseRange(args.rows, queries, "--rows");
  auto [colBegin, colEnd] = parseRange(args.cols, keys, "--cols");
  const MapRegion asked{rowBegin, rowEnd, colBegin, colEnd};
  MapRegion region;
  region.rowBegin = std::clamp<Index>(asked.rowBegin, 0, queries);
  region.rowEnd = std::clamp<Index>(asked.rowEnd, region.rowBegin, queries);
  region.colBegin = std::clamp<Index>(asked.colBegin, 0, keys);
  region.colEnd = std::clamp<Index>(asked.colEnd, region.colBegin, keys);
  if (!args.out.empty()) {
    if (region.rows() <= 0 || region.cols() <= 0)
      throw InputError(regionText(asked) + " holds no cell of the " + std::to_string(queries) + " x " +
                       std::to_string(keys) + " map");
    if (!(region == asked))
      std::fprintf(stderr, "attnscope: note: %s clamped to the map's %s\n", regionText(asked).c_str(),
                   regionText(region).c_str());
  }
  // A region that fits the output is written cell for cell (exact weights); a larger one is pooled.
  const bool exact = region.rows() <= args.size && region.cols() <= args.size;

  std::vector<RowMatrix> maps;
  std::string kernelList;
  for (Kernel kernel : kernels) {
    StreamingAttention map(kernel, head.queries, head.keys, options);
    kernelList += (kernelList.empty() ? "" : ",") + std::string(kernelName(kernel));
    if (!args.out.empty()) maps.push_back(exact ? map.tile(region) : map.pooled(region, args.size, args.size, pooling));
    if (args.statistics) {
      if (kernels.size() > 1) std::printf("[%s]\n", std::string(kernelName(kernel)).c_str());
      LongRangeOptions statsOptions;
      statsOptions.sinkTokens = args.sinkTokens;
      statsOptions.sinkThreshold = args.sinkThreshold;
      statsOptions.recentWindow = args.recentWindow;
      printStatistics(map.statistics(statsOptions), args, summary.causal);
    }
    if (!map.fallbackRows().empty())
      std::fprintf(stderr, "attnscope: note: %s: %zu row(s) had zero score mass and got uniform weights\n",
                   std::string(kernelName(kernel)).c_str(), map.fallbackRows().size());
  }
  if (args.out.empty()) return;

  const Index rows = maps.front().rows(), cols = maps.front().cols();
  float largest = 0.0f;
  for (const RowMatrix& values : maps) largest = std::max(largest, values.maxCoeff());
  if (extension == ".npy" && maps.size() == 1) {
    writeNpyMatrix(args.out, maps.front());
  } else if (extension == ".npy") {
    // kernels x rows x cols, in the order of `attnscope weights --help`.
    std::vector<float> values;
    values.reserve(maps.size() * static_cast<std::size_t>(rows * cols));
    for (const RowMatrix& values2d : maps)
      values.insert(values.end(), values2d.data(), values2d.data() + values2d.size());
    const std::size_t shape[3] = {maps.size(), static_cast<std::size_t>(rows), static_cast<std::size_t>(cols)};
    writeNpy(args.out, shape, values);
  } else {
    render::PngWriteOptions png;
    png.text["attnscope:map"] = args.capture + " layer " + std::to_string(args.layer) + " head " +
                                std::to_string(args.head) + " " + kernelList + ", " + regionText(region) +
                                (exact ? ", exact" : ", " + args.pooling + "-pooled");
    render::writePngAtomic(args.out, colourImage(maps, *colorMap, args.logScale), png);
  }
  std::printf("%s layer %d head %d, %s: %s, %s -> %ld x %ld %s%s, largest value %.6g; wrote %s\n", args.capture.c_str(),
              args.layer, args.head, kernelList.c_str(), summary.causal ? "causal" : "bidirectional",
              regionText(region).c_str(), static_cast<long>(rows), static_cast<long>(cols),
              exact ? "exact weights" : (args.pooling + "-pooled pixels").c_str(), maps.size() > 1 ? " per kernel" : "",
              static_cast<double>(largest), args.out.c_str());
}

void installMapCommand(CLI::App& parent) {
  auto args = std::make_shared<MapArguments>();
  CLI::App* command = parent.add_subcommand(
      "map",
      "One head's attention map from a capture's q and k, computed streamed (exact, no N x N matrix): an exact tile or "
      "a pooled overview as PNG or .npy, and long-range statistics. Works for captures with or without attention, up "
      "to 131072 tokens.");
  std::vector<std::string> kernels;
  for (Kernel kernel : kAllKernels) kernels.emplace_back(kernelName(kernel));
  kernels.emplace_back("all");
  command->add_option("--capture", args->capture, "Capture file (.safetensors)")->required();
  command->add_option("--layer", args->layer, "Layer, from 0")->required();
  command->add_option("--head", args->head, "Head, from 0")->required();
  command
      ->add_option("--kernel", args->kernel,
                   "Kernel recomputed on the head's q and k (default dpa); all = every kernel side by side on one "
                   "colour scale (PNG) or as a kernels x rows x cols .npy")
      ->check(CLI::IsMember(kernels));
  command->add_option("--rows", args->rows, "Query rows A:B (default all; clamped to the map)");
  command->add_option("--cols", args->cols, "Key columns C:D (default all; clamped to the map)");
  command->add_option("--pool", args->pooling, "Pooling of regions larger than --size: max (default), mean or sum")
      ->check(CLI::IsMember({"max", "mean", "sum"}));
  command->add_option("--size", args->size,
                      "Largest output side in pixels (default 1024); a region that fits is written cell for cell");
  command->add_flag("--log", args->logScale, "PNG colours on a log scale (6 decades below the largest value)");
  command->add_option("--colormap", args->colorMap, "PNG colour map: viridis (default), magma or diverging");
  command->add_option("--out", args->out, "Output: .png (colour-mapped) or .npy (float32 values)");
  command->add_flag("--stats", args->statistics, "Print the head's long-range statistics");
  command->add_option("--sink-tokens", args->sinkTokens, "Keys forming the attention sink (default 1)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--sink-threshold", args->sinkThreshold, "Sink mass that makes a row a sink row (default 0.3)");
  command->add_option("--recent-window", args->recentWindow, "Tokens in the recent window (default 64)")
      ->check(CLI::NonNegativeNumber);
  command->callback([args] { runMap(*args); });
}

const RegisterCommand registration{"map", &installMapCommand};

}  // namespace
}  // namespace attnscope::cli
