// The long map view's state, without ImGui or GL (tests drive it directly): where its q and k come from (one head of a
// capture file, read alone, or the scene's vectors), the kernels shown, the viewport, the MapImageWorker answering it
// (coarse first, in the background) and the images the view shows. One object per AppContext (viewState), so a
// window and a headless export never share one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "core/map_viewport.h"
#include "core/model/capture_file.h"

namespace attnscope::gui {

/// Captures longer than this are not turned into a dense scene (the model explorer's statistics and every dense view
/// hold N x N matrices per head): they open in the long map view only.
inline constexpr int kDenseViewMaxTokens = 4096;

/// True when a capture of this shape must open in the long map view: longer than kDenseViewMaxTokens, or without
/// stored maps whose computation on opening (every head's N x N) would not fit the memory budget.
bool captureNeedsLongMap(const model::CaptureSummary& summary);

struct LongMapOptions {
  /// Deepest zoom in cells across (ViewportLimits::minSpan): single cells with their token labels.
  double minSpan = 8.0;
  /// Side of the minimap's overview in cells of its image (max-pooled from the first whole-map image).
  int minimapPixels = 128;
  /// Threads of the worker (0 = all OpenMP threads).
  int threads = 0;
};

class LongMapState {
 public:
  explicit LongMapState(LongMapOptions options = {});
  ~LongMapState();
  LongMapState(const LongMapState&) = delete;
  LongMapState& operator=(const LongMapState&) = delete;

  // ---- source ----
  /// Shows head (layer, head) of a capture file: its summary (header only) and that head's q and k are read, never
  /// the other heads or an attention tensor. Throws FileError naming the file, ResourceError beyond the budget; the
  /// previous source stays on failure.
  void openCapture(const std::string& path, int layer = 0, int head = 0);
  /// Back to the scene's queries and keys.
  void closeCapture();
  bool hasCapture() const { return summary_.has_value(); }
  const std::string& capturePath() const { return capturePath_; }
  const model::CaptureSummary* captureSummary() const { return summary_ ? &*summary_ : nullptr; }
  int layer() const { return layer_; }
  int head() const { return head_; }
  /// Another head of the open capture (reads its q and k); throws like openCapture.
  void selectHead(int layer, int head);

  // ---- what is shown ----
  /// Every kernel of kAllKernels, in that order, and whether it is ticked (DPA and EA by default).
  bool kernelShown(Kernel kernel) const;
  void setKernelShown(Kernel kernel, bool shown);
  /// The ticked kernels in kAllKernels order (never empty: the last one cannot be unticked).
  std::vector<Kernel> shownKernels() const;
  Pooling pooling = Pooling::Max;
  bool logScale = false;

  /// Brings the worker up to date with the source (the scene's vectors and causal flag when no capture is open),
  /// the ticked kernels and the pooling. Cheap when nothing changed; call once per frame before requesting.
  void sync(const Scene& scene);
  /// Map size N x M (0 x 0 before the first sync or with an empty scene).
  Eigen::Index rows() const { return queries_.rows(); }
  Eigen::Index cols() const { return keys_.rows(); }
  bool causal() const { return attention_.causal; }
  /// Token label of row i / column j ("i:piece" for captures, the scene's labels otherwise).
  std::string rowLabel(Eigen::Index i) const;
  std::string columnLabel(Eigen::Index j) const;

  // ---- viewport ----
  ViewportLimits limits() const;
  const MapViewport& viewport() const { return viewport_; }
  void setViewport(const MapViewport& viewport);
  /// factor > 1 zooms in about the cell (anchorRow, anchorCol); clamped to the data and to options.minSpan.
  void zoom(double factor, double anchorRow, double anchorCol);
  /// Zoom about the viewport's centre (keyboard + / -).
  void zoomCentre(double factor);
  void pan(double deltaRows, double deltaCols);
  void resetZoom();

