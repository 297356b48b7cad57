// The app's document model: Scene (what the user edits, undoable), Derived (what the core computes from it,
// refreshed only when the scene revision changes), the view registry and the AppContext handed to every view.
// Views read Scene/Derived as const and change the scene only by submitting a whole new Scene (AppContext::submit),
// which goes through the undo stack. No GL and no ImGui in this header, so it is usable from tests and the CLI.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/gui/view_kind.h"
#include "app/gui/workspace_kind.h"
#include "core/attention_kernels.h"
#include "core/colormap.h"
#include "core/divergence.h"
#include "core/types.h"

namespace attnscope::gui {

// ---------------------------------------------------------------------------------------------------------------
// Scene: the editable document.

/// Where the MGK component centres k_jr come from (MATH.md section 3).
enum class MgkCentres {
  Shifted,       ///< sMGK: k_jr = k_j + shift_r, one shift per component shared by every key position.
  PerKeyOffsets  ///< k_jr = k_j + offset_jr, an independent offset per key position and component.
};

/// Parameters of the attention kernels (which of them are shown: DisplayParams::shownKernels).
struct KernelParams {
  /// Score scale s in x_ij = s q_i . k_j. When `useScaleOverride` is false, s = 1/sqrt(d).
  bool useScaleOverride = false;
  float scaleOverride = 1.0f;
  /// Causal mask: query i sees keys j <= i only (multiplicative for EA, never by adding -inf before squaring).
  bool causal = false;
  /// f(x) of Kernel::Ea (MATH.md section 2); Kernel::EaPure is always the pure x^2.
  ExpressiveForm eaForm = ExpressiveForm::Saturating;

  /// Number of Gaussian components per key position, R in 1..kMaxMgkComponents.
  int mgkComponents = 2;
  MgkCentres mgkCentres = MgkCentres::Shifted;
  /// R x d shifts b_r used when mgkCentres == Shifted.
  RowMatrix mgkShifts;
  /// (M * R) x d offsets, row j * R + r for key position j and component r, used when mgkCentres == PerKeyOffsets.
  RowMatrix mgkOffsets;
  /// M x R priors pi_jr, each clamped into [0, 1] (the official code clamps without renormalising).
  RowMatrix mgkPriors;
  /// M x R isotropic variances sigma_jr^2 > 0.
  RowMatrix mgkVariances;

  /// Temperature tau of cosine attention (logits cos(theta) / tau, > 0), shown by the kernel sweep when asked. 0.1 is
  /// the core's and `attnscope weights --kernel cosine`'s default (Swin-v2's initial value), so the app and the CLI
  /// give the same numbers; at tau = 1 cos(theta) spans only [-1, 1] logits and the curve is nearly flat. The CT
  /// navigator's tau (DivergenceParams::ctTau, default 1) is a different parameter.
  float cosineTemperature = 0.1f;
};

/// Parameters of the alignment divergences (MATH.md section 4).
struct DivergenceParams {
  float ctRho = 0.5f;                            ///< weight of the forward (key -> query) transport, in [0, 1]
  float ctTau = 1.0f;                            ///< navigator temperature, > 0
  TransportCost ctCost = TransportCost::Euclid;  ///< between L2-normalised vectors (MATH.md section 4)
  float sinkhornEpsilon = 0.1f;                  ///< entropic regularisation of Sinkhorn OT, > 0
};

/// How a view plots things (shared by every view so screen and export agree).
struct DisplayParams {
  ColorMap colorMap = ColorMap::Viridis;
  bool heatmapLogScale = false;
  /// A key counts as parallel / orthogonal / antiparallel to a query when its angle is within this many degrees
  /// of 0 / 90 / 180 (used to classify and colour keys).
  float classificationBandDegrees = 15.0f;
  /// Half-width of the square plane shown by the vector canvas and the density view, in vector units.
  float planeExtent = 2.0f;
  /// Samples per side of the density field grid.
  int densityResolution = 256;
  /// The kernels every view shows side by side (attention maps, sweep curves, polar plot, per-key bars, parameter
  /// table): any non-empty subset of the core's seven, in kAllKernels order without repeats. Derived computes only
  /// these. Kernel::Ea follows KernelParams::eaForm; Kernel::Mgk is the soft mixture and Kernel::MgkHard the hard
  /// one (the density view shows the hard variant's equal-weight field when only MgkHard is shown).
  std::vector<Kernel> shownKernels{Kernel::Dpa, Kernel::Ea, Kernel::Mgk};
  bool isKernelShown(Kernel kernel) const;
  /// Adds or removes `kernel`, keeping kAllKernels order. Removing the last shown kernel is refused (returns false):
  /// a view with no kernel has nothing to compare.
  bool setKernelShown(Kernel kernel, bool shown);
  /// True when the MGK shown is the hard variant (MgkHard shown, soft Mgk not): the density field and the
  /// responsibilities then follow the hard variant.
  bool mgkHard() const;
  /// Shows the hard MGK (hard = true) or the soft one in place of the other: the soft / hard switch of the parameter
  /// and density views.
  void showMgkVariant(bool hard);
};

constexpr int kMaxMgkComponents = 4;
constexpr int kMinDimension = 2;

/// A transformer head as the source of the scene's queries and keys (issue 4). Empty `path` = a hand-made scene. The
/// Q/K themselves are stored in Scene::queries/keys as usual, so a model scene also opens without the model file.
struct ModelSource {
  std::string path;           ///< llama2.c .bin, Hugging Face folder or capture .safetensors
  std::string tokenizerPath;  ///< "" = the tokenizer found next to the model (or none)
  std::string prompt;         ///< the text the user typed (display only once tokenIds are known)
  std::vector<int> tokenIds;  ///< the ids the model ran on (exact reproduction, independent of the tokenizer)
  int layer = 0;
  int head = 0;
  bool preRope = false;  ///< RoPE models: use Q/K before the rotation instead of after
  bool active() const { return !path.empty(); }
};

/// The editable document. Mutate only through copies submitted to AppContext::submit; the helper methods keep every
/// per-key and per-component matrix consistent with the number of keys, queries and components.
struct Scene {
  /// N x d queries and M x d keys, one vector per row; d >= 2 and shared.
  RowMatrix queries;
  RowMatrix keys;
  std::vector<std::string> queryLabels;  ///< N labels
  std::vector<std::string> keyLabels;    ///< M labels
  int selectedQuery = 0;                 ///< index into queries, always valid when N > 0
  int selectedKey = 0;                   ///< index into keys, always valid when M > 0

