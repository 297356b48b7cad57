// JSON <-> Scene. Field names are the ones documented in the README's scene-format section.
#include "app/gui/scene_io.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <type_traits>
#include <utility>

#include "app/render/png_io.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/npz.h"
#include "core/validate.h"

namespace attnscope::gui {
namespace {

using nlohmann::json;

/// The shortest decimal that reads back as the same float ("0.1", not 0.10000000149011612): files stay readable.
double tidy(float value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  *result.ptr = '\0';
  return std::strtod(text, nullptr);
}

json matrixToJson(const RowMatrix& m) {
  json rows = json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    json row = json::array();
    for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(tidy(m(i, c)));
    rows.push_back(std::move(row));
  }
  return rows;
}

/// Reads a rows x cols matrix; `cols` < 0 accepts any common width. Throws InputError naming `path`.
/// Validate, then allocate: `cols` may come from the file's "dimension" (2000000000 in an 87-byte file), so every row's
/// length is checked against it before the matrix is sized; rows x cols is then bounded by the numbers in the text.
RowMatrix matrixFromJson(const json& value, const std::string& path, int cols) {
  if (!value.is_array()) throw InputError(path + ": expected an array of rows");
  const int rows = static_cast<int>(value.size());
  if (rows > 0 && cols < 0) cols = value[0].is_array() ? static_cast<int>(value[0].size()) : 0;
  for (int i = 0; i < rows; ++i) {
    const json& row = value[i];
    if (!row.is_array() || static_cast<int>(row.size()) != cols)
      throw InputError(path + "[" + std::to_string(i) + "]: expected an array of " + std::to_string(cols) + " numbers");
  }
  cols = std::max(cols, 0);
  requireWithinBudget(4.0 * rows * cols, path + " (" + std::to_string(rows) + " x " + std::to_string(cols) + ")");
  RowMatrix m(rows, cols);
  for (int i = 0; i < rows; ++i) {
    const json& row = value[i];
    for (int c = 0; c < cols; ++c) {
      if (!row[c].is_number())
        throw InputError(path + "[" + std::to_string(i) + "][" + std::to_string(c) + "]: expected a number");
      m(i, c) = row[c].get<float>();
    }
  }
  return m;
}

/// A whole number of type T, or InputError naming `path`. nlohmann's get<int>() casts a float with static_cast, which
/// is undefined behaviour when it is out of range ("version": 1e300), and silently truncates 2.5 or wraps 2^40.
template <typename T>
T wholeNumber(const json& value, const std::string& path) {
  using Limits = std::numeric_limits<T>;
  if (value.is_number_unsigned()) {
    const std::uint64_t v = value.get<std::uint64_t>();
    if (std::cmp_less_equal(v, Limits::max())) return static_cast<T>(v);
  } else if (value.is_number_integer()) {
    const std::int64_t v = value.get<std::int64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  } else if (value.is_number_float()) {
    // [min, 2^digits) is exactly representable as double bounds for every integer type up to 64 bits.
    const double v = value.get<double>();
    if (v == std::floor(v) && v >= static_cast<double>(Limits::min()) && v < std::ldexp(1.0, Limits::digits))
      return static_cast<T>(v);
  } else {
    throw InputError(path + ": unexpected type " + std::string(value.type_name()) + ", expected a whole number");
  }
  throw InputError(path + ": " + value.dump() + " is not a whole number in " + std::to_string(Limits::min()) + ".." +
                   std::to_string(Limits::max()));
}

/// value.get<T>() with every integer checked by wholeNumber (also inside arrays, e.g. model.tokenIds).
template <typename T>
T readValue(const json& value, const std::string& path) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return wholeNumber<T>(value, path);
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    if (!value.is_array()) throw InputError(path + ": unexpected type " + std::string(value.type_name()));
    std::vector<int> out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i)
      out.push_back(wholeNumber<int>(value[i], path + "[" + std::to_string(i) + "]"));
    return out;
  } else {
    try {
      return value.get<T>();
    } catch (const json::exception&) {
      throw InputError(path + ": unexpected type " + std::string(value.type_name()));
    }
  }
}

