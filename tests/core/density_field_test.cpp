// Tests of core/density_field.cpp: single Gaussians checked by hand, integrals, slices vs marginals, arg-max.
#include "core/density_field.h"

#include <cmath>
#include <limits>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/geometry.h"

namespace attnscope {
namespace {

GaussianComponents single(std::initializer_list<float> centre, float weight, float variance) {
  GaussianComponents g;
  g.centres.resize(1, static_cast<Eigen::Index>(centre.size()));
  Eigen::Index c = 0;
  for (float v : centre) g.centres(0, c++) = v;
  g.weights = Vector::Constant(1, weight);
  g.variances = Vector::Constant(1, variance);
  return g;
}

PlaneGrid squareGrid(float half, int pixels) {
  PlaneGrid grid;
  grid.uMin = grid.vMin = -half;
  grid.uMax = grid.vMax = half;
  grid.width = grid.height = pixels;
  return grid;
}

TEST(DensityField, KernelModeSingleComponentByHand) {
  // sigma^2 = 0.5: the kernel is exp(-r^2). 5 x 5 pixels over [-1, 1]^2: centres at -0.8, -0.4, 0, 0.4, 0.8.
  DensityOptions options;
  options.grid = squareGrid(1.0f, 5);
  options.mode = DensityMode::attentionKernel;
  const DensityField f = evaluateDensityField(single({0, 0}, 1.0f, 0.5f), options);
  ASSERT_EQ(f.values.rows(), 5);
  ASSERT_EQ(f.values.cols(), 5);
  EXPECT_NEAR(f.values(2, 2), 1.0f, 1e-6);
  EXPECT_NEAR(f.values(0, 4), std::exp(-1.28f), 1e-6);     // (0.8, 0.8)
  EXPECT_NEAR(f.values(2, 3), std::exp(-0.16f), 1e-6);     // (0.4, 0)
  EXPECT_NEAR(f.logValues(1, 0), -(0.64f + 0.16f), 1e-5);  // (-0.8, 0.4)
  EXPECT_FLOAT_EQ(f.maxValue, 1.0f);
  EXPECT_NEAR(f.minValue, std::exp(-1.28f), 1e-6);
  EXPECT_TRUE(f.display.isApprox(f.values, 1e-6f));  // peak is 1, so display = values
  // Weights are used as given in kernel mode (MGK priors are not renormalised).
  const DensityField scaled = evaluateDensityField(single({0, 0}, 0.3f, 0.5f), options);
  EXPECT_NEAR(scaled.values(2, 2), 0.3f, 1e-6);
}

TEST(DensityField, RowZeroIsTheTop) {
  DensityOptions options;
  options.grid = squareGrid(1.0f, 4);
  options.mode = DensityMode::attentionKernel;
  const DensityField f = evaluateDensityField(single({-0.75f, 0.75f}, 1.0f, 0.1f), options);
  Eigen::Index row = 0, col = 0;
  f.values.maxCoeff(&row, &col);
  EXPECT_EQ(row, 0);  // v = 0.75 is the top row
  EXPECT_EQ(col, 0);  // u = -0.75 is the left column
  EXPECT_NEAR(f.values(0, 0), 1.0f, 1e-6);
}

TEST(DensityField, NormalisedDensityIntegratesToOne) {
  GaussianComponents g;
  g.centres.resize(3, 2);
  g.centres << 0, 0, 2, -1, -1.5f, 1;
  g.weights = Eigen::Vector3f(1, 3, 0.5f);
  g.variances = Eigen::Vector3f(1, 0.5f, 2);
  DensityOptions options;
  options.grid = squareGrid(12.0f, 480);
  const DensityField f = evaluateDensityField(g, options);
  const double cell = options.grid.pixelWidth() * options.grid.pixelHeight();
  EXPECT_NEAR(f.values.cast<double>().sum() * cell, 1.0, 1e-4);
  // Peak value at the first centre by hand: sum_c w_c / (2 pi s_c^2) exp(-|x - mu_c|^2 / (2 s_c^2)), normalised w.
  const double w0 = 1 / 4.5, w1 = 3 / 4.5, w2 = 0.5 / 4.5;
  const double atOrigin = w0 / (2 * std::numbers::pi * 1) + w1 / (2 * std::numbers::pi * 0.5) * std::exp(-5.0 / 1.0) +
                          w2 / (2 * std::numbers::pi * 2) * std::exp(-3.25 / 4.0);
  DensityOptions point;
  point.grid = squareGrid(0.5f, 1);  // one pixel, centred on the origin
  EXPECT_NEAR(evaluateDensityField(g, point).values(0, 0), atOrigin, 1e-6);
}

TEST(DensityField, SliceAndMarginalInThreeDimensions) {
  // Component at (0, 0, 1), sigma^2 = 1; plane z = 0 through the origin; one pixel at (0, 0).
  const GaussianComponents g = single({0, 0, 1}, 1.0f, 1.0f);
  DensityOptions options;
  options.grid = squareGrid(0.5f, 1);
  const DensityPlane plane = planeFromAxes(3, 0, 1);
  const float slice = evaluateDensityField(g, plane, options).values(0, 0);
  EXPECT_NEAR(slice, std::pow(2 * std::numbers::pi, -1.5) * std::exp(-0.5), 1e-7);  // 0.0385103
  options.measure = PlaneMeasure::marginal;
  EXPECT_NEAR(evaluateDensityField(g, plane, options).values(0, 0), 1 / (2 * std::numbers::pi), 1e-7);
  options.mode = DensityMode::attentionKernel;
  EXPECT_NEAR(evaluateDensityField(g, plane, options).values(0, 0), 1.0f, 1e-7);
  options.measure = PlaneMeasure::slice;
  EXPECT_NEAR(evaluateDensityField(g, plane, options).values(0, 0), std::exp(-0.5f), 1e-7);

  // The marginal of a d = 3 mixture integrates to 1 over the plane.
  options = {};
  options.grid = squareGrid(8.0f, 320);
  options.measure = PlaneMeasure::marginal;
  const DensityField m = evaluateDensityField(g, plane, options);
  EXPECT_NEAR(m.values.cast<double>().sum() * options.grid.pixelWidth() * options.grid.pixelHeight(), 1.0, 1e-4);
}

TEST(DensityField, HighDimensionalPlaneMatchesTheTwoDimensionalField) {
  // Centres lying in a 2D subspace of R^64 spanned by orthonormal a, b give, on that plane, the 2D field of their
  // coordinates (kernel mode: no dimension-dependent constant).
  const int d = 64;
  Vector a = Vector::Zero(d), b = Vector::Zero(d);
  for (int i = 0; i < d; ++i) {
    a(i) = std::sin(0.37f * static_cast<float>(i) + 0.1f);
    b(i) = std::cos(1.3f * static_cast<float>(i));
  }
  a.normalize();
  b -= b.dot(a) * a;
  b.normalize();
  GaussianComponents flat;
  flat.centres.resize(3, 2);
  flat.centres << 0.5f, 0.2f, -1.0f, 0.7f, 0.3f, -0.9f;
  flat.weights = Eigen::Vector3f(0.2f, 0.5f, 1.0f);
  flat.variances = Eigen::Vector3f(0.3f, 0.1f, 0.6f);
  GaussianComponents embedded = flat;
  embedded.centres.resize(3, d);
  for (int c = 0; c < 3; ++c)
    embedded.centres.row(c) = flat.centres(c, 0) * a.transpose() + flat.centres(c, 1) * b.transpose();
  DensityOptions options;
  options.grid = squareGrid(2.0f, 64);
  options.mode = DensityMode::attentionKernel;
  const DensityField f2 = evaluateDensityField(flat, options);
  const DensityField f64 = evaluateDensityField(embedded, DensityPlane{Vector::Zero(d), a, b}, options);
  EXPECT_LT((f2.values - f64.values).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_TRUE(f2.argmax == f64.argmax);
}

TEST(DensityField, ArgmaxSplitsHalfwayBetweenEqualComponents) {
  GaussianComponents g;
  g.centres.resize(3, 2);
  g.centres << -1, 0, 1, 0, 0, 0.2f;
  g.weights = Eigen::Vector3f(1, 1, 0);  // the zero-weight component at the middle must never win
  g.variances = Eigen::Vector3f(0.5f, 0.5f, 0.5f);
  DensityOptions options;
  options.grid = squareGrid(2.0f, 8);
  const DensityField f = evaluateDensityField(g, options);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) EXPECT_EQ(f.argmax(y, x), x < 4 ? 0 : 1) << "pixel " << y << ", " << x;
  // Mirror symmetry of the field about u = 0.
  EXPECT_TRUE(f.values.isApprox(f.values.rowwise().reverse(), 1e-6f));
}

TEST(DensityField, TinySigmaKeepsAFiniteDisplayField) {
  // sigma^2 = 1e-12 off-grid: raw values underflow to 0 everywhere, the log field and display field do not.
  DensityOptions options;
  options.grid = squareGrid(1.0f, 16);
  const DensityField f = evaluateDensityField(single({0.3f, 0.01f}, 1.0f, 1e-12f), options);
  ASSERT_TRUE(f.values.allFinite());
  ASSERT_TRUE(f.logValues.allFinite());
  ASSERT_TRUE(f.display.allFinite());
  EXPECT_EQ(f.maxValue, 0.0f);
  EXPECT_FLOAT_EQ(f.display.maxCoeff(), 1.0f);
  Eigen::Index row = 0, col = 0;
  f.logValues.maxCoeff(&row, &col);
  EXPECT_EQ(col, 10);  // u = 0.3 lies in column 10 (centre 0.3125)
  EXPECT_TRUE(row == 7 || row == 8);
  // Huge peak density (sigma^2 = 1e-6 in d = 64): values saturate at the largest float instead of Inf.
  GaussianComponents peaked = single({0, 0}, 1.0f, 1e-6f);
  peaked.centres = RowMatrix::Zero(1, 64);
  options.grid = squareGrid(1e-3f, 3);
  const DensityField p = evaluateDensityField(peaked, planeFromAxes(64, 0, 1), options);
  EXPECT_TRUE(p.values.allFinite());
  EXPECT_EQ(p.maxValue, std::numeric_limits<float>::max());
  EXPECT_NEAR(p.maxLog, 383.284f, 1e-2);  // log of (2 pi 1e-6)^-32 at the centre pixel
}

TEST(DensityField, PlaneFromPcaBasis) {
  PcaBasis basis;
  basis.mean = Eigen::Vector3f(1, 2, 3);
  basis.components.resize(2, 3);
  basis.components << 0, 0, 1, 1, 0, 0;
  const DensityPlane plane = planeFromBasis(basis);
  EXPECT_TRUE(plane.origin.isApprox(basis.mean));
  EXPECT_TRUE(plane.axisU.isApprox(Eigen::Vector3f(0, 0, 1)));
  // Kernel at the basis mean, plane through it: peak 1 at the centre pixel.
  DensityOptions options;
  options.grid = squareGrid(1.0f, 3);
  options.mode = DensityMode::attentionKernel;
  EXPECT_NEAR(evaluateDensityField(single({1, 2, 3}, 1.0f, 1.0f), plane, options).values(1, 1), 1.0f, 1e-6);
  basis.components.conservativeResize(1, 3);
  EXPECT_THROW(planeFromBasis(basis), InputError);
}

TEST(DensityField, RejectsBadInput) {
  DensityOptions options;
  options.grid = squareGrid(1.0f, 4);
  GaussianComponents g = single({0, 0}, 1.0f, 1.0f);
  g.weights(0) = -1;
  EXPECT_THROW(evaluateDensityField(g, options), InputError);
  g.weights(0) = 0;
  EXPECT_THROW(evaluateDensityField(g, options), InputError);
  g.weights(0) = 1;
  g.variances(0) = 0;
  EXPECT_THROW(evaluateDensityField(g, options), InputError);
  g.variances(0) = 1;
  g.centres(0, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(evaluateDensityField(g, options), InputError);
  g.centres(0, 0) = 0;
  EXPECT_THROW(evaluateDensityField(single({0, 0, 0}, 1, 1), options), InputError);  // d = 3 needs a plane
  DensityPlane skewed = planeFromAxes(3, 0, 1);
  skewed.axisV = Eigen::Vector3f(0.6f, 0.8f, 0);
  EXPECT_THROW(evaluateDensityField(single({0, 0, 0}, 1, 1), skewed, options), InputError);
  EXPECT_THROW(planeFromAxes(3, 1, 1), InputError);
  options.grid.width = 0;
  EXPECT_THROW(evaluateDensityField(g, options), InputError);
  options.grid = squareGrid(1.0f, 4);
  options.grid.uMax = -2;
  EXPECT_THROW(evaluateDensityField(g, options), InputError);
}

}  // namespace
}  // namespace attnscope
