// Headless rendering with no X server (EGL surfaceless): GPU colour mapping gives exactly the CPU LUT colours, the
// heatmap cache re-renders only on change, whole frames render at the requested scale, PNGs carry the scene.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "app/gui/app_state.h"
#include "app/gui/heatmap_cache.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/render/colormap_renderer.h"
#include "app/render/egl_context.h"
#include "app/render/offscreen.h"
#include "app/render/png_io.h"
#include "core/colormap.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

class Headless : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { context_ = new render::HeadlessContext(); }
  static void TearDownTestSuite() {
    delete context_;
    context_ = nullptr;
  }
  static render::HeadlessContext* context_;
};
render::HeadlessContext* Headless::context_ = nullptr;

/// Reads an RGBA8 texture back through a framebuffer; row 0 of the result is texture row 0.
std::vector<std::uint8_t> readTexture(GLuint texture, int width, int height) {
  GLuint framebuffer = 0;
  glGenFramebuffers(1, &framebuffer);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glDeleteFramebuffers(1, &framebuffer);
  return pixels;
}

TEST_F(Headless, RunsWithoutADisplay) {
  EXPECT_EQ(std::getenv("DISPLAY") == nullptr || *std::getenv("DISPLAY") == '\0', true);
  EXPECT_FALSE(context_->platform().empty());
}

TEST_F(Headless, ShaderColourMapEqualsTheCpuTableForEveryEntry) {
  render::ColormapRenderer renderer;
  // Values i / 255 for i = 0..255 must hit entry i exactly (index rule round(t * 255)).
  RowMatrix ramp(1, 256);
  for (int i = 0; i < 256; ++i) ramp(0, i) = static_cast<float>(i) / 255.0f;
  for (ColorMap map : kAllColorMaps) {
    render::Texture target;
    renderer.render(ramp, {map, 0.0f, 1.0f, false}, target);
    const auto pixels = readTexture(target.id(), 256, 1);
    const auto table = colorMapTable(map);
    for (int i = 0; i < 256; ++i)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(pixels[i * 4 + c], table[i][c]) << colorMapName(map) << " entry " << i;
  }
}

TEST_F(Headless, LogScaleMapsDecadesEvenly) {
  render::ColormapRenderer renderer;
  RowMatrix values(1, 3);
  values << 0.01f, 0.1f, 1.0f;  // log10: -2, -1, 0 between lo 0.01 and hi 1 -> t = 0, 0.5, 1
  render::Texture target;
  renderer.render(values, {ColorMap::Viridis, 0.01f, 1.0f, true}, target);
  const auto pixels = readTexture(target.id(), 3, 1);
  const auto table = colorMapTable(ColorMap::Viridis);
  EXPECT_EQ(pixels[0], table[0][0]);
  EXPECT_EQ(pixels[4 + 1], table[128][1]);
  EXPECT_EQ(pixels[8 + 2], table[255][2]);
}

TEST_F(Headless, EaHeatmapCellOfTheOrthogonalKeyIsTheZeroColour) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const RowMatrix& ea = context.derived().result(Kernel::Ea).weights;
  GpuHeatmapCache cache;
  HeatmapStyle style;
  style.minValue = 0.0f;
  style.maxValue = ea.maxCoeff();
  const unsigned texture = cache.texture("maps/ea", context.revision(), ea, style);
  const auto pixels = readTexture(texture, static_cast<int>(ea.cols()), static_cast<int>(ea.rows()));
  const auto zero = colorMapTable(ColorMap::Viridis)[0];
  const int orthogonal = 1;  // key 1 of the default scene, query 0 = (1, 0)
  for (int c = 0; c < 3; ++c) EXPECT_EQ(pixels[orthogonal * 4 + c], zero[c]);
  // The largest weight gets the top colour.
  Eigen::Index row = 0, column = 0;
  ea.maxCoeff(&row, &column);
  const auto top = colorMapTable(ColorMap::Viridis)[255];
  for (int c = 0; c < 3; ++c) EXPECT_EQ(pixels[(row * ea.cols() + column) * 4 + c], top[c]);
  // Same revision and style: no second GPU pass.
  cache.texture("maps/ea", context.revision(), ea, style);
  EXPECT_EQ(cache.renderCount(), 1u);
  style.colorMap = ColorMap::Magma;
  cache.texture("maps/ea", context.revision(), ea, style);
  EXPECT_EQ(cache.renderCount(), 2u);
}

