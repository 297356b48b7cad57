// SVG, CSV/.npy and sweep-frame exports (issue 5, "Beyond PNG"), sharing the PNG export's render path.
#include "app/gui/export_formats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>

#include "app/gui/model_session.h"
#include "app/gui/scene_io.h"
#include "app/plot/paint.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/geometry.h"
#include "core/npy.h"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

/// The window background of the app style (setupFontsAndStyle): axis labels sit on it, so an SVG needs it too.
constexpr const char* kSvgBackground = "#171a1f";

std::string viewNames() {
  std::string known;
  for (const ViewInfo& view : allViews()) known += std::string(known.empty() ? "" : ", ") + view.id;
  return known.empty() ? std::string("none") : known;
}

/// Shortest text that reads back as the same float32 (9 significant digits always round-trip).
std::string csvNumber(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class DataWriter {
 public:
  explicit DataWriter(const std::string& folder) : folder_(folder) {}

  void csv(const std::string& name, const std::string& text) {
    const std::string path = (folder_ / name).string();
    writeFileAtomically(path, text);
    written_.push_back(path);
  }
  void npy(const std::string& name, const RowMatrix& matrix) {
    const std::string path = (folder_ / name).string();
    writeNpyMatrix(path, matrix);
    written_.push_back(path);
  }
  void record(const std::string& path) { written_.push_back(path); }  // a file written by someone else's writer
  std::vector<std::string> take() { return std::move(written_); }

 private:
  fs::path folder_;
  std::vector<std::string> written_;
};

/// Column name of a kernel in CSV files: its command-line name with '-' as '_' ("ea_pure", "mgk_hard").
std::string csvKernelName(Kernel kernel) {
  std::string name(kernelName(kernel));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

void writeSweep(const Scene& scene, const Derived& derived, DataWriter& out) {
  const AngleSweep& s = derived.sweep;
  // The first three shown kernels' weights, then their scores, then weight and score of each further kernel: the
  // default DPA, EA, MGK sweep keeps the column layout files had before the kernel list (and MLK, cosine after).
  const std::span<const Kernel> shown = scene.display.shownKernels;
  const std::size_t leading = std::min<std::size_t>(3, shown.size());
  std::string text = "angle_deg";
  std::vector<const Vector*> columns;
  for (std::size_t k = 0; k < leading; ++k)
    text += "," + csvKernelName(shown[k]) + "_weight", columns.push_back(&s.weight(shown[k]));
  for (std::size_t k = 0; k < leading; ++k)
    text += "," + csvKernelName(shown[k]) + "_score", columns.push_back(&s.score(shown[k]));
  for (std::size_t k = leading; k < shown.size(); ++k) {
    text += "," + csvKernelName(shown[k]) + "_weight," + csvKernelName(shown[k]) + "_score";
    columns.insert(columns.end(), {&s.weight(shown[k]), &s.score(shown[k])});
  }
  text += "\n";
  for (Eigen::Index i = 0; i < s.angleDegrees.size(); ++i) {
    text += csvNumber(s.angleDegrees[i]);
    for (const Vector* column : columns) text += "," + (i < column->size() ? csvNumber((*column)[i]) : "nan");
    text += "\n";
  }
  out.csv("sweep.csv", text);
}

void writeMaps(const Scene& scene, const Derived& derived, DataWriter& out) {
  for (Kernel kernel : scene.display.shownKernels) {
    const std::string name = csvKernelName(kernel);
    out.npy("weights_" + name + ".npy", derived.result(kernel).weights);
    out.npy("scores_" + name + ".npy", derived.result(kernel).scores);
  }
}

void writeDensity(const Derived& derived, DataWriter& out) {
  const DensityField& f = derived.density;
  out.npy("density.npy", f.density);
  out.npy("density_kernel.npy", f.kernel);
  out.csv("density_grid.csv", "resolution,x_min,x_max,y_min,y_max\n" + std::to_string(f.resolution) + "," +
                                  csvNumber(f.xMin) + "," + csvNumber(f.xMax) + "," + csvNumber(f.yMin) + "," +
                                  csvNumber(f.yMax) + "\n");
}

void writeDivergence(const Scene& scene, const Derived& derived, DataWriter& out) {
  Divergences d = derived.divergences;
  // In the window the expensive divergences may still be computing for this scene: a file must hold the numbers of
  // the scene it claims, so compute them here (synchronously) rather than write the previous scene's values.
  if (derived.slowDivergenceRevision != derived.sceneRevision) {
    std::string error;
    computeSlowDivergences(scene, d, error);
    if (!error.empty()) throw InputError("divergences of this scene: " + error);
  }
  const std::pair<const char*, float> rows[] = {{"ct", d.ct},
                                                {"ct_forward", d.ctForward},
                                                {"ct_backward", d.ctBackward},
                                                {"mmd_biased", d.mmdBiased},
                                                {"mmd_unbiased", d.mmdUnbiased},
                                                {"sinkhorn", d.sinkhorn},
                                                {"gaussian_kl", d.gaussianKl},
                                                {"frechet", d.frechet}};
  std::string text = "metric,value\n";
  for (const auto& [name, value] : rows) text += std::string(name) + "," + csvNumber(value) + "\n";
  out.csv("divergences.csv", text);
  out.npy("ct_forward_plan.npy", d.ctForwardPlan);
  out.npy("ct_backward_plan.npy", d.ctBackwardPlan);
  out.npy("ct_cost.npy", d.ctCost);
}

void writeCanvas(const Scene& scene, const Derived& derived, DataWriter& out) {
  std::string text = "kind,index,label,plane_x,plane_y";
  for (int c = 0; c < scene.dimension(); ++c) text += ",x" + std::to_string(c);
  text += "\n";
  const auto rows = [&](const char* kind, const RowMatrix& vectors, const std::vector<std::string>& labels,
                        const RowMatrix& plane) {
    for (Eigen::Index i = 0; i < vectors.rows(); ++i) {
      text += std::string(kind) + "," + std::to_string(i) + "," +
              csvField(i < static_cast<Eigen::Index>(labels.size()) ? labels[i] : std::string());
      for (int c = 0; c < 2; ++c) text += "," + (i < plane.rows() ? csvNumber(plane(i, c)) : std::string("nan"));
      for (Eigen::Index c = 0; c < vectors.cols(); ++c) text += "," + csvNumber(vectors(i, c));
      text += "\n";
    }
  };
  rows("query", scene.queries, scene.queryLabels, derived.plane.queries2d);
  rows("key", scene.keys, scene.keyLabels, derived.plane.keys2d);
  out.csv("vectors.csv", text);
}

void writeParameters(const Scene& scene, const Derived& derived, DataWriter& out) {
  std::string text = "key,label";
  for (Kernel kernel : scene.display.shownKernels) text += "," + csvKernelName(kernel) + "_weight";
  text += "\n";
  const int i = scene.selectedQuery;
  for (int j = 0; j < scene.keyCount(); ++j) {
    text += std::to_string(j) + "," + csvField(j < static_cast<int>(scene.keyLabels.size()) ? scene.keyLabels[j] : "");
    for (Kernel kernel : scene.display.shownKernels) {
      const KernelResult* result = &derived.result(kernel);
      const bool present = i < result->weights.rows() && j < result->weights.cols();
      text += "," + (present ? csvNumber(result->weights(i, j)) : std::string("nan"));
    }
    text += "\n";
  }
  out.csv("selected_query_weights.csv", text);
}

/// Checks a frame-name pattern: exactly one integer conversion %d / %Nd / %0Nd, '%%' for a literal percent sign.
void checkFramePattern(const std::string& pattern) {
  int conversions = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < pattern.size() && j - i <= 3 && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
    if (j >= pattern.size() || pattern[j] != 'd')
      throw InputError("frame name pattern \"" + pattern + "\": only %d, %3d or %03d (and %% for '%') are allowed");
    ++conversions;
    i = j;
  }
  if (conversions != 1)
    throw InputError("frame name pattern \"" + pattern +
                     "\" needs exactly one frame number, e.g. frames/frame_%03d.png");
}

std::string frameName(const std::string& pattern, int index) {
  std::vector<char> buffer(pattern.size() + 64);
  std::snprintf(buffer.data(), buffer.size(), pattern.c_str(), index);  // pattern checked by checkFramePattern
  return buffer.data();
}

}  // namespace