/// Reads object fields with type checks and records which keys were consumed, to warn about the rest.
class Reader {
 public:
  Reader(const json& object, std::string path, std::vector<std::string>* warnings)
      : object_(object), path_(std::move(path)), warnings_(warnings) {
    if (!object_.is_object()) throw InputError((path_.empty() ? "scene" : path_) + ": expected a JSON object");
  }
  ~Reader() {
    if (warnings_ == nullptr) return;
    for (const auto& [key, value] : object_.items())
      if (!used_.count(key)) warnings_->push_back("unknown field " + name(key) + " ignored");
  }
  bool has(const std::string& key) {
    used_.insert(key);
    return object_.contains(key) && !object_[key].is_null();
  }
  const json& at(const std::string& key) {
    used_.insert(key);
    return object_.at(key);
  }
  std::string name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  template <typename T>
  void read(const std::string& key, T& out) {
    if (!has(key)) return;
    out = readValue<T>(at(key), name(key));
  }
  template <typename Enum, std::size_t N>
  void readEnum(const std::string& key, Enum& out, const std::pair<Enum, const char*> (&names)[N]) {
    if (!has(key)) return;
    std::string text;
    read(key, text);
    for (const auto& [value, label] : names)
      if (text == label) {
        out = value;
        return;
      }
    std::string expected;
    for (const auto& entry : names) expected += std::string(expected.empty() ? "" : ", ") + entry.second;
    throw InputError(name(key) + ": \"" + text + "\" is not one of " + expected);
  }
  std::vector<std::string>* warnings() const { return warnings_; }

 private:
  const json& object_;
  std::string path_;
  std::vector<std::string>* warnings_;
  std::set<std::string> used_;
};

constexpr std::pair<ExpressiveForm, const char*> kEaForms[] = {{ExpressiveForm::Saturating, "saturating"},
                                                               {ExpressiveForm::Pure, "pure"}};
constexpr std::pair<MgkCentres, const char*> kMgkCentres[] = {{MgkCentres::Shifted, "shifted"},
                                                              {MgkCentres::PerKeyOffsets, "per-key-offsets"}};
/// Version-1 files before the kernel list chose the MGK variant with kernel.mgk.variant.
enum class LegacyMgkVariant { Soft, Hard };
constexpr std::pair<LegacyMgkVariant, const char*> kMgkVariants[] = {{LegacyMgkVariant::Soft, "soft"},
                                                                     {LegacyMgkVariant::Hard, "hard"}};
// The file spells the core's "euclid" cost "euclidean" (format version 1, kept).
constexpr std::pair<TransportCost, const char*> kCtCosts[] = {{TransportCost::Euclid, "euclidean"},
                                                              {TransportCost::OneMinusCos, "one-minus-cos"}};
constexpr std::pair<ColorMap, const char*> kColorMaps[] = {
    {ColorMap::Viridis, "viridis"}, {ColorMap::Magma, "magma"}, {ColorMap::Diverging, "diverging"}};

template <typename Enum, std::size_t N>
const char* enumName(Enum value, const std::pair<Enum, const char*> (&names)[N]) {
  for (const auto& [candidate, label] : names)
    if (candidate == value) return label;
  return names[0].second;
}

std::vector<std::string> openViewNames(const Scene& scene) {
  std::vector<std::string> names;
  for (ViewKind view : scene.openViews) names.emplace_back(viewName(view));
  return names;
}

/// The views named in a file; a name this build does not know (a view of a newer attnscope) is left out with a
/// warning, so the scene still opens.
std::vector<ViewKind> openViewsFromNames(const std::vector<std::string>& names, std::vector<std::string>* warnings) {
  std::vector<ViewKind> views;
  for (const std::string& name : names) {
    const std::optional<ViewKind> view = viewKindNamed(name);
    if (!view) {
      if (warnings != nullptr) warnings->push_back("views: unknown view \"" + name + "\" ignored");
    } else if (std::find(views.begin(), views.end(), *view) == views.end()) {
      views.push_back(*view);
    }
  }
  return views;
}