  KernelParams kernel;
  DivergenceParams divergence;
  DisplayParams display;

  /// The views that are open, in the order they were opened (scene files store their ViewInfo::id names). Part of
  /// the document so a saved scene reopens its views.
  std::vector<ViewKind> openViews;
  /// The workspace (tab) the views are arranged by (workspaces.h; scene files store its name). None: the one that
  /// fits openViews (workspaceOf), so scenes saved before workspaces existed open as they were.
  std::optional<WorkspaceKind> workspace;

  /// The model head the vectors came from (inactive for hand-made scenes).
  ModelSource model;

  /// Seed of the random vector generator (the table editor's "randomise" uses and then advances it).
  std::uint64_t randomSeed = 1;

  int dimension() const { return static_cast<int>(keys.cols()); }
  int queryCount() const { return static_cast<int>(queries.rows()); }
  int keyCount() const { return static_cast<int>(keys.rows()); }

  /// Score scale actually used: the override, or 1/sqrt(d).
  float effectiveScale() const;

  bool isViewOpen(ViewKind view) const;
  void setViewOpen(ViewKind view, bool open);

  /// Appends a key (1 x d via `key`, length d) with default MGK priors/variances/offsets; returns its index.
  int addKey(const Vector& key, std::string label = {});
  int addQuery(const Vector& query, std::string label = {});
  /// Removes key j (and its MGK rows); keeps at least one key. Throws InputError on a bad index or the last key.
  void removeKey(int j);
  void removeQuery(int i);
  /// Changes R, keeping the existing components' values and giving new ones defaults.
  void setMgkComponents(int components);
  /// Changes d for every vector (truncating or padding with zeros), resizing the MGK shift/offset matrices.
  void setDimension(int d);
  /// Centre of component r of key position j: keys.row(j) + shift or offset (returned as a 1 x d row).
  Vector mgkCentre(int j, int r) const;