bool viewSupportsSvg(ViewKind view) {
  return view == ViewKind::Sweep || view == ViewKind::Canvas || view == ViewKind::Divergence;
}

bool isSvgPath(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".svg";
}

void exportSvg(AppContext& context, const ExportOptions& options, const std::string& path) {
  if (options.view.empty())
    throw InputError("SVG export needs one view (--view sweep, canvas or divergence); the whole window is PNG only");
  const ViewInfo* view = findView(options.view);
  if (view == nullptr) throw InputError("no view named \"" + options.view + "\" (views: " + viewNames() + ")");
  if (!viewSupportsSvg(view->kind))
    throw InputError("view \"" + options.view +
                     "\" shows GPU heatmaps and has no SVG export; use PNG, or --data for its numbers (SVG views: "
                     "sweep, canvas, divergence)");
  plot::SvgSink sink;
  const render::Image image = renderUiImage(context, options, &sink);
  plot::SvgOptions svg;
  svg.width = static_cast<float>(image.width);
  svg.height = static_cast<float>(image.height);
  svg.title = "attnscope: " + options.view;
  if (!options.transparent) svg.background = kSvgBackground;
  writeFileAtomically(path, sink.document(svg));
}

std::vector<std::string> exportData(const AppContext& context, const std::string& viewId, const std::string& folder) {
  const ViewInfo* only = viewId.empty() ? nullptr : findView(viewId);
  if (!viewId.empty() && only == nullptr)
    throw InputError("no view named \"" + viewId + "\" (views: " + viewNames() + ")");
  std::error_code error;
  if (!fs::is_directory(folder, error))
    throw FileError("cannot write data into " + folder + ": not an existing folder (create it first)");
  const Scene& scene = context.scene();
  const Derived& derived = context.derived();
  if (!derived.error.empty()) throw InputError("the scene's results are incomplete: " + derived.error);
  DataWriter out(folder);
  const auto wants = [&](ViewKind view) { return only == nullptr || only->kind == view; };
  if (wants(ViewKind::Sweep)) writeSweep(scene, derived, out);
  if (wants(ViewKind::Maps)) writeMaps(scene, derived, out);
  if (wants(ViewKind::Density)) writeDensity(derived, out);
  if (wants(ViewKind::Divergence)) writeDivergence(scene, derived, out);
  if (wants(ViewKind::Canvas)) writeCanvas(scene, derived, out);
  if (wants(ViewKind::Parameters)) writeParameters(scene, derived, out);
  if (wants(ViewKind::Model)) {
    // heads.csv: every head's statistics as `attnscope model heads --csv` writes them, for the run the explorer shows.
    const ModelSession* session = context.startedModelSession();
    const ModelResult* result = session ? session->result() : nullptr;
    if (result && !result->headTable.rows.empty() && result->request.path == scene.model.path) {
      const std::string path = (fs::path(folder) / "heads.csv").string();
      writeHeadsCsv(*result, path);
      out.record(path);
    } else if (only != nullptr) {
      throw InputError("the model explorer has no run to export: open a model and run a prompt first");
    }
  }
  return out.take();
}