std::vector<std::string> shownKernelNames(const DisplayParams& display) {
  std::vector<std::string> names;
  for (Kernel kernel : display.shownKernels) names.emplace_back(kernelName(kernel));
  return names;
}

}  // namespace

json sceneToJson(const Scene& scene) {
  const KernelParams& k = scene.kernel;
  json mgk = {{"components", k.mgkComponents},
              {"centres", enumName(k.mgkCentres, kMgkCentres)},
              // Written for older readers only (this version reads display.kernels).
              {"variant", scene.display.mgkHard() ? "hard" : "soft"},
              {"shifts", matrixToJson(k.mgkShifts)},
              {"offsets", matrixToJson(k.mgkOffsets)},
              {"priors", matrixToJson(k.mgkPriors)},
              {"variances", matrixToJson(k.mgkVariances)}};
  json kernel = {{"scale", k.useScaleOverride ? json(tidy(k.scaleOverride)) : json(nullptr)},
                 {"causal", k.causal},
                 {"eaForm", enumName(k.eaForm, kEaForms)},
                 {"cosineTemperature", tidy(k.cosineTemperature)},
                 {"mgk", std::move(mgk)}};
  json divergence = {{"ctRho", tidy(scene.divergence.ctRho)},
                     {"ctTau", tidy(scene.divergence.ctTau)},
                     {"ctCost", enumName(scene.divergence.ctCost, kCtCosts)},
                     {"sinkhornEpsilon", tidy(scene.divergence.sinkhornEpsilon)}};
  json display = {{"colorMap", enumName(scene.display.colorMap, kColorMaps)},
                  {"heatmapLogScale", scene.display.heatmapLogScale},
                  {"classificationBandDegrees", tidy(scene.display.classificationBandDegrees)},
                  {"planeExtent", tidy(scene.display.planeExtent)},
                  {"densityResolution", scene.display.densityResolution},
                  {"kernels", shownKernelNames(scene.display)},
                  // Written for older readers only, whose sweep knew MLK and cosine as optional extras.
                  {"sweepShowMlk", scene.display.isKernelShown(Kernel::Mlk)},
                  {"sweepShowCosine", scene.display.isKernelShown(Kernel::Cosine)}};
  json root{{"format", kSceneFormatName},          {"version", kSceneFormatVersion},
            {"dimension", scene.dimension()},      {"queries", matrixToJson(scene.queries)},
            {"keys", matrixToJson(scene.keys)},    {"queryLabels", scene.queryLabels},
            {"keyLabels", scene.keyLabels},        {"selectedQuery", scene.selectedQuery},
            {"selectedKey", scene.selectedKey},    {"kernel", std::move(kernel)},
            {"divergence", std::move(divergence)}, {"display", std::move(display)},
            {"views", openViewNames(scene)},       {"randomSeed", scene.randomSeed}};
  if (scene.workspace) root["workspace"] = std::string(workspaceName(*scene.workspace));
  if (scene.model.active())
    root["model"] = json{{"path", scene.model.path},      {"tokenizer", scene.model.tokenizerPath},
                         {"prompt", scene.model.prompt},  {"tokenIds", scene.model.tokenIds},
                         {"layer", scene.model.layer},    {"head", scene.model.head},
                         {"preRope", scene.model.preRope}};
  return root;
}