  // ---- images ----
  /// Asks the worker for the current viewport at pixelRows x pixelCols per kernel, unless that is what it was last
  /// asked for. Never waits.
  void request(Eigen::Index pixelRows, Eigen::Index pixelCols);
  /// Takes the worker's finished images into the shown ones (and the minimap); true if anything changed.
  bool collect();
  /// Blocks until the newest request is answered at full size, then collects (headless export only: its one frame
  /// must show the finished map). Returns false after `timeoutSeconds`.
  bool waitForImages(double timeoutSeconds = 600.0);
  /// True while the newest request is not fully answered (the view says "computing").
  bool computing() const;
  /// The worker's last failure, or "".
  std::string error() const;

  struct ShownImage {
    MapImage image;              ///< values over image.region (empty before the first answer)
    std::uint64_t revision = 0;  ///< changes whenever image does (texture cache key)
  };
  /// One per shown kernel, in shownKernels() order.
  const std::vector<ShownImage>& images() const { return images_; }
  /// Shared colour range of the shown images: [0, max] linear, or [max * 1e-6, max] log (six decades, as `attnscope
  /// map --log`).
  float colourMax() const;
  float colourMin() const;

  /// Overview of the whole map of the first shown kernel for the minimap: max-pooled from the first full-size answer
  /// for the whole map or, when the user zoomed in before that, asked for on its own once the view is answered (empty
  /// until then: the minimap shows the outline and the viewport only).
  const RowMatrix& minimap() const { return minimap_; }
  std::uint64_t minimapRevision() const { return minimapRevision_; }

  /// Exact weight of cell (row, column) for every shown kernel (shownKernels() order): the dense kernel on that one
  /// query row, which is exactly the streamed map's row (rows are independent); the row is cached, so hovering along
  /// it costs nothing. O(M d) per kernel on the calling thread: 2 M floats per kernel at most.
  std::vector<float> exactWeights(Eigen::Index row, Eigen::Index column);

  /// Changes whenever the source or its attention options change (tests, view bookkeeping).
  std::uint64_t sourceRevision() const { return sourceRevision_; }

 private:
  void loadHead(const std::string& path, int layer, int head);
  void rebuildWorker();

  LongMapOptions options_;
  std::optional<model::CaptureSummary> summary_;
  std::string capturePath_;
  int layer_ = 0, head_ = 0;
  RowMatrix queries_, keys_;
  std::vector<std::string> rowLabels_, columnLabels_;
  AttentionOptions attention_;
  std::vector<bool> kernelShown_;
  std::uint64_t sourceRevision_ = 1;

  std::unique_ptr<MapImageWorker> worker_;
  std::vector<Kernel> workerKernels_;
  std::uint64_t workerSource_ = 0;
  MapViewport viewport_;
  struct RequestKey {
    MapRegion region;
    Eigen::Index pixelRows = 0, pixelCols = 0;
    Pooling pooling = Pooling::Max;
    bool operator==(const RequestKey&) const = default;
  };
  std::optional<RequestKey> lastRequest_;
  std::uint64_t lastRequestId_ = 0;
  std::vector<ShownImage> images_;
  std::uint64_t nextRevision_ = 1;
  RowMatrix minimap_;
  std::uint64_t minimapRevision_ = 0;
  std::uint64_t minimapRequestId_ = 0;  // the worker request answering the minimap alone (0: none running)

  Eigen::Index exactRow_ = -1;
  std::uint64_t exactSource_ = 0;
  std::vector<Kernel> exactKernels_;
  std::vector<RowMatrix> exactRows_;
};

/// Opens `path` in the long map view of `context` when it is a capture that needs it (captureNeedsLongMap): sets the
/// state's source and makes the view the only one open. Returns false for anything else (other models, short
/// captures); throws FileError/ResourceError for a capture it cannot open.
bool openLongCapture(AppContext& context, const std::string& path);

}  // namespace attnscope::gui
