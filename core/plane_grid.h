// A W x H pixel grid laid over a rectangle of a 2D plane. Shared by the density field and the contour extractor so
// both map pixels to plane coordinates the same way.
#pragma once

namespace attnscope {

/// Rectangle [uMin, uMax] x [vMin, vMax] of plane coordinates sampled by width x height pixels.
/// Samples sit at pixel centres: column x has u = uMin + (x + 0.5) * (uMax - uMin) / width, and row y has
/// v = vMax - (y + 0.5) * (vMax - vMin) / height, so row 0 is the TOP of the picture (largest v), as images and
/// textures expect. A field over the grid is stored row-major, height x width.
struct PlaneGrid {
  float uMin = -1.0f;
  float uMax = 1.0f;
  float vMin = -1.0f;
  float vMax = 1.0f;
  int width = 512;
  int height = 512;

  float pixelWidth() const { return (uMax - uMin) / static_cast<float>(width); }
  float pixelHeight() const { return (vMax - vMin) / static_cast<float>(height); }
  /// Plane coordinate u of the centre of column x (x may be fractional: 0 is the centre of the first column).
  float columnToU(float x) const { return uMin + (x + 0.5f) * pixelWidth(); }
  /// Plane coordinate v of the centre of row y (y may be fractional; row 0 is the top).
  float rowToV(float y) const { return vMax - (y + 0.5f) * pixelHeight(); }
};

/// Throws InputError unless width and height are in [1, 16384] and the ranges are finite with uMin < uMax,
/// vMin < vMax.
void requireValidGrid(const PlaneGrid& grid);

}  // namespace attnscope
