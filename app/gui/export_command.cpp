// `attnscope export`: headless PNG rendering with EGL (no X server) through the same drawUi() as the window.
// Lives in app/gui/ because it needs the GUI libraries; registers itself like every app/cli/ command.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "app/cli/command_registry.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/render/egl_context.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

struct ExportCommandOptions {
  std::string scenePath;
  std::string outPath;
  ExportOptions image;
  bool list = false;
  bool timing = false;
};

void runExport(const ExportCommandOptions& o) {
  if (o.list) {
    std::puts("views:");
    for (const ViewInfo& view : allViews()) std::printf("  %-12s %s\n", view.id, view.title);
    return;
  }
  if (o.outPath.empty()) throw InputError("export needs --out FILE.png (or --list to name the views)");
  Scene scene = defaultScene();
  std::vector<std::string> warnings;
  if (!o.scenePath.empty()) scene = loadSceneFile(o.scenePath, &warnings);
  for (const auto& warning : warnings) std::fprintf(stderr, "attnscope: warning: %s\n", warning.c_str());
  if (!o.image.view.empty() && findView(o.image.view) == nullptr) {
    std::string known;
    for (const ViewInfo& view : allViews()) known += std::string(known.empty() ? "" : ", ") + view.id;
    throw InputError("no view named \"" + o.image.view + "\" (views: " + (known.empty() ? "none" : known) + ")");
  }
  const auto start = std::chrono::steady_clock::now();
  render::HeadlessContext gl;
  AppContext context(std::move(scene));
  context.refreshDerived();
  exportPng(context, o.image, o.outPath);
  for (const std::string& error : context.takeErrors()) std::fprintf(stderr, "attnscope: warning: %s\n", error.c_str());
  if (o.timing) {
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("exported %s (%d x %d px, EGL %s, %s) in %.0f ms\n", o.outPath.c_str(),
                static_cast<int>(o.image.width * o.image.scale), static_cast<int>(o.image.height * o.image.scale),
                gl.platform().c_str(), gl.renderer().c_str(), ms);
  }
}

void installExportCommand(CLI::App& parent) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* command = parent.add_subcommand(
      "export", "Render the app (or one view) to a PNG without a display (EGL offscreen), scene embedded as metadata");
  command->add_option("--scene", options->scenePath, "Scene to render (.json or an attnscope PNG); default: built-in");
  command->add_option("--view", options->image.view, "Render only this view, filling the image (see --list)");
  command->add_option("--out", options->outPath, "Output PNG (written atomically)");
  command->add_option("--width", options->image.width, "Logical width (default 1600)")->check(CLI::Range(16, 8192));
  command->add_option("--height", options->image.height, "Logical height (default 1000)")->check(CLI::Range(16, 8192));
  command->add_option("--scale", options->image.scale, "Render scale: 2 gives 2x pixels with 2x fonts, not upscaled")
      ->check(CLI::Range(0.25, 8.0));
  command->add_flag("--transparent", options->image.transparent, "Transparent background (RGBA PNG)");
  command->add_flag("--list", options->list, "List the view names and exit");
  command->add_flag("--timing", options->timing, "Print how long the export took");
  command->callback([options] { runExport(*options); });
}

const cli::RegisterCommand registration{"export", &installExportCommand};

}  // namespace
}  // namespace attnscope::gui