TEST_F(Headless, HeatmapShownSmallerThanItsCellsTakesTheCellUnderEachTexelCentre) {
  // 8 columns x 6 rows, value = 10 * row + column, shown at 3 x 2 texels: texel (x, y) takes the cell at
  // floor((x + 0.5) * 8 / 3), floor((y + 0.5) * 6 / 2) = columns 1, 4, 6 and rows 1, 4 -- what GL_NEAREST sampling of
  // the full 8 x 6 texture shows at 3 x 2 pixels.
  RowMatrix values(6, 8);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) values(r, c) = float(10 * r + c);
  GpuHeatmapCache cache;
  HeatmapStyle style;
  style.minValue = 0.0f;
  style.maxValue = 255.0f;  // value v -> entry v exactly (round(v / 255 * 255))
  style.shownWidth = 3;
  style.shownHeight = 2;
  const unsigned texture = cache.texture("maps/dpa", 1, values, style);
  const auto pixels = readTexture(texture, 3, 2);
  const auto table = colorMapTable(ColorMap::Viridis);
  const int columns[3] = {1, 4, 6}, rows[2] = {1, 4};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(pixels[(y * 3 + x) * 4 + c], table[10 * rows[y] + columns[x]][c]) << "texel " << x << ", " << y;
  // A new shown size is a new texture; a size larger than the matrix keeps one texel per cell.
  style.shownWidth = 100;
  style.shownHeight = 100;
  const unsigned full = cache.texture("maps/dpa", 1, values, style);
  EXPECT_EQ(cache.renderCount(), 2u);
  const auto all = readTexture(full, 8, 6);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(all[(5 * 8 + 7) * 4 + c], table[57][c]);
  cache.texture("maps/dpa", 1, values, style);
  EXPECT_EQ(cache.renderCount(), 2u);
}

TEST_F(Headless, WholeFrameRendersAtTheRequestedScale) {
  AppContext context(defaultScene());
  context.refreshDerived();
  ExportOptions options;
  options.width = 640;
  options.height = 400;
  options.scale = 2.0f;
  const render::Image image = renderUiImage(context, options);
  EXPECT_EQ(image.width, 1280);
  EXPECT_EQ(image.height, 800);
  // Not a blank frame: more than a handful of distinct colours.
  std::set<std::uint32_t> colours;
  for (std::size_t p = 0; p < image.rgba.size() && colours.size() < 50; p += 4 * 97)
    colours.insert(image.rgba[p] << 16 | image.rgba[p + 1] << 8 | image.rgba[p + 2]);
  EXPECT_GE(colours.size(), 10u);
  EXPECT_THROW(renderUiImage(context, ExportOptions{640, 400, 1.0f, "no-such-view", false}), InputError);
}

TEST_F(Headless, RenderingIsDeterministic) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const ExportOptions options{400, 300, 1.0f, "", false};
  const render::Image first = renderUiImage(context, options);
  const render::Image second = renderUiImage(context, options);
  EXPECT_EQ(first.rgba, second.rgba);
}

TEST_F(Headless, PngCarriesTheSceneAndReopensIt) {
  Scene scene = defaultScene();
  scene.keys(3, 1) = -0.75f;
  AppContext context(scene);
  context.refreshDerived();
  const std::string path = (std::filesystem::temp_directory_path() / "attnscope_headless_test.png").string();
  exportPng(context, ExportOptions{320, 200, 1.0f, "", false}, path);
  const render::PngFile png = render::readPng(path);
  EXPECT_EQ(png.image.width, 320);
  EXPECT_EQ(png.image.height, 200);
  ASSERT_TRUE(png.text.count(kPngSceneKey));
  EXPECT_EQ(sceneToString(loadSceneFile(path)), sceneToString(scene));
  std::filesystem::remove(path);
}

TEST(PngIo, WriteIntoMissingFolderFailsAndWritesNothing) {
  render::Image image{2, 2, std::vector<std::uint8_t>(16, 200)};
  EXPECT_THROW(render::writePngAtomic("/nonexistent-attnscope/x.png", image), FileError);
  EXPECT_FALSE(std::filesystem::exists("/nonexistent-attnscope/x.png"));
}

TEST(PngIo, FailedWriteKeepsTheExistingFile) {
  const auto folder = std::filesystem::temp_directory_path() / "attnscope_png_keep";
  std::filesystem::create_directories(folder);
  const std::string path = (folder / "keep.png").string();
  render::Image good{3, 2, std::vector<std::uint8_t>(24, 77)};
  render::writePngAtomic(path, good);
  render::Image broken{3, 2, std::vector<std::uint8_t>(5, 0)};  // buffer does not match the size
  EXPECT_THROW(render::writePngAtomic(path, broken), InputError);
  const render::PngFile back = render::readPng(path);
  EXPECT_EQ(back.image.width, 3);
  EXPECT_EQ(back.image.rgba[0], 77);
  // Only the PNG remains: no temporary files are left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()), 1);
  std::filesystem::remove_all(folder);
}

TEST(PngIo, ReadOnlyFolderIsAClearError) {
  render::Image image{2, 2, std::vector<std::uint8_t>(16, 1)};
  // A folder no one may create files in, root included (CI runs as root, which ignores permission bits): /proc/self.
  try {
    render::writePngAtomic("/proc/self/attnscope.png", image);
    ADD_FAILURE() << "writing into /proc/self succeeded";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("/proc/self/attnscope.png"), std::string::npos) << error.what();
  }
  // A folder without write permission, where permissions apply (not as root).
  if (geteuid() != 0) {
    const auto folder = std::filesystem::temp_directory_path() / "attnscope_png_readonly";
    std::filesystem::create_directories(folder);
    std::filesystem::permissions(folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    EXPECT_THROW(render::writePngAtomic((folder / "x.png").string(), image), FileError);
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
    std::filesystem::remove_all(folder);
  }
}

TEST(PngIo, NotAPngIsRejected) {
  const std::string path = (std::filesystem::temp_directory_path() / "attnscope_not_png.png").string();
  std::ofstream(path) << "hello";
  EXPECT_THROW(render::readPng(path), FileError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace attnscope::gui