Scene sceneFromJson(const json& root, std::vector<std::string>* warnings) {
  Reader top(root, "", warnings);
  std::string format;
  top.read("format", format);
  if (format != kSceneFormatName)
    throw InputError("format: expected \"" + std::string(kSceneFormatName) + "\", found \"" + format + "\"");
  int version = 0;
  top.read("version", version);
  if (version > kSceneFormatVersion)
    throw InputError("scene format version " + std::to_string(version) + " is newer than this attnscope reads (" +
                     std::to_string(kSceneFormatVersion) + "): update attnscope to open it");
  if (version < 1) throw InputError("version: expected a positive integer");

  Scene scene;
  int d = -1;
  top.read("dimension", d);
  if (!top.has("keys") || !top.has("queries")) throw InputError("a scene needs \"queries\" and \"keys\"");
  scene.keys = matrixFromJson(top.at("keys"), "keys", d);
  if (d < 0) d = static_cast<int>(scene.keys.cols());
  scene.queries = matrixFromJson(top.at("queries"), "queries", d);
  // Checked before anything is sized by d: with no vectors, "dimension": 2000000000 alone would make normalise()
  // allocate gigabytes of MGK shifts. With at least one vector, d is bounded by the numbers in the file.
  if (scene.keys.rows() < 1 || scene.queries.rows() < 1)
    throw InputError("the scene needs at least one query and one key (\"queries\" and \"keys\" are empty)");
  top.read("queryLabels", scene.queryLabels);
  top.read("keyLabels", scene.keyLabels);
  top.read("selectedQuery", scene.selectedQuery);
  top.read("selectedKey", scene.selectedKey);
  if (top.has("views")) {
    std::vector<std::string> viewNames;
    top.read("views", viewNames);
    scene.openViews = openViewsFromNames(viewNames, warnings);
  }
  if (top.has("workspace")) {  // optional: older scenes infer it from their views (workspaceOf)
    std::string name;
    top.read("workspace", name);
    scene.workspace = workspaceKindNamed(name);
    // A name from a newer build (or a typo): the views choose, as for an older scene, and the user is told.
    if (!scene.workspace && warnings != nullptr)
      warnings->push_back("workspace: unknown workspace \"" + name + "\" ignored (the open views choose one)");
  }
  top.read("randomSeed", scene.randomSeed);

  // Files written before display.kernels existed chose the shown kernels with these three fields: DPA, EA and MGK
  // (soft or hard per kernel.mgk.variant), plus MLK and cosine in the sweep when switched on. They map onto the
  // kernel list, so an old file shows what it showed (MLK and cosine now in every view, not only the sweep).
  LegacyMgkVariant legacyVariant = LegacyMgkVariant::Soft;
  bool legacyMlk = false, legacyCosine = false, hasKernelList = false;
  if (top.has("kernel")) {
    Reader kernel(top.at("kernel"), "kernel", warnings);
    KernelParams& k = scene.kernel;
    if (kernel.has("scale")) {
      k.useScaleOverride = true;
      kernel.read("scale", k.scaleOverride);
    }
    kernel.read("causal", k.causal);
    kernel.readEnum("eaForm", k.eaForm, kEaForms);
    // Added after version 1 shipped, without a version bump: absent in older files (the defaults apply), and an older
    // attnscope reading a newer file only warns about these fields (its sweep has no optional kernels to show).
    kernel.read("cosineTemperature", k.cosineTemperature);
    if (kernel.has("mgk")) {
      Reader mgk(kernel.at("mgk"), "kernel.mgk", warnings);
      mgk.read("components", k.mgkComponents);
      if (k.mgkComponents < 1 || k.mgkComponents > kMaxMgkComponents)
        throw InputError("kernel.mgk.components: expected 1.." + std::to_string(kMaxMgkComponents));
      mgk.readEnum("centres", k.mgkCentres, kMgkCentres);
      mgk.readEnum("variant", legacyVariant, kMgkVariants);
      const int R = k.mgkComponents;
      const int M = static_cast<int>(scene.keys.rows());
      if (mgk.has("shifts")) k.mgkShifts = matrixFromJson(mgk.at("shifts"), "kernel.mgk.shifts", d);
      if (mgk.has("offsets")) k.mgkOffsets = matrixFromJson(mgk.at("offsets"), "kernel.mgk.offsets", d);
      if (mgk.has("priors")) k.mgkPriors = matrixFromJson(mgk.at("priors"), "kernel.mgk.priors", R);
      if (mgk.has("variances")) k.mgkVariances = matrixFromJson(mgk.at("variances"), "kernel.mgk.variances", R);
      auto requireRows = [](const RowMatrix& m, int rows, const char* what) {
        if (m.size() > 0 && m.rows() != rows)
          throw InputError(std::string(what) + ": expected " + std::to_string(rows) + " rows, found " +
                           std::to_string(m.rows()));
      };
      requireRows(k.mgkShifts, R, "kernel.mgk.shifts");
      requireRows(k.mgkOffsets, M * R, "kernel.mgk.offsets");
      requireRows(k.mgkPriors, M, "kernel.mgk.priors");
      requireRows(k.mgkVariances, M, "kernel.mgk.variances");
    }
  }
  if (top.has("divergence")) {
    Reader divergence(top.at("divergence"), "divergence", warnings);
    divergence.read("ctRho", scene.divergence.ctRho);
    divergence.read("ctTau", scene.divergence.ctTau);
    divergence.readEnum("ctCost", scene.divergence.ctCost, kCtCosts);
    divergence.read("sinkhornEpsilon", scene.divergence.sinkhornEpsilon);
  }
  if (top.has("display")) {
    Reader display(top.at("display"), "display", warnings);
    display.readEnum("colorMap", scene.display.colorMap, kColorMaps);
    display.read("heatmapLogScale", scene.display.heatmapLogScale);
    display.read("classificationBandDegrees", scene.display.classificationBandDegrees);
    display.read("planeExtent", scene.display.planeExtent);
    display.read("densityResolution", scene.display.densityResolution);
    display.read("sweepShowMlk", legacyMlk);  // optional, as kernel.cosineTemperature
    display.read("sweepShowCosine", legacyCosine);
    if (display.has("kernels")) {
      std::vector<std::string> names;
      display.read("kernels", names);
      if (names.empty()) throw InputError("display.kernels: expected at least one kernel name");
      scene.display.shownKernels.clear();
      for (const std::string& name : names) {
        const std::optional<Kernel> kernel = kernelFromName(name);
        if (!kernel) {
          std::string expected;
          for (Kernel k : kAllKernels)
            expected += std::string(expected.empty() ? "" : ", ") + std::string(kernelName(k));
          throw InputError("display.kernels: \"" + name + "\" is not one of " + expected);
        }
        scene.display.shownKernels.push_back(*kernel);
      }
      hasKernelList = true;
    }
  }
  if (!hasKernelList) {
    if (legacyVariant == LegacyMgkVariant::Hard) {
      scene.display.setKernelShown(Kernel::MgkHard, true);
      scene.display.setKernelShown(Kernel::Mgk, false);
    }
    if (legacyMlk) scene.display.setKernelShown(Kernel::Mlk, true);
    if (legacyCosine) scene.display.setKernelShown(Kernel::Cosine, true);
  }
  if (top.has("model")) {
    Reader model(top.at("model"), "model", warnings);
    ModelSource& m = scene.model;
    model.read("path", m.path);
    model.read("tokenizer", m.tokenizerPath);
    model.read("prompt", m.prompt);
    model.read("tokenIds", m.tokenIds);
    model.read("layer", m.layer);
    model.read("head", m.head);
    model.read("preRope", m.preRope);
    if (m.layer < 0 || m.head < 0) throw InputError("model.layer and model.head must be >= 0");
    for (int id : m.tokenIds)
      if (id < 0) throw InputError("model.tokenIds: token id " + std::to_string(id) + " is negative");
  }
  scene.normalise();
  scene.validate();
  return scene;
}