  /// Throws InputError naming the first inconsistency (shapes, ranges, NaN/Inf, selection out of range).
  void validate() const;
  /// Sets display.planeExtent so the canvas, density and transport views show every vector: the largest coordinate
  /// of the joint-PCA projection (the one Derived uses) plus 15%, rounded up to a half unit (vectors from a model or
  /// a NumPy file are rarely unit-sized). Leaves the extent alone when every vector is zero.
  void fitPlaneExtent();
  /// Fixes shapes of the per-key/per-component matrices and clamps selections and ranges (used after loading).
  void normalise();
};

/// The built-in scene shown at start-up: four keys in d = 2 (parallel, orthogonal, antiparallel and a long parallel
/// key) and two queries, so the three kernels differ visibly at once.
Scene defaultScene();

/// `count` extra seeded random vectors of the scene's dimension appended as keys and queries alternately (used by
/// --bench-frames and the table editor). Norms are roughly uniform in [0.3, 1.7].
void appendRandomVectors(Scene& scene, int count, std::uint64_t seed);

// ---------------------------------------------------------------------------------------------------------------
// Derived: computed from a Scene by computeDerived(), never inside a draw function.

/// Weights and scores of one kernel for every (query, key) pair.
struct KernelResult {
  RowMatrix scores;   ///< N x M scores before normalisation (DPA: logits x_ij; EA: f(x_ij); MGK: log S_ij, finite)
  RowMatrix weights;  ///< N x M row-normalised weights, rows sum to 1 over unmasked keys
  /// Rows whose scores were all zero (EA with every key orthogonal, MGK underflow) and fell back to uniform weights.
  std::vector<int> fallbackRows;
};

/// The selected key rotated through 0..180 degrees against the selected query in the plane they span (its norm kept,
/// every other key fixed), with the resulting weight and score of that key under each kernel.
struct AngleSweep {
  Vector angleDegrees;  ///< S samples from 0 to 180
  /// Per core kernel (indexed by kernelIndex), the swept key's weight and score at each of the S angles; S samples
  /// for the shown kernels (DisplayParams::shownKernels), empty for the others.
  std::array<Vector, kAllKernels.size()> weights, scores;
  const Vector& weight(Kernel kernel) const { return weights[kernelIndex(kernel)]; }
  const Vector& score(Kernel kernel) const { return scores[kernelIndex(kernel)]; }
  float currentAngleDegrees = 0.0f;  ///< the actual angle between the selected query and key
};

/// The MGK mixture evaluated on a square grid over the (projected) plane.
struct DensityField {
  int resolution = 0;  ///< samples per side
  float xMin = 0, xMax = 0, yMin = 0, yMax = 0;
  RowMatrix density;  ///< resolution x resolution, row 0 at yMin; normalised mixture p(x)
  RowMatrix kernel;   ///< same grid, unnormalised attention kernel sum pi exp(-|x-k|^2 / 2 sigma^2)
  Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> argmaxComponent;  ///< flat index j * R + r
  RowMatrix centres2d;  ///< (M * R) x 2 component centres in plane coordinates
  /// True when computed at reduced resolution during a drag; the window recomputes it at full resolution when the
  /// drag ends (views can say "coarse while dragging").
  bool coarse = false;
};

/// Every alignment divergence between the key cloud and the query cloud, plus the CT transport plans.
struct Divergences {
  float ct = 0, ctForward = 0, ctBackward = 0;
  float mmdBiased = 0, mmdUnbiased = 0;
  float sinkhorn = 0;
  float gaussianKl = 0, frechet = 0;
  RowMatrix ctForwardPlan;   ///< M x N, row i = P_fwd(. | k_i), rows sum to 1
  RowMatrix ctBackwardPlan;  ///< M x N, column j = P_bwd(. | q_j), columns sum to 1
  RowMatrix ctCost;          ///< M x N cost C_ij
};

/// 2D coordinates of every vector: identity for d = 2, the joint PCA of keys and queries for d > 2.
struct PlaneProjection {
  bool isPca = false;        ///< true when d > 2 (views must say so on screen)
  Vector mean;               ///< d, subtracted before projecting (zero for d = 2)
  RowMatrix basis;           ///< d x 2, orthonormal columns
  Vector explainedVariance;  ///< 2, fraction of variance captured by each axis (1, 0 for d = 2)
  RowMatrix queries2d;       ///< N x 2
  RowMatrix keys2d;          ///< M x 2
};

struct Derived {
  std::uint64_t sceneRevision = 0;  ///< the revision these results were computed from
  /// Revision the expensive divergences (MMD, Sinkhorn, Gaussian fits) belong to. In the window they are computed on
  /// a background thread and may lag sceneRevision while the user drags (views can say "updating"); everything else,
  /// including every matrix whose shape follows the scene, always matches sceneRevision.
  std::uint64_t slowDivergenceRevision = 0;
  float scale = 1.0f;  ///< effective s
  /// One result per core kernel, indexed by kernelIndex(kernel) (core); only the shown kernels
  /// (DisplayParams::shownKernels) are computed, the others are empty matrices.
  std::array<KernelResult, kAllKernels.size()> kernels;
  const KernelResult& result(Kernel kernel) const { return kernels[kernelIndex(kernel)]; }
  KernelResult& result(Kernel kernel) { return kernels[kernelIndex(kernel)]; }
  RowMatrix mgkResponsibilities;  ///< N x (M * R), gamma_ijr (row i, column j * R + r); each (i, j) block sums to 1
  /// Computed during a drag: density coarse, mgkResponsibilities from an earlier scene (finishDrag completes both).
  bool dragPreview = false;
  AngleSweep sweep;
  DensityField density;
  Divergences divergences;
  PlaneProjection plane;
  /// Non-empty when part of the computation failed; the rest of Derived holds the last good values.
  std::string error;
};

/// Recomputes everything in `out` from `scene` (revision stored for the caller's cache check). Throws nothing:
/// failures land in out.error and leave the affected parts as they were.
void computeDerived(const Scene& scene, std::uint64_t revision, Derived& out);

/// Which parts computeDerived fills: everything, or everything but the expensive scalar divergences.
enum class DerivedParts { All, WithoutSlowDivergences };
/// `dragging`: the scene changes every frame (a drag); the density field is computed at half resolution per side
/// (a quarter of the work) and marked coarse, mgkResponsibilities (shown by no view) keep their last values, and
/// out.dragPreview is set. finishDrag() completes both when the drag ends.
void computeDerived(const Scene& scene, std::uint64_t revision, Derived& out, DerivedParts parts,
                    bool dragging = false);

/// Recomputes out.density at full resolution and out.mgkResponsibilities for `scene` (the scene out was computed
/// from, while dragging) and clears out.dragPreview. Returns the failure message (also appended to out.error; the
/// coarse values stay in place) or an empty string.
std::string finishDrag(const Scene& scene, Derived& out);

/// The expensive divergences alone (MMD biased/unbiased, Sinkhorn, Gaussian KL and W2): scalars only, so a result
/// computed for an older scene can be shown without shape mismatches. Failures are appended to `error`.
void computeSlowDivergences(const Scene& scene, Divergences& out, std::string& error);

// ---------------------------------------------------------------------------------------------------------------
// Undo stack and the context handed to views.

/// How a submitted edit is recorded.
enum class EditMerge {
  Separate,   ///< its own undo step
  Continuous  ///< merged with the previous edit if it had the same label and came in this or the previous frame
              ///< (a drag submits every frame but undoes in one step)
};

/// Linear undo history of whole scenes. Scenes are small (a few hundred vectors), so snapshots beat diffs.
class UndoStack {
 public:
  explicit UndoStack(Scene initial);
  const Scene& current() const { return history_[position_].scene; }
  std::uint64_t revision() const { return revision_; }
  /// Records `next` as the new current scene. Throws InputError (scene unchanged) if next.validate() fails.
  void push(Scene next, std::string label, EditMerge merge, std::uint64_t frame);
  bool canUndo() const { return position_ > 0; }
  bool canRedo() const { return position_ + 1 < history_.size(); }
  bool undo();
  bool redo();
  /// Label of the step undo() would revert / redo() would re-apply ("" if none).
  const std::string& undoLabel() const;
  const std::string& redoLabel() const;
  /// Replaces the whole history with one scene (reset, open file).
  void reset(Scene scene, std::string label);
  std::size_t size() const { return history_.size(); }
  static constexpr std::size_t kMaxSteps = 500;

