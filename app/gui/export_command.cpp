// `attnscope export`: headless PNG rendering with EGL (no X server) through the same drawUi() as the window.
// Lives in app/gui/ because it needs the GUI libraries; registers itself like every app/cli/ command.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "app/cli/command_registry.h"
#include "app/gui/demo.h"
#include "app/gui/export_formats.h"
#include "app/gui/long_map.h"
#include "app/gui/presenter.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/render/egl_context.h"
#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope::gui {
namespace {

struct ExportCommandOptions {
  std::string scenePath;
  std::string outPath;
  ExportOptions image;
  std::string demo;        ///< render a step of this demo (issue 6) instead of --scene
  int step = 1;            ///< 1-based step of --demo
  std::string dataFolder;  ///< --data: the numbers behind the view(s) as CSV/.npy (export_formats.h)
  int sweepFrames = 0;     ///< --sweep-frames N: --out is a pattern such as frames/frame_%03d.png
  bool list = false;
  bool timing = false;
  std::string capture;  ///< --capture: a capture file shown in the long map view
  int layer = 0, head = 0;
};

Scene demoStepScene(const Demo& demo, int step) {
  if (step < 1 || step > static_cast<int>(demo.steps.size()))
    throw InputError("demo " + demo.name + " has steps 1.." + std::to_string(demo.steps.size()) + ", not " +
                     std::to_string(step));
  return demo.steps[static_cast<std::size_t>(step - 1)].scene;
}

void runExport(const ExportCommandOptions& o) {
  if (o.list) {
    std::puts("views:");
    for (const ViewInfo& view : allViews()) std::printf("  %-12s %s\n", view.id, view.title);
    std::puts("demos:");
    for (const std::string& name : listDemos(demoDirectory())) {
      const Demo demo = loadDemo(name);
      std::printf("  %-20s %zu steps  %s\n", name.c_str(), demo.steps.size(), demo.title.c_str());
    }
    return;
  }
  if (o.outPath.empty() && o.dataFolder.empty())
    throw InputError("export needs --out FILE.png|FILE.svg, --data FOLDER, or --list to name the views");
  Scene scene = defaultScene();
  std::vector<std::string> warnings;
  if (!o.scenePath.empty() && !o.demo.empty()) throw InputError("export takes --scene or --demo, not both");
  if (!o.scenePath.empty()) scene = loadSceneFile(o.scenePath, &warnings);
  if (!o.demo.empty()) scene = demoStepScene(loadDemo(o.demo), o.step);  // fails before any GL work
  for (const auto& warning : warnings) std::fprintf(stderr, "attnscope: warning: %s\n", warning.c_str());
  if (!o.image.view.empty() && findView(o.image.view) == nullptr) {
    std::string known;
    for (const ViewInfo& view : allViews()) known += std::string(known.empty() ? "" : ", ") + view.id;
    throw InputError("no view named \"" + o.image.view + "\" (views: " + (known.empty() ? "none" : known) + ")");
  }
  const auto start = std::chrono::steady_clock::now();
  AppContext context(std::move(scene));
  if (!o.demo.empty()) openDemo(context, o.demo, o.step);  // the step text panel is part of the image
  ExportOptions image = o.image;
  if (!o.capture.empty()) {
    // Header and one head only, before any GL work: a bad file fails with its one line.
    context.longMap().openCapture(o.capture, o.layer, o.head);
    if (image.view.empty()) image.view = viewInfo(ViewKind::LongMap).id;
  }
  context.refreshDerived();
  if (!o.dataFolder.empty()) {
    for (const std::string& path : exportData(context, image.view, o.dataFolder))
      std::printf("wrote %s\n", path.c_str());
    if (o.outPath.empty()) return;
  }
  // Validate, then allocate: --width 8192 --height 8192 --scale 8 asks for 65536 x 65536 pixels. The offscreen
  // colour target (in memory on a software renderer), its read-back copy and the PNG encoder's rows take up to
  // 4 + 4 + 4 bytes per pixel at once.
  const int pixelsWide = static_cast<int>(o.image.width * o.image.scale);
  const int pixelsHigh = static_cast<int>(o.image.height * o.image.scale);
  requireWithinBudget(12.0 * pixelsWide * pixelsHigh,
                      "export of " + std::to_string(pixelsWide) + " x " + std::to_string(pixelsHigh) + " pixels");
  render::HeadlessContext gl;
  if (o.sweepFrames > 0) {
    const auto paths = exportSweepFrames(context.scene(), image, o.sweepFrames, o.outPath);
    std::printf("wrote %zu frames (%s .. %s)\n", paths.size(), paths.front().c_str(), paths.back().c_str());
  } else {
    exportImage(context, image, o.outPath);
  }
  for (const std::string& error : context.takeErrors()) std::fprintf(stderr, "attnscope: warning: %s\n", error.c_str());
  if (o.timing) {
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("exported %s (%d x %d px, EGL %s, %s) in %.0f ms\n", o.outPath.c_str(), pixelsWide, pixelsHigh,
                gl.platform().c_str(), gl.renderer().c_str(), ms);
  }
}

void installExportCommand(CLI::App& parent) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* command = parent.add_subcommand(
      "export",
      "Render the app or one view to PNG (scene embedded as metadata) or SVG, its numbers to CSV/.npy, or a sweep as "
      "PNG frames; no display needed (EGL offscreen)");
  command->add_option("--scene", options->scenePath, "Scene to render (.json or an attnscope PNG); default: built-in");
  command->add_option("--view", options->image.view, "Render only this view, filling the image (see --list)");
  command->add_option("--out", options->outPath,
                      "Output file, written atomically: .png, or .svg (vector; views sweep, canvas, divergence); "
                      "with --sweep-frames a pattern such as frames/frame_%03d.png");
  command->add_option("--data", options->dataFolder,
                      "Also write the numbers behind --view (default: every view) as CSV/.npy into this folder");
  command
      ->add_option("--sweep-frames", options->sweepFrames,
                   "Write N PNG frames of the selected key rotating 0..180 degrees around the selected query")
      ->check(CLI::Range(2, 3600));
  command->add_option("--width", options->image.width, "Logical width (default 1600)")->check(CLI::Range(16, 8192));
  command->add_option("--height", options->image.height, "Logical height (default 1000)")->check(CLI::Range(16, 8192));
  command->add_option("--scale", options->image.scale, "Render scale: 2 gives 2x pixels with 2x fonts, not upscaled")
      ->check(CLI::Range(0.25, 8.0));
  command->add_flag("--transparent", options->image.transparent, "Transparent background (RGBA PNG)");
  command->add_option("--demo", options->demo, "Render a step of this teaching demo (see --list)");
  command->add_option("--step", options->step, "Step of --demo, from 1 (default 1)")->check(CLI::Range(1, 100));
  command->add_option("--capture", options->capture,
                      "Show this capture file (q and k; attention not needed) in the long map view (default --view "
                      "longmap)");
  command->add_option("--layer", options->layer, "Layer of --capture (default 0)")->check(CLI::NonNegativeNumber);
  command->add_option("--head", options->head, "Head of --capture (default 0)")->check(CLI::NonNegativeNumber);
  command->add_flag("--list", options->list, "List the view and demo names and exit");
  command->add_flag("--timing", options->timing, "Print how long the export took");
  command->callback([options] { runExport(*options); });
}

const cli::RegisterCommand registration{"export", &installExportCommand};

}  // namespace
}  // namespace attnscope::gui
