// Teaching demos (issue 6): a demo is a titled sequence of 3-8 steps, each a scene plus an explanation, an optional
// animation and a list of numeric claims. The text cites claims as {id}, filled in with the value the core computes,
// and tests assert each claim's comparison, so what a step says and what it shows cannot drift apart.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/app_state.h"

namespace attnscope::gui {

/// A number a step's text states, checked against the scene by the core. `metric` names what is computed:
///   "weight"         kernel's weight of (row, col)
///   "rowMax"         largest weight of row `row` under `kernel`
///   "meanDiagonal"   mean over rows i >= 1 of weight(i, i + col) (col = -1: attention to the previous token)
///   "meanColumn"     mean over rows i >= 1 of weight(i, col) (col = 0: attention to the first token)
///   "cosine"         cosine of query `row` and key `col`
///   "meanAbsCosine"  mean |cos| over every (query, key) pair
///   "responsibility" MGK gamma of query `row`, key position `col`, component `component`
///   "ct", "ctForward", "ctBackward", "mmd", "sinkhorn", "gaussianKl", "frechet": the divergence of the scene
struct DemoClaim {
  std::string id;      ///< referenced in the text as {id}
  std::string metric;  ///< see above
  std::string kernel;  ///< "dpa", "ea" or "mgk" for weight metrics
  int row = 0, col = 0, component = 0;
  std::string comparison;  ///< "eq" (|v - value| <= tolerance), "lt", "le", "gt", "ge"
  double value = 0;
  double tolerance = 1e-6;
  int digits = 3;  ///< decimals when the value is written into the text
};

/// A scene change over time while the step plays.
///   "rotateKey": key `index` placed at angle from..to degrees (coordinates 0 and 1, norm kept) over `seconds`.
///   "translateQueries": every query moved by t * `by` (t from 0 to 1 over `seconds`).
struct DemoAnimation {
  std::string kind;
  int index = 0;
  double fromDegrees = 0, toDegrees = 0;
  std::vector<float> by;
  double seconds = 4;
  bool loop = true;
};

struct DemoStep {
  std::string title;
  std::string text;  ///< may contain {claim-id} placeholders
  Scene scene;
  std::optional<WorkspaceKind> workspace;  ///< the step's tab (none: chosen from its views); sets scene.workspace
  std::optional<DemoAnimation> animation;
  std::vector<DemoClaim> claims;
};

struct Demo {
  std::string name;  ///< file stem, used by --demo NAME
  std::string title;
  std::string summary;
  std::vector<DemoStep> steps;
};

/// Folder of the shipped demos: $ATTNSCOPE_DEMO_DIR, else assets/demos under the working directory or its parent, else
/// relative to the executable (source tree build/bin, or share/attnscope/demos). Returns "" when none is found.
std::string demoDirectory();
/// Names (file stems) of every demo in `directory`, sorted.
std::vector<std::string> listDemos(const std::string& directory);
/// Parses a demo file; a step's "scene" is an inline scene object or a path relative to the demo file. Throws
/// FileError naming the file and the step.
Demo loadDemoFile(const std::string& path);
/// Loads demo `name` from demoDirectory(); throws InputError listing the demos when there is no such demo.
Demo loadDemo(const std::string& name);

/// The value of `claim` in `scene` (computed with the core through computeDerived). Throws InputError for an
/// unknown metric or an index out of range.
double evaluateClaim(const DemoClaim& claim, const Scene& scene, const Derived& derived);
/// True when `value` satisfies the claim's comparison.
bool claimHolds(const DemoClaim& claim, double value);
/// The step's text with every {id} replaced by the claim's computed value.
std::string renderStepText(const DemoStep& step, const Derived& derived);

/// `base` with `animation` applied at time `seconds` since the step started (loops or holds at the end).
Scene animatedScene(const Scene& base, const DemoAnimation& animation, double seconds);

}  // namespace attnscope::gui