 private:
  struct Entry {
    Scene scene;
    std::string label;
    std::uint64_t frame = 0;
  };
  std::deque<Entry> history_;
  std::size_t position_ = 0;
  std::uint64_t revision_ = 1;
};

/// Rolling record of every divergence after each scene change, for the divergence view's time series.
struct DivergenceHistory {
  std::vector<float> ct, mmd, sinkhorn, gaussianKl, frechet;
  static constexpr std::size_t kMaxSamples = 2000;
  void append(const Divergences& d);
  void clear();
  std::size_t size() const { return ct.size(); }
};

class AppContext;

/// One view of the app: an object with its own UI state (selections, toggles, caches) as members, owned by an
/// AppContext. The window, every headless export, every sweep frame and every test has its own context and so its
/// own, independent views: nothing of a view's state is shared through the process.
class View {
 public:
  virtual ~View() = default;
  /// Once per frame for every shown view, before any view draws: the place to poll background work and submit the
  /// edits it produces (a controller step), so draw() only reads and draws. Default: nothing to do.
  virtual void update(AppContext& ctx) { (void)ctx; }
  /// Draws the window's contents only: the shell opens the ImGui window titled ViewInfo::title around it.
  virtual void draw(AppContext& ctx) = 0;
};

/// What the registry (app/views/view_list.cpp) knows of a view before any exists: identity, names, and how to make one.
struct ViewInfo {
  ViewKind kind;
  const char* id;
  const char* title;
  std::unique_ptr<View> (*make)();
};

/// Every view of the app, in menu order. Defined by the views module in app/views/view_list.cpp.
std::span<const ViewInfo> allViews();
/// The view with this id, or nullptr.
const ViewInfo* findView(std::string_view id);
/// The registry entry of a view kind (every kind is registered).
const ViewInfo& viewInfo(ViewKind kind);

/// Colour-mapped heatmap textures for views: textures are re-rendered on the GPU only when the data revision or the
/// style changes. Implemented by the render layer; views get it from AppContext::heatmaps().
struct HeatmapStyle {
  ColorMap colorMap = ColorMap::Viridis;
  float minValue = 0.0f;  ///< value mapped to the first LUT entry
  float maxValue = 1.0f;  ///< value mapped to the last LUT entry
  bool logScale = false;  ///< map log10(value) between log10(min) and log10(max) (min clamped to > 0)
  /// Framebuffer pixels the texture is shown at (0: one texel per cell). A matrix with more cells than that is
  /// colour-mapped at this size, each texel taking the cell under its centre: what nearest sampling of a full-size
  /// texture shows on screen, for a fraction of the work (a 1024 x 1024 map shown at 300 x 300 pixels).
  int shownWidth = 0, shownHeight = 0;
};

class HeatmapCache {
 public:
  virtual ~HeatmapCache() = default;
  /// An RGBA texture (ImTextureID-compatible: cast with (ImTextureID)(intptr_t)) showing `values` (rows x cols,
  /// row 0 at the top) colour-mapped with `style`. `slot` names the heatmap (e.g. "maps/ea"); the texture is
  /// regenerated only if `revision` or the style differs from the last call for that slot. Returns 0 when no GL.
  virtual unsigned texture(const std::string& slot, std::uint64_t revision, const MatrixView& values,
                           const HeatmapStyle& style) = 0;
};

/// What a view gets: const access to the document and results, a way to submit edits, error reporting, and shared
/// app services. Owned by the app shell (window or headless export).
class SlowDivergenceWorker;
class DragDerivedWorker;
class ModelSession;  // model_session.h
class TrainSession;  // train_session.h
struct DemoPlayer;   // presenter.h
class LongMapState;  // long_map.h
}  // namespace attnscope::gui
namespace attnscope::views {
struct ViewProbe;  // app/views/view_probe.h
}  // namespace attnscope::views
namespace attnscope::gui {

class AppContext {
 public:
  explicit AppContext(Scene initial);
  ~AppContext();
  AppContext(const AppContext&) = delete;
  AppContext& operator=(const AppContext&) = delete;

