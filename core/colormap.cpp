// Colour-map tables built once from published stops. Viridis and magma: matplotlib's maps sampled at nine evenly
// spaced points (0, 1/8, ..., 1) and linearly interpolated in sRGB; diverging: ColorBrewer RdBu (11 classes),
// blue for low values, white in the middle, red for high values (suits signed data centred on zero).
#include "core/colormap.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace attnscope {
namespace {

using Table = std::array<Rgb8, kColorMapEntries>;

Table interpolateStops(std::initializer_list<std::uint32_t> hexStops) {
  std::vector<std::uint32_t> stops(hexStops);
  Table table{};
  const double segments = static_cast<double>(stops.size() - 1);
  for (int i = 0; i < kColorMapEntries; ++i) {
    const double position = segments * i / (kColorMapEntries - 1);
    const std::size_t left = std::min(static_cast<std::size_t>(position), stops.size() - 2);
    const double fraction = position - static_cast<double>(left);
    for (int channel = 0; channel < 3; ++channel) {
      const int shift = 16 - 8 * channel;
      const double a = (stops[left] >> shift) & 0xff;
      const double b = (stops[left + 1] >> shift) & 0xff;
      table[i][channel] = static_cast<std::uint8_t>(std::lround(a + (b - a) * fraction));
    }
  }
  return table;
}

const Table& viridis() {
  static const Table table =
      interpolateStops({0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d, 0x27ad81, 0x5cc863, 0xaadc32, 0xfde725});
  return table;
}

const Table& magma() {
  static const Table table =
      interpolateStops({0x000004, 0x1c1044, 0x4f127b, 0x812581, 0xb5367a, 0xe55064, 0xfb8761, 0xfec287, 0xfcfdbf});
  return table;
}

const Table& diverging() {
  static const Table table = interpolateStops(
      {0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f});
  return table;
}

}  // namespace

std::span<const Rgb8, kColorMapEntries> colorMapTable(ColorMap map) {
  switch (map) {
    case ColorMap::Magma:
      return magma();
    case ColorMap::Diverging:
      return diverging();
    case ColorMap::Viridis:
      break;
  }
  return viridis();
}

int colorMapIndex(float t) {
  if (!(t > 0.0f)) return 0;  // also catches NaN
  if (t >= 1.0f) return kColorMapEntries - 1;
  return static_cast<int>(std::floor(t * static_cast<float>(kColorMapEntries - 1) + 0.5f));
}

Rgb8 colorMapLookup(ColorMap map, float t) {
  return colorMapTable(map)[colorMapIndex(t)];
}

float normaliseValue(float value, float lo, float hi, bool logScale) {
  if (!std::isfinite(value) || !std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return 0.0f;
  if (logScale) {
    if (!(hi > 0.0f)) return 0.0f;
    const float floor = hi * 1e-12f;
    const float logLo = std::log10(std::max(lo, floor));
    const float logHi = std::log10(hi);
    if (!(logHi > logLo)) return 0.0f;
    return std::clamp((std::log10(std::max(value, floor)) - logLo) / (logHi - logLo), 0.0f, 1.0f);
  }
  return std::clamp((value - lo) / (hi - lo), 0.0f, 1.0f);
}

const char* colorMapName(ColorMap map) {
  switch (map) {
    case ColorMap::Magma:
      return "magma";
    case ColorMap::Diverging:
      return "diverging";
    case ColorMap::Viridis:
      break;
  }
  return "viridis";
}

std::optional<ColorMap> colorMapFromName(std::string_view name) {
  for (ColorMap map : kAllColorMaps)
    if (name == colorMapName(map)) return map;
  return std::nullopt;
}

}  // namespace attnscope
