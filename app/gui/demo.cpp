// Loading, claim checking and animation of teaching demos (issue 6). No ImGui: the demo view, presenter mode, the
// headless export and the tests all share this code.
#include "app/gui/demo.h"
#include "app/gui/workspaces.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/gui/scene_io.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string readText(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw FileError("cannot open demo " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

template <typename T>
T field(const json& object, const char* key, const T& fallback) {
  if (!object.contains(key)) return fallback;
  return object.at(key).get<T>();
}

DemoClaim claimFromJson(const json& c) {
  DemoClaim claim;
  claim.id = c.at("id").get<std::string>();
  claim.metric = c.at("metric").get<std::string>();
  claim.kernel = field<std::string>(c, "kernel", "");
  claim.row = field<int>(c, "row", 0);
  claim.col = field<int>(c, "col", 0);
  claim.component = field<int>(c, "component", 0);
  claim.comparison = c.at("comparison").get<std::string>();
  claim.value = c.at("value").get<double>();
  claim.tolerance = field<double>(c, "tolerance", 1e-6);
  claim.digits = field<int>(c, "digits", 3);
  static const char* kComparisons[] = {"eq", "lt", "le", "gt", "ge"};
  if (std::find_if(std::begin(kComparisons), std::end(kComparisons),
                   [&](const char* name) { return claim.comparison == name; }) == std::end(kComparisons))
    throw InputError("claim " + claim.id + ": comparison must be eq, lt, le, gt or ge, found \"" + claim.comparison +
                     "\"");
  return claim;
}

DemoAnimation animationFromJson(const json& a) {
  DemoAnimation animation;
  animation.kind = a.at("kind").get<std::string>();
  animation.index = field<int>(a, "index", 0);
  animation.fromDegrees = field<double>(a, "fromDegrees", 0.0);
  animation.toDegrees = field<double>(a, "toDegrees", 0.0);
  animation.by = field<std::vector<float>>(a, "by", {});
  animation.seconds = field<double>(a, "seconds", 4.0);
  animation.loop = field<bool>(a, "loop", true);
  if (animation.kind != "rotateKey" && animation.kind != "translateQueries")
    throw InputError("animation kind must be rotateKey or translateQueries, found \"" + animation.kind + "\"");
  if (!(animation.seconds > 0)) throw InputError("animation seconds must be > 0");
  return animation;
}

const KernelResult& kernelResult(const DemoClaim& claim, const Scene& scene, const Derived& derived) {
  const std::optional<Kernel> kernel = kernelFromName(claim.kernel);
  if (!kernel) {
    std::string names;
    for (Kernel k : kAllKernels) names += std::string(names.empty() ? "" : ", ") + std::string(kernelName(k));
    throw InputError("claim " + claim.id + ": kernel must be one of " + names + ", found \"" + claim.kernel + "\"");
  }
  // Derived computes only the shown kernels: a claim about a hidden one has nothing to check.
  if (!scene.display.isKernelShown(*kernel))
    throw InputError("claim " + claim.id + ": kernel " + claim.kernel + " is not shown by this step's scene");
  return derived.result(*kernel);
}

void checkIndex(const DemoClaim& claim, int index, Eigen::Index size, const char* what) {
  if (index < 0 || index >= size)
    throw InputError("claim " + claim.id + ": " + what + " " + std::to_string(index) + " is out of range (size " +
                     std::to_string(size) + ")");
}

}  // namespace

std::string demoDirectory() {
  if (const char* env = std::getenv("ATTNSCOPE_DEMO_DIR"); env != nullptr && *env != '\0') return env;
  for (const fs::path& candidate : {fs::path("assets/demos"), fs::path("../assets/demos")})
    if (fs::is_directory(candidate)) return candidate.string();
  // Next to the executable: build/bin/attnscope in a source tree, or an installed bin/ + share/attnscope/demos.
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error)
    for (const char* relative : {"../../assets/demos", "../assets/demos", "../share/attnscope/demos"})
      if (fs::is_directory(exe.parent_path() / relative, error)) return (exe.parent_path() / relative).string();
  return "";
}