  const Scene& scene() const { return undo_.current(); }
  const Derived& derived() const { return derived_; }
  std::uint64_t revision() const { return undo_.revision(); }

  /// Queues `next` as the new scene; applied after the current frame's views have drawn so every view in a frame
  /// sees the same scene. An invalid scene is refused with an error banner and the scene stays unchanged.
  void submit(Scene next, std::string label, EditMerge merge = EditMerge::Separate);
  /// Shows `message` in the app's error banner (views call this instead of throwing).
  void reportError(std::string message);

  /// True while a headless export renders (views may hide purely interactive hints).
  bool exporting() const { return exporting_; }
  /// True in presenter mode (F11): views leave out their widgets and show only their plots (views::showViewControls).
  bool presenting() const { return presenting_; }
  /// Frame counter (advanced by the shell once per frame).
  std::uint64_t frame() const { return frame_; }

  const DivergenceHistory& divergenceHistory() const { return divergenceHistory_; }
  void clearDivergenceHistory() { divergenceHistory_.clear(); }

  /// GPU colour-mapped textures; never null while a frame is drawing.
  HeatmapCache& heatmaps() { return *heatmaps_; }

  /// Scale of the UI (fonts and sizes): 1 on a normal screen, 2 on HiDPI or a 2x export. Views multiply fixed
  /// pixel sizes (line widths, marker radii) by it.
  float uiScale() const { return uiScale_; }

