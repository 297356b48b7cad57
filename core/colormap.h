// Colour maps as 256-entry lookup tables, the one source of colours for the screen (uploaded as a LUT texture and
// indexed in a fragment shader) and for CPU paths (PNG export, tests), so both give identical bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace attnscope {

enum class ColorMap { Viridis, Magma, Diverging };

constexpr int kColorMapEntries = 256;
using Rgb8 = std::array<std::uint8_t, 3>;

/// All colour maps in menu order.
constexpr std::array<ColorMap, 3> kAllColorMaps{ColorMap::Viridis, ColorMap::Magma, ColorMap::Diverging};

/// The 256 sRGB entries of `map`, entry 0 for the lowest value.
std::span<const Rgb8, kColorMapEntries> colorMapTable(ColorMap map);

/// Table index for a normalised value t (clamped to [0, 1]; NaN maps to 0): round(t * 255). The fragment shader
/// shaders/colormap.frag uses the same rule with texelFetch, so GPU and CPU pick the same entry.
int colorMapIndex(float t);

/// colorMapTable(map)[colorMapIndex(t)].
Rgb8 colorMapLookup(ColorMap map, float t);

/// Maps a value into [0, 1] between lo and hi, linearly or on a log10 scale (log: lo and values clamped up to
/// 1e-12 * hi so zeros land on entry 0 instead of producing -inf). Returns 0 for hi <= lo or non-finite input.
float normaliseValue(float value, float lo, float hi, bool logScale);

/// Stable names used in scene files and the UI: "viridis", "magma", "diverging".
const char* colorMapName(ColorMap map);
std::optional<ColorMap> colorMapFromName(std::string_view name);

}  // namespace attnscope
