// Export beyond the basic PNG (issue 5): SVG of the plot views (through the plot module's vector painter), the
// numbers behind each view as CSV/.npy, and a PNG frame sequence of the angle sweep for slides.
#pragma once

#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "app/gui/shell.h"

namespace attnscope::gui {

/// Views whose every mark is drawn through the plot painter (lines, polar, bars, vector canvas, divergence clouds),
/// so their SVG is complete. Heatmap views (maps, density) draw GPU textures and are exported as PNG or .npy.
bool viewSupportsSvg(ViewKind view);
/// True when `path` ends in .svg (case-insensitive).
bool isSvgPath(const std::string& path);

/// Renders options.view (required; one of viewSupportsSvg) through the same drawUi() as the PNG export with an SVG
/// sink installed and writes a standalone SVG (viewBox = the export's pixel size; text as <text>) atomically.
/// Needs a current GL 3.3 context. Throws InputError (no/unsupported view) or FileError (cannot write).
void exportSvg(AppContext& context, const ExportOptions& options, const std::string& path);

/// Writes the numbers behind the view named `viewId` (ViewInfo::id, as on the command line; empty = every view) into
/// `folder` (which must exist), each file atomically:
///   sweep:      sweep.csv (angle_deg, {dpa,ea,mgk}_weight, {dpa,ea,mgk}_score; one row per sweep sample)
///   maps:       weights_{dpa,ea,mgk}.npy and scores_{dpa,ea,mgk}.npy (N x M float32, row i = query i)
///   density:    density.npy, density_kernel.npy (R x R float32, row 0 at yMin), density_grid.csv (extent)
///   divergence: divergences.csv (metric, value), ct_forward_plan.npy, ct_backward_plan.npy, ct_cost.npy (M x N)
///   canvas:     vectors.csv (kind, index, label, plane x, plane y, then the d coordinates)
///   parameters: selected_query_weights.csv (key index, label, {dpa,ea,mgk}_weight for the selected query)
///   model:      heads.csv (the explorer's run: every head's statistics, the file `attnscope model heads --csv` writes;
///               skipped when exporting every view without a run, refused when asked for the model view alone)
/// Returns the written paths. Throws InputError (unknown view) or FileError (missing or read-only folder).
std::vector<std::string> exportData(const AppContext& context, const std::string& viewId, const std::string& folder);

/// The scene with its selected key turned to `angleDegrees` from the selected query, in the plane the core's angle
/// sweep uses (e1 = q/|q|, e2 = the key's component orthogonal to q, or the axis least aligned with q when the key is
/// parallel, antiparallel or zero), keeping the key's norm. Throws InputError for a zero query.
Scene sceneWithSweptKey(const Scene& scene, double angleDegrees);

/// Writes `frames` PNGs (>= 2) of the selected key rotating from 0 to 180 degrees around the selected query.
/// `pattern` holds one printf integer conversion (%d, %03d, ...) and no other '%' (use %% for a literal one); every
/// PNG embeds its frame's scene. Needs a current GL 3.3 context. Returns the written paths; throws on failure (files
/// already written stay: each is complete, being written atomically).
std::vector<std::string> exportSweepFrames(const Scene& scene, const ExportOptions& options, int frames,
                                           const std::string& pattern);

/// Dispatches a window/headless image export by the path's extension: .svg -> exportSvg, anything else -> PNG.
void exportImage(AppContext& context, const ExportOptions& options, const std::string& path);

}  // namespace attnscope::gui