  /// Publishes a named point of interest in screen coordinates (ImGui coordinates = window pixels), e.g.
  /// "canvas/key/0/tip". End-to-end tests read them from the state dump to aim real mouse input.
  void publishProbe(const std::string& name, float x, float y) { probes_[name] = {x, y}; }
  const std::map<std::string, std::array<float, 2>>& probes() const { return probes_; }

  /// Forgets every probe whose name starts with `prefix` (before republishing a changing set, e.g. arrow tips).
  void clearProbes(std::string_view prefix) {
    std::erase_if(probes_, [prefix](const auto& entry) { return entry.first.starts_with(prefix); });
  }

  /// The model this context's explorer opened and runs (a background loader per context).
  ModelSession& modelSession();
  /// The model session if the explorer ever used one, else null (read-only callers such as the data export).
  const ModelSession* startedModelSession() const { return modelSession_.get(); }
  /// The runs of the Train workspace (their worker threads live as long as the context).
  TrainSession& trainSession();
  /// The demo shown and presenter mode.
  DemoPlayer& demoPlayer();
  /// Where the views drew what tests aim at (last frame).
  views::ViewProbe& viewProbe();
  /// The long capture (or scene) the Long map view shows: its head's q and k, viewport, worker and images. Shared
  /// by the opening paths (drop, --open, the explorer's Open) and the view.
  LongMapState& longMap();

  // ---- used by the shell, not by views ----
  /// This context's view of that kind, made on first use and kept (with its state) as long as the context lives.
  View& view(ViewKind kind);
  UndoStack& undoStack() { return undo_; }
  /// Applies the queued edit (if any) and recomputes Derived if the revision changed. Returns true if it did.
  bool endFrame();
  /// Recomputes Derived now if the revision changed (also called once at start-up).
  bool refreshDerived();
  /// Compute MMD, Sinkhorn and the Gaussian fits on a background thread (the window: a drag never waits for them),
  /// and during a drag that keeps every shape the whole of Derived too: the views then show the last finished result,
  /// at most one computation behind the scene (derived().sceneRevision < revision()), and the end of the drag is
  /// computed synchronously and exactly as without the workers. Off by default: tests and headless export get every
  /// value synchronously.
  void setBackgroundDivergences(bool enabled);
  void setHeatmapCache(HeatmapCache* cache) { heatmaps_ = cache; }
  HeatmapCache* heatmapsOrNull() const { return heatmaps_; }
  void setUiScale(float scale) { uiScale_ = scale; }
  void setExporting(bool exporting) { exporting_ = exporting; }
  void setPresenting(bool presenting) { presenting_ = presenting; }
  void undo();
  void redo();
  void resetScene(Scene scene, std::string label);
  /// Errors reported since the last call (the shell shows them in its banner).
  std::vector<std::string> takeErrors();
  /// Called after every Derived refresh (e.g. the --dump-state writer).
  std::function<void(const AppContext&)> onDerivedChanged;

 private:
  UndoStack undo_;
  Derived derived_;
  DivergenceHistory divergenceHistory_;
  std::unique_ptr<SlowDivergenceWorker> slowWorker_;
  std::unique_ptr<DragDerivedWorker> dragWorker_;
  Scene derivedScene_;  ///< the scene of the last synchronous or requested background computation (shape checks)
  bool mergeSlowDivergences();
  bool takeDragResult(bool wait);
  struct PendingEdit {
    Scene scene;
    std::string label;
    EditMerge merge;
  };
  std::unique_ptr<PendingEdit> pending_;
  bool dragging_ = false;  ///< the edit applied this frame merges into a continuous one (a drag in progress)
  std::vector<std::string> errors_;
  HeatmapCache* heatmaps_ = nullptr;
  std::map<std::string, std::array<float, 2>> probes_;
  std::map<ViewKind, std::unique_ptr<View>> views_;
  // Made on first use. Declared after the views, so destroyed before them: a session's loader thread ends first.
  std::unique_ptr<ModelSession> modelSession_;
  std::unique_ptr<TrainSession> trainSession_;
  std::unique_ptr<DemoPlayer> demoPlayer_;
  std::unique_ptr<views::ViewProbe> viewProbe_;
  std::unique_ptr<LongMapState> longMap_;
  float uiScale_ = 1.0f;
  bool exporting_ = false;
  bool presenting_ = false;
  std::uint64_t frame_ = 0;
};

}  // namespace attnscope::gui