std::string sceneToString(const Scene& scene) {
  return sceneToJson(scene).dump(2) + "\n";
}

Scene sceneFromString(const std::string& text, const std::string& origin, std::vector<std::string>* warnings) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw FileError(origin + " is not valid JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {
    // parse() also throws out_of_range (406) for a number beyond double range such as 1e999: refuse, do not crash.
    const std::string what = e.what();
    throw FileError(origin + " is not valid JSON: " + what.substr(what.find(']') + 2));
  }
  try {
    std::vector<std::string> local;
    Scene scene = sceneFromJson(root, &local);
    if (warnings)
      for (auto& warning : local) warnings->push_back(origin + ": " + warning);
    return scene;
  } catch (const InputError& e) {
    throw FileError(origin + ": " + e.what());
  } catch (const ResourceError& e) {
    throw ResourceError(origin + ": " + e.what());
  }
}

Scene sceneFromNpz(const std::string& path) {
  const std::vector<NpzMember> members = readNpz(path);
  auto find = [&](const char* shortName, const char* longName) -> const NpzMember* {
    for (const NpzMember& member : members)
      if (member.name == shortName || member.name == longName) return &member;
    return nullptr;
  };
  const NpzMember* q = find("q", "queries");
  const NpzMember* k = find("k", "keys");
  if (q == nullptr || k == nullptr)
    throw FileError(path + ": a scene needs arrays q and k (or queries and keys); the archive holds " +
                    npzMemberList(members));
  Scene scene = defaultScene();
  scene.queries = npyMatrix(q->array, path + ":" + q->name);
  scene.keys = npyMatrix(k->array, path + ":" + k->name);
  requireNonEmpty(scene.queries, path + ":" + q->name);
  requireNonEmpty(scene.keys, path + ":" + k->name);
  requireFinite(scene.queries, path + ":" + q->name);
  requireFinite(scene.keys, path + ":" + k->name);
  if (scene.queries.cols() != scene.keys.cols())
    throw FileError(path + ": " + q->name + " has d = " + std::to_string(scene.queries.cols()) + " but " + k->name +
                    " has d = " + std::to_string(scene.keys.cols()));
  if (scene.keys.cols() < 2)
    throw FileError(path + ": the vectors have d = " + std::to_string(scene.keys.cols()) +
                    "; the app needs d >= 2 (pad with a zero column)");
  // Labels, selections and the per-key MGK matrices follow the new sizes; everything else keeps its defaults.
  scene.queryLabels.clear();
  scene.keyLabels.clear();
  scene.selectedQuery = scene.selectedKey = 0;
  scene.normalise();
  scene.fitPlaneExtent();
  try {
    scene.validate();
  } catch (const Error& e) {
    throw FileError(path + ": " + e.what());
  }
  return scene;
}