std::vector<std::string> listDemos(const std::string& directory) {
  std::vector<std::string> names;
  if (directory.empty() || !fs::is_directory(directory)) return names;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

Demo loadDemoFile(const std::string& path) {
  json root;
  try {
    root = json::parse(readText(path));
  } catch (const json::parse_error& e) {
    throw FileError(path + " is not valid JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {
    // Valid syntax the library still refuses, e.g. a number such as 1e999 that overflows a double.
    throw FileError(path + " is not valid JSON: " + e.what());
  }
  Demo demo;
  demo.name = fs::path(path).stem().string();
  std::size_t stepIndex = 0;
  try {
    if (field<std::string>(root, "format", "") != "attnscope-demo")
      throw InputError("format: expected \"attnscope-demo\"");
    demo.title = root.at("title").get<std::string>();
    demo.summary = field<std::string>(root, "summary", "");
    const json& steps = root.at("steps");
    if (!steps.is_array() || steps.size() < 3 || steps.size() > 8) throw InputError("steps: a demo has 3 to 8 steps");
    for (; stepIndex < steps.size(); ++stepIndex) {
      const json& s = steps[stepIndex];
      DemoStep step;
      step.title = s.at("title").get<std::string>();
      step.text = s.at("text").get<std::string>();
      const json& scene = s.at("scene");
      if (scene.is_string()) {
        const fs::path scenePath = fs::path(path).parent_path() / scene.get<std::string>();
        step.scene = loadSceneFile(scenePath.string());
      } else {
        step.scene = sceneFromJson(scene);
      }
      // The tab the step is shown in (workspaces.h); without it the step's views choose (workspaceOf).
      const std::string workspace = field<std::string>(s, "workspace", "");
      if (!workspace.empty()) {
        step.workspace = workspaceKindNamed(workspace);
        if (!step.workspace) {
          std::string known;
          for (const auto& [kind, name] : kWorkspaceNames) known += (known.empty() ? "" : ", ") + std::string(name);
          throw InputError("workspace: no workspace named \"" + workspace + "\" (workspaces: " + known + ")");
        }
        step.scene.workspace = step.workspace;
      }
      if (s.contains("animation")) step.animation = animationFromJson(s.at("animation"));
      if (s.contains("claims"))
        for (const json& c : s.at("claims")) step.claims.push_back(claimFromJson(c));
      demo.steps.push_back(std::move(step));
    }
  } catch (const json::exception& e) {
    throw FileError(path + (stepIndex > 0 ? ", step " + std::to_string(stepIndex + 1) : std::string()) + ": " +
                    e.what());
  } catch (const InputError& e) {
    throw FileError(path + (stepIndex > 0 ? ", step " + std::to_string(stepIndex + 1) : std::string()) + ": " +
                    e.what());
  }
  return demo;
}

Demo loadDemo(const std::string& name) {
  const std::string directory = demoDirectory();
  const std::vector<std::string> names = listDemos(directory);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw InputError("no demo named \"" + name + "\" (demos: " + (known.empty() ? "none found" : known) + ")");
  }
  return loadDemoFile((fs::path(directory) / (name + ".json")).string());
}

double evaluateClaim(const DemoClaim& claim, const Scene& scene, const Derived& derived) {
  const std::string& m = claim.metric;
  if (m == "weight" || m == "rowMax") {
    const RowMatrix& w = kernelResult(claim, scene, derived).weights;
    checkIndex(claim, claim.row, w.rows(), "row");
    if (m == "rowMax") return w.row(claim.row).maxCoeff();
    checkIndex(claim, claim.col, w.cols(), "col");
    return w(claim.row, claim.col);
  }
  if (m == "meanDiagonal" || m == "meanColumn") {
    // Averaged over rows 1..N-1: under a causal mask row 0 sees only key 0, which says nothing about a head.
    const RowMatrix& w = kernelResult(claim, scene, derived).weights;
    if (w.rows() < 2) throw InputError("claim " + claim.id + ": " + m + " needs at least two queries");
    double sum = 0;
    int count = 0;
    for (Eigen::Index i = 1; i < w.rows(); ++i) {
      const Eigen::Index j = m == "meanDiagonal" ? i + claim.col : claim.col;
      if (j < 0 || j >= w.cols()) continue;
      sum += w(i, j);
      ++count;
    }
    if (count == 0) throw InputError("claim " + claim.id + ": no entry of " + m + " " + std::to_string(claim.col));
    return sum / count;
  }
  if (m == "cosine" || m == "meanAbsCosine") {
    // Cosines in double so a claim of "exactly 0" is about the vectors, not about float rounding.
    const Eigen::MatrixXd q = scene.queries.cast<double>().rowwise().normalized();
    const Eigen::MatrixXd k = scene.keys.cast<double>().rowwise().normalized();
    if (m == "meanAbsCosine") return (q * k.transpose()).cwiseAbs().mean();
    checkIndex(claim, claim.row, q.rows(), "row");
    checkIndex(claim, claim.col, k.rows(), "col");
    return q.row(claim.row).dot(k.row(claim.col));
  }
  if (m == "responsibility") {
    const int R = scene.kernel.mgkComponents;
    const RowMatrix& g = derived.mgkResponsibilities;
    checkIndex(claim, claim.row, g.rows(), "row");
    checkIndex(claim, claim.col, scene.keyCount(), "col");
    checkIndex(claim, claim.component, R, "component");
    return g(claim.row, claim.col * R + claim.component);
  }
  const Divergences& d = derived.divergences;
  if (m == "ct") return d.ct;
  if (m == "ctForward") return d.ctForward;
  if (m == "ctBackward") return d.ctBackward;
  if (m == "mmd") return d.mmdBiased;
  if (m == "sinkhorn") return d.sinkhorn;
  if (m == "gaussianKl") return d.gaussianKl;
  if (m == "frechet") return d.frechet;
  throw InputError("claim " + claim.id + ": unknown metric \"" + m + "\"");
}

bool claimHolds(const DemoClaim& claim, double value) {
  if (!std::isfinite(value)) return false;
  if (claim.comparison == "eq") return std::abs(value - claim.value) <= claim.tolerance;
  if (claim.comparison == "lt") return value < claim.value;
  if (claim.comparison == "le") return value <= claim.value;
  if (claim.comparison == "gt") return value > claim.value;
  if (claim.comparison == "ge") return value >= claim.value;
  return false;
}

std::string renderStepText(const DemoStep& step, const Derived& derived) {
  std::string text = step.text;
  for (const DemoClaim& claim : step.claims) {
    const std::string token = "{" + claim.id + "}";
    std::string value;
    try {
      char buffer[64];
      double v = evaluateClaim(claim, step.scene, derived);
      if (std::abs(v) < 0.5 * std::pow(10.0, -claim.digits)) v = 0.0;  // never print "-0.000"
      std::snprintf(buffer, sizeof buffer, "%.*f", claim.digits, v);
      value = buffer;
    } catch (const Error&) {
      value = "?";
    }
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size()))
      text.replace(at, token.size(), value);
  }
  return text;
}

Scene animatedScene(const Scene& base, const DemoAnimation& animation, double seconds) {
  double t = seconds / animation.seconds;
  t = animation.loop ? t - std::floor(t) : std::clamp(t, 0.0, 1.0);
  Scene scene = base;
  if (animation.kind == "rotateKey") {
    if (animation.index < 0 || animation.index >= scene.keyCount()) return scene;
    const double degrees = animation.fromDegrees + t * (animation.toDegrees - animation.fromDegrees);
    const double radians = degrees * std::acos(-1.0) / 180.0;
    const float norm = scene.keys.row(animation.index).head<2>().norm();
    scene.keys(animation.index, 0) = static_cast<float>(norm * std::cos(radians));
    scene.keys(animation.index, 1) = static_cast<float>(norm * std::sin(radians));
  } else if (animation.kind == "translateQueries") {
    const int d = std::min<int>(scene.dimension(), static_cast<int>(animation.by.size()));
    for (int i = 0; i < scene.queryCount(); ++i)
      for (int c = 0; c < d; ++c) scene.queries(i, c) += static_cast<float>(t * animation.by[c]);
  }
  return scene;
}

}  // namespace attnscope::gui
