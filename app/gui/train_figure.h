// The Train workspace's curves: loss and accuracy per step of every run, drawn with the plot module. The view draws
// them on screen and "Export curves" renders the same function through exportFigure (PNG and SVG), and the numbers
// go to a CSV: one draw path for screen and file.
#pragma once

#include <imgui.h>

#include <string>
#include <vector>

#include "app/plot/plot.h"
#include "app/plot/rect.h"
#include "core/train/trainer.h"

namespace attnscope::gui {

/// One run's curve: its legend label ("DPA", "EA + CT 0.1", ...) and every step's record.
struct TrainCurve {
  std::string label;
  std::vector<train::StepRecord> history;
};

struct TrainCurvesOptions {
  /// Last step shown (the timeline's position): a marker is drawn there; 0 = none.
  int markerStep = 0;
  /// Steps spanned by the x axis at least (the setup's step limit), so the curves grow from left to right.
  int stepLimit = 0;
};

/// Loss (top, log scale) and accuracy (bottom, 0..1) against the step, one colour per run (plot::seriesColor order,
/// the same as the run's colour elsewhere in the view), into `rect`.
void drawTrainCurves(ImDrawList* drawList, const plot::Rect& rect, const std::vector<TrainCurve>& curves,
                     const TrainCurvesOptions& options = {}, const plot::Style& style = plot::Style::fromImGui());

/// The CSV of the curves: run, label, step, loss, cross_entropy, alignment, accuracy, gradient_norm, learning_rate
/// (one row per run and step, 9 significant digits, as `attnscope train --log` with two leading columns).
std::string trainCurvesCsv(const std::vector<TrainCurve>& curves);

/// Renders drawTrainCurves headlessly (light style) into `pngPath` and/or `svgPath` (either may be empty),
/// atomically. Needs a current GL 3.3 context. Throws like exportFigure.
void writeTrainCurvesFigure(const std::vector<TrainCurve>& curves, const std::string& pngPath,
                            const std::string& svgPath);

}  // namespace attnscope::gui
