// Colour-maps a float texture into an RGBA target of the same size, one fragment per cell, or of a smaller size (the
// pixels the map is shown at), one fragment per shown pixel taking the cell under its centre. The index rule matches
// core/colormap.cpp (round(t * 255), values normalised linearly or on log10 between lo and hi) so the screen and
// CPU-written PNGs pick the same LUT entry.
#version 330 core
uniform sampler2D values;  // R32F, one texel per cell
uniform sampler2D lut;     // 256 x 1 RGBA8 colour map
uniform float lo;
uniform float hi;
uniform int logScale;
uniform ivec2 cells;       // matrix size (columns, rows)
uniform ivec2 targetSize;  // this texture's size: equal to cells, or smaller (the pixels it is shown at)
out vec4 colour;

float normalised(float v) {
  if (isnan(v) || isinf(v) || !(hi > lo)) return 0.0;
  if (logScale != 0) {
    if (!(hi > 0.0)) return 0.0;
    float floorValue = hi * 1e-12;
    float logLo = log(max(lo, floorValue)) / log(10.0);
    float logHi = log(hi) / log(10.0);
    if (!(logHi > logLo)) return 0.0;
    return clamp((log(max(v, floorValue)) / log(10.0) - logLo) / (logHi - logLo), 0.0, 1.0);
  }
  return clamp((v - lo) / (hi - lo), 0.0, 1.0);
}

void main() {
  // The cell under this texel's centre; with targetSize == cells simply the texel itself.
  ivec2 cell = min(ivec2(floor(gl_FragCoord.xy * vec2(cells) / vec2(targetSize))), cells - 1);
  float v = texelFetch(values, cell, 0).r;
  float t = normalised(v);
  int index = t > 0.0 ? (t >= 1.0 ? 255 : int(floor(t * 255.0 + 0.5))) : 0;
  colour = vec4(texelFetch(lut, ivec2(index, 0), 0).rgb, 1.0);
}