Scene loadSceneFile(const std::string& path, std::vector<std::string>* warnings) {
  // NumPy archives carry Q/K only: a new scene with default parameters.
  const std::filesystem::path extension = std::filesystem::path(path).extension();
  if (extension == ".npz") return sceneFromNpz(path);
  if (extension == ".npy")
    throw FileError(path +
                    ": one .npy holds one matrix; the app opens queries and keys together from an .npz "
                    "(np.savez(\"scene.npz\", q=Q, k=K))");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw FileError("cannot open " + path + ": " + std::strerror(errno));
  char signature[8] = {};
  file.read(signature, 8);
  if (file.gcount() == 8 && std::memcmp(signature, "\x89PNG\r\n\x1a\n", 8) == 0) {
    const render::PngFile png = render::readPngText(path);  // the scene only: no memory for the pixels
    const auto it = png.text.find(kPngSceneKey);
    if (it == png.text.end())
      throw FileError(path + " is a PNG without an attnscope scene in its metadata (text key \"" +
                      std::string(kPngSceneKey) + "\")");
    return sceneFromString(it->second, path, warnings);
  }
  file.clear();
  file.seekg(0);
  std::ostringstream text;
  text << file.rdbuf();
  return sceneFromString(text.str(), path, warnings);
}

void saveSceneFile(const std::string& path, const Scene& scene) {
  writeFileAtomically(path, sceneToString(scene));
}

}  // namespace attnscope::gui