Scene sceneWithSweptKey(const Scene& scene, double angleDegrees) {
  scene.validate();
  const int i = scene.selectedQuery, j = scene.selectedKey;
  const Eigen::VectorXd q = scene.queries.row(i).transpose().cast<double>();
  if (!(q.norm() > 0.0)) throw InputError("sweep frames: the selected query " + std::to_string(i) + " is zero");
  // The same plane as the kernel sweep's (core/geometry.h), so frame f shows the key the sweep plots at that angle.
  const QueryKeyPlane plane = queryKeyPlane(q, scene.keys.row(j).transpose().cast<double>());
  Scene out = scene;
  out.keys.row(j) = plane.keyAt(angleDegrees).cast<float>().transpose();
  return out;
}

std::vector<std::string> exportSweepFrames(const Scene& scene, const ExportOptions& options, int frames,
                                           const std::string& pattern) {
  if (frames < 2 || frames > 3600)
    throw InputError("sweep frames: " + std::to_string(frames) + " frames requested, expected 2..3600");
  checkFramePattern(pattern);
  std::vector<std::string> written;
  for (int f = 0; f < frames; ++f) {
    const double angle = 180.0 * f / (frames - 1);
    AppContext context(sceneWithSweptKey(scene, angle));
    context.refreshDerived();
    const std::string path = frameName(pattern, f);
    exportPng(context, options, path);
    written.push_back(path);
  }
  return written;
}

void exportImage(AppContext& context, const ExportOptions& options, const std::string& path) {
  if (isSvgPath(path))
    exportSvg(context, options, path);
  else
    exportPng(context, options, path);
}

}  // namespace attnscope::gui
