// The desktop window: GLFW + glad + ImGui's GLFW/OpenGL3 backends around the shared drawUi(). Also the top-level
// options --open, --bench-frames, --dump-state and --ui-scale.
#include <glad/gl.h>
// glad first: GLFW_INCLUDE_NONE keeps GLFW from pulling in a second GL header.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "app/gui/autosave.h"
#include "app/gui/export_formats.h"
#include "app/gui/frame_stats.h"
#include "app/gui/heatmap_cache.h"
#include "app/gui/long_map.h"
#include "app/gui/model_session.h"
#include "app/gui/preferences.h"
#include "app/gui/presenter.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/gui/state_dump.h"
#include "app/gui/train_session.h"
#include "app/gui/workspaces.h"
#include "app/gui_entry.h"
#include "app/views/view_probe.h"
#include "core/atomic_file.h"
#include "core/error.h"

// Sanitizer builds (ATTNSCOPE_SANITIZE: clang defines __has_feature, GCC __SANITIZE_ADDRESS__).
#if defined(__SANITIZE_ADDRESS__)
#define ATTNSCOPE_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTNSCOPE_LEAK_CHECK 1
#endif
#endif
#ifdef ATTNSCOPE_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

namespace attnscope::gui {
namespace {

struct WindowOptions {
  AutosaveCommandLine autosave;
  std::string openPath;
  int benchFrames = 0;
  int benchVectors = 256;
  std::vector<std::string> benchViews;  ///< views open during --bench-frames (default: all)
  std::string dumpStatePath;
  std::string demo;  ///< --demo NAME: start on this teaching demo (issue 6)
  int demoStep = 1;
  bool presenter = false;
  float uiScale = 0.0f;  ///< 0: monitor content scale times the saved multiplier
  std::vector<int> windowSize;
  bool noPersist = false;
  bool train = false;  ///< --train: start the Train workspace's default runs at once
};

/// The error of the GLFW call that just failed, asked right after it (glfwGetError keeps the last error of this
/// thread, even from a failed glfwInit): no process-wide callback or global message buffer needed.
std::string glfwErrorText() {
  const char* description = nullptr;
  const int code = glfwGetError(&description);
  if (code == GLFW_NO_ERROR || description == nullptr) return "GLFW gave no reason";
  return std::string(description) + " (GLFW error " + std::to_string(code) + ")";
}

// Dear ImGui 1.86 reads key state once per frame (io.KeysDown), so a press and a release that both arrive between two
// frames (a quick tap while a frame is slow, or xdotool) never reach its widgets: a prompt would miss its Return. The
// latch (onKeyLatched) sits in front of ImGui's key callback and holds such a release back until ImGui has drawn one
// frame with the key down. Our own shortcut queue (onKey) records presses and is unaffected.
struct HeldRelease {
  int key, scancode, mods;
};

/// What the GLFW callbacks collect between two frames; owned by runGui, reached through the window's user pointer.
struct WindowEvents {
  double lastEventTime = 0.0;  ///< glfwGetTime() of the last input (the idle wait starts a second after it)
  std::vector<ShellState::KeyPress> keyPresses;
  std::vector<std::string> droppedPaths;
  GLFWkeyfun imguiKeyCallback = nullptr;  ///< ImGui's own key callback, behind the latch
  std::vector<HeldRelease> heldReleases;
  std::vector<int> keysPressedSinceFrame;
};

WindowEvents& events(GLFWwindow* window) {
  return *static_cast<WindowEvents*>(glfwGetWindowUserPointer(window));
}
void markActivity(GLFWwindow* window) {
  events(window).lastEventTime = glfwGetTime();
}
void onCursor(GLFWwindow* window, double, double) {
  markActivity(window);
}
void onButton(GLFWwindow* window, int, int, int) {
  markActivity(window);
}
void onScroll(GLFWwindow* window, double, double) {
  markActivity(window);
}
void onKey(GLFWwindow* window, int key, int, int action, int mods) {
  markActivity(window);
  if (action == GLFW_PRESS || action == GLFW_REPEAT) events(window).keyPresses.push_back({key, mods});
}
void onKeyLatched(GLFWwindow* window, int key, int scancode, int action, int mods) {
  WindowEvents& e = events(window);
  if (action == GLFW_RELEASE &&
      std::find(e.keysPressedSinceFrame.begin(), e.keysPressedSinceFrame.end(), key) != e.keysPressedSinceFrame.end()) {
    e.heldReleases.push_back({key, scancode, mods});
    return;
  }
  if (action == GLFW_PRESS) e.keysPressedSinceFrame.push_back(key);
  if (e.imguiKeyCallback != nullptr) e.imguiKeyCallback(window, key, scancode, action, mods);
}
/// After a frame: ImGui has seen every latched key down, so their releases may go through now.
void releaseLatchedKeys(GLFWwindow* window) {
  WindowEvents& e = events(window);
  e.keysPressedSinceFrame.clear();
  for (const HeldRelease& release : std::exchange(e.heldReleases, {}))
    if (e.imguiKeyCallback != nullptr)
      e.imguiKeyCallback(window, release.key, release.scancode, GLFW_RELEASE, release.mods);
}

void onChar(GLFWwindow* window, unsigned) {
  markActivity(window);
}
void onResize(GLFWwindow* window, int, int) {
  markActivity(window);
}

void onDrop(GLFWwindow* window, int count, const char** paths) {
  for (int i = 0; i < count; ++i) events(window).droppedPaths.emplace_back(paths[i]);
  markActivity(window);
}

/// Copies the views' probe points (app/views/view_probe.h) into the context's named probes for the state dump.
void publishViewProbes(AppContext& context) {
  const views::ViewProbe& probe = context.viewProbe();
  context.clearProbes("canvas/");
  context.publishProbe("canvas/origin", probe.canvasOrigin[0], probe.canvasOrigin[1]);
  for (std::size_t j = 0; j < probe.keyTips.size(); ++j)
    context.publishProbe("canvas/key/" + std::to_string(j) + "/tip", probe.keyTips[j][0], probe.keyTips[j][1]);
  for (std::size_t i = 0; i < probe.queryTips.size(); ++i)
    context.publishProbe("canvas/query/" + std::to_string(i) + "/tip", probe.queryTips[i][0], probe.queryTips[i][1]);
}

/// The bench scene: the default scene plus seeded random vectors up to `vectors` in d = 2, every view open but the
/// long map (it opens alone, over the whole window, for long captures; `--bench-views longmap` measures it).
Scene benchScene(int vectors, const std::vector<std::string>& views) {
  Scene scene = defaultScene();
  const int extra = std::max(0, vectors - scene.keyCount() - scene.queryCount());
  appendRandomVectors(scene, extra, 20240601);
  scene.openViews.clear();
  for (const ViewInfo& view : allViews())
    if (views.empty() ? view.kind != ViewKind::LongMap : std::find(views.begin(), views.end(), view.id) != views.end())
      scene.openViews.push_back(view.kind);
  return scene;
}

/// One drag step of the bench: rotate the selected key by one degree, as if the user dragged its tip.
Scene rotateSelectedKey(const Scene& scene, float degrees) {
  Scene next = scene;
  const float c = std::cos(degrees * 3.14159265f / 180.0f), s = std::sin(degrees * 3.14159265f / 180.0f);
  auto key = next.keys.row(next.selectedKey);
  const float x = key(0), y = key(1);
  key(0) = c * x - s * y;
  key(1) = s * x + c * y;
  return next;
}

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

float percentile(std::vector<float> values, double fraction) {
  if (values.empty()) return 0.0f;
  std::sort(values.begin(), values.end());
  const double rank = fraction * static_cast<double>(values.size() - 1);  // nearest rank
  return values[static_cast<std::size_t>(std::lround(rank))];
}

/// --train: the Train workspace's default setup (TrainSetup's defaults, as the view starts with), started. With
/// `switchTo`, the scene shows the Train workspace (the benchmark keeps the views it was asked for).
void startDefaultTraining(AppContext& context, bool switchTo) {
  if (switchTo) {
    Scene next = context.scene();
    switchWorkspace(next, workspaceInfo(WorkspaceKind::Train));
    context.resetScene(std::move(next), "Train");
  }
  context.trainSession().configure(TrainSetup{});  // throws ResourceError/InputError: main prints it
  context.trainSession().start();
}

bool anyRunRunning(const TrainSession& session) {
  for (int r = 0; r < session.runCount(); ++r)
    if (session.state(r).status == RunStatus::Running) return true;
  return false;
}

void reportTrainingBench(const TrainSession& session, const char* when) {
  std::printf("train: %d runs at %d layers x %d heads, dim %d, batch %d, context %d; steps done %s:",
              session.runCount(), session.setup().layers, session.setup().heads, session.setup().dim,
              session.setup().batch, session.setup().context, when);
  for (int r = 0; r < session.runCount(); ++r) std::printf(" %d", session.state(r).stepsDone);
  std::printf("\n");
}

/// --bench-frames --train after the timed frames: presses Pause, then Step, then Reset between two frames, as the
/// buttons do, and prints how many frames each took to take effect (Pause: no run running; Step: every run one step
/// further and paused again; Reset: every run back at step 0 with its first snapshot).
class TrainControlBench {
 public:
  /// Called once per frame; true when all three are measured.
  bool advance(TrainSession& session, int frame) {
    const auto settled = [&](int r) { return session.waitUntilSettled(r, 0.0); };
    switch (phase_) {
      case Phase::Start:
        reportTrainingBench(session, "while the frames were timed");
        press(frame, Phase::Pause, [&] { session.pause(); });
        return false;
      case Phase::Pause:
        if (anyRunRunning(session)) return false;
        report("Pause", frame);
        stepsBefore_.clear();
        for (int r = 0; r < session.runCount(); ++r) stepsBefore_.push_back(session.state(r).stepsDone);
        press(frame, Phase::Step, [&] { session.step(); });
        return false;
      case Phase::Step:
        // Step takes effect when every run computes its next update (RunState::stepping, shown by the view) or has
        // already done it; the update lands when it is done (StepLanded, counted from the same press).
        for (int r = 0; r < session.runCount(); ++r) {
          const RunState state = session.state(r);
          const int next = stepsBefore_[static_cast<std::size_t>(r)] + 1;
          if (state.stepping != next && state.stepsDone != next) return false;
        }
        report("Step (every run computing its next update)", frame);
        phase_ = Phase::StepLanded;
        [[fallthrough]];
      case Phase::StepLanded:
        for (int r = 0; r < session.runCount(); ++r)
          if (session.state(r).stepsDone != stepsBefore_[static_cast<std::size_t>(r)] + 1 || !settled(r)) return false;
        report("Step's update landed (one update of every run, then paused)", frame);
        press(frame, Phase::Reset, [&] { session.reset(); });
        return false;
      case Phase::Reset:
        for (int r = 0; r < session.runCount(); ++r)
          if (!settled(r) || session.state(r).stepsDone != 0) return false;
        report("Reset (back to step 0 with its first snapshot)", frame);
        return true;
    }
    return true;
  }

 private:
  enum class Phase { Start, Pause, Step, StepLanded, Reset };
  template <typename F>
  void press(int frame, Phase next, F&& control) {
    control();
    pressed_ = frame;
    phase_ = next;
  }
  void report(const char* control, int frame) const {
    std::printf("train: %s took effect within %d frame(s)\n", control, frame - pressed_);
  }
  Phase phase_ = Phase::Start;
  int pressed_ = 0;
  std::vector<int> stepsBefore_;
};

}  // namespace

struct GuiCommandLine {
  WindowOptions window;
};

void GuiCommandLineDeleter::operator()(GuiCommandLine* options) const {
  delete options;
}

GuiCommandLinePtr installGuiOptions(CLI::App& root) {
  GuiCommandLinePtr options(new GuiCommandLine);
  WindowOptions& o = options->window;
  root.add_option(
      "--open", o.openPath,
      "Open a scene file (.json), a PNG exported by attnscope (scene metadata), an .npz with arrays q and k, or a "
      "model (llama2.c .bin, Hugging Face folder, capture .safetensors)");
  root.add_option("--bench-frames", o.benchFrames,
                  "Render N frames with every view open on the bench scene, changing it every frame; print the "
                  "frame-time median and p95 in ms, then exit")
      ->check(CLI::Range(1, 1000000));
  root.add_option("--bench-vectors", o.benchVectors, "Vectors in the --bench-frames scene (default 256, d = 2)")
      ->check(CLI::Range(2, 1 << 16));
  root.add_option("--bench-views", o.benchViews,
                  "Views open during --bench-frames (default: every view but longmap, which opens alone for long "
                  "captures)")
      ->delimiter(',');
  root.add_option("--dump-state", o.dumpStatePath,
                  "Debug: write the app state as JSON to FILE after every change and on SIGUSR1 (end-to-end tests)");
  root.add_option("--ui-scale", o.uiScale, "UI scale (fonts and sizes); default: the monitor's content scale")
      ->check(CLI::Range(0.5, 4.0));
  root.add_option("--window-size", o.windowSize, "Initial window size in screen units: W H")->expected(2);
  root.add_option("--demo", o.demo, "Start on this teaching demo (Demos menu; `attnscope export --list` names them)");
  root.add_option("--step", o.demoStep, "Step of --demo to start on, from 1")->check(CLI::Range(1, 100));
  root.add_flag("--presenter", o.presenter, "Start in presenter mode (F11): full screen, large fonts, no controls");
  root.add_flag("--no-persist", o.noPersist, "Neither read nor write preferences and window layout");
  root.add_flag("--train", o.train,
                "Open the Train workspace and start its default runs (DPA and EA on the copy task) at once; with "
                "--bench-frames they train while the frames are timed, then Pause is timed in frames");
  installAutosaveOptions(root, o.autosave);
  return options;
}

int runGui(const GuiCommandLine& options) {
  const WindowOptions& o = options.window;
  // First, before GLFW, the GL driver or the app start any thread (they inherit the mask): SIGTERM / SIGINT close the
  // window like its close button and SIGUSR1 asks for a state dump, collected once per frame (state_dump.h).
  WindowSignals signals(!o.dumpStatePath.empty());
  SignalRequest dumpRequest;  // taken before the write, so none is lost (state_dump.h)
  bool closeRequested = false;
  Preferences preferences = o.noPersist ? Preferences{} : loadPreferences();
  Scene initial = o.benchFrames > 0 ? benchScene(o.benchVectors, o.benchViews) : defaultScene();
  std::string scenePath;
  // A model given to --open runs in the model session once the window is up, as if dropped on it.
  const bool openModel = !o.openPath.empty() && isModelPath(o.openPath);
  if (!o.openPath.empty() && !openModel) {
    initial = loadSceneFile(o.openPath);  // throws FileError: main prints it and exits 1
    scenePath = o.openPath;
  }

  // --train's runs are checked before a window opens: a setup beyond the memory budget is one line, no window.
  if (o.train) checkTrainSetup(TrainSetup{});

  if (glfwInit() != GLFW_TRUE)
    throw ResourceError("cannot open a window: " + glfwErrorText() +
                        ". Without a display, render PNGs with `attnscope export` (EGL, no X server needed)");
  struct GlfwSession {
    ~GlfwSession() { glfwTerminate(); }
  } glfwSession;
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
  int width = preferences.windowWidth, height = preferences.windowHeight;
  if (o.windowSize.size() == 2) {
    width = std::clamp(o.windowSize[0], 320, 16384);
    height = std::clamp(o.windowSize[1], 240, 16384);
  }
  GLFWwindow* window = glfwCreateWindow(width, height, "attnscope", nullptr, nullptr);
  if (window == nullptr) throw ResourceError("cannot create a GL 3.3 core window: " + glfwErrorText());
  if (preferences.windowX >= 0 && preferences.windowY >= 0 && o.windowSize.empty())
    glfwSetWindowPos(window, preferences.windowX, preferences.windowY);
  glfwMakeContextCurrent(window);
  if (gladLoadGL(glfwGetProcAddress) == 0) throw ResourceError("cannot load GL 3.3 functions");
  glfwSwapInterval(o.benchFrames > 0 ? 0 : 1);

  float contentScale = 1.0f, unused = 1.0f;
  glfwGetWindowContentScale(window, &contentScale, &unused);
  const float uiScale =
      o.uiScale > 0 ? o.uiScale : std::clamp(contentScale * preferences.uiScaleMultiplier, 0.5f, 4.0f);

  WindowEvents windowEvents;
  glfwSetWindowUserPointer(window, &windowEvents);
  // Our callbacks first: ImGui's backend chains to them, so both see every event.
  glfwSetCursorPosCallback(window, onCursor);
  glfwSetMouseButtonCallback(window, onButton);
  glfwSetScrollCallback(window, onScroll);
  glfwSetKeyCallback(window, onKey);
  glfwSetCharCallback(window, onChar);
  glfwSetFramebufferSizeCallback(window, onResize);
  glfwSetDropCallback(window, onDrop);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  std::string iniPath;  // ImGui keeps the pointer until DestroyContext, below
  const std::string configFolder = o.noPersist || o.benchFrames > 0 ? std::string() : configDirectory();
  if (!configFolder.empty()) {
    std::error_code error;
    std::filesystem::create_directories(configFolder, error);
    iniPath = configFolder + "/imgui.ini";
    io.IniFilename = error ? nullptr : iniPath.c_str();
  } else {
    io.IniFilename = nullptr;
  }
  setupFontsAndStyle(uiScale);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  windowEvents.imguiKeyCallback =
      glfwSetKeyCallback(window, onKeyLatched);  // in front of ImGui's callback (see onKeyLatched)
  ImGui_ImplOpenGL3_Init("#version 330 core");

  int exitCode = 0;
  {
    AppContext context(std::move(initial));
    context.setUiScale(uiScale);
    context.setBackgroundDivergences(true);
    GpuHeatmapCache heatmaps;
    context.setHeatmapCache(&heatmaps);
    ShellState shell;
    shell.uiScale = uiScale;
    shell.scenePath = scenePath;
    shell.lastFolder = preferences.lastFolder;
    if (openModel) openPath(context, shell, o.openPath);
    AutosaveSession autosave(autosaveOptions(o.autosave, o.benchFrames > 0));  // no lost work (autosave.h)

    WindowGeometry geometry;
    std::string lastDump;
    auto writeDump = [&] {
      if (o.dumpStatePath.empty()) return;
      try {
        offerStateDump(dumpRequest, lastDump, stateDumpJson(context, geometry),
                       [&](const std::string& text) { writeFileAtomically(o.dumpStatePath, text); });
      } catch (const std::exception& e) {
        shell.showError(e.what());
      }
    };
    if (!o.demo.empty()) openDemo(context, o.demo, o.demoStep);  // throws: main prints it and exits 1
    context.demoPlayer().presenter = o.presenter;
    if (o.train) startDefaultTraining(context, o.benchFrames == 0);
    context.refreshDerived();
    TrainControlBench trainControls;  // --bench-frames --train, after the timed frames

    std::vector<float> benchTimes, benchDeriveTimes;
    FrameStats benchStats;
    FramePhases benchPhases;
    const bool bench = o.benchFrames > 0;
    const char* benchDrop = std::getenv("ATTNSCOPE_BENCH_DROP");  // frame_stats.h: attribution experiments
    std::uint64_t benchRendersBefore = 0;
    auto previous = std::chrono::steady_clock::now();
    int frame = 0;
    while (!glfwWindowShouldClose(window) && !shell.quitRequested && !closeRequested) {
      if (bench) benchPhases.begin(steadySeconds());
      releaseLatchedKeys(window);  // the previous frame saw these keys down
      // A playing demo animation needs every frame.
      const bool idle = o.benchFrames == 0 && glfwGetTime() - windowEvents.lastEventTime > 1.0 &&
                        shell.banners.empty() && frame > 3 && !context.demoPlayer().playing &&
                        !anyRunRunning(context.trainSession());  // live curves while training
      if (idle)
        glfwWaitEventsTimeout(0.5);
      else
        glfwPollEvents();
      const auto workStart = std::chrono::steady_clock::now();
      if (const WindowSignals::Pending pending = signals.take(); pending.close || pending.dump) {
        closeRequested = closeRequested || pending.close;
        if (pending.dump) dumpRequest.raise();
      }
      for (const std::string& path : std::exchange(windowEvents.droppedPaths, {})) openPath(context, shell, path);

      syncPresenterWindow(window, context, shell, uiScale);  // presenter.h: full screen and fonts
      if (o.benchFrames > 0 && frame == 5) benchRendersBefore = heatmaps.renderCount();
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      ImGui::NewFrame();
      shell.keyPresses = std::exchange(windowEvents.keyPresses, {});
      autosave.drawRestoreDialog(context, shell);
      FrameLayout layout;
      layout.width = io.DisplaySize.x;
      layout.height = io.DisplaySize.y;
      drawUi(context, shell, layout);
      if (bench) benchPhases.mark(FramePhases::Build, steadySeconds());
      ImGui::Render();
      if (bench) benchPhases.mark(FramePhases::Render, steadySeconds());
      // Counted over the same frames as the timings (frame 5 on), and kept out of them: measuring every triangle's
      // clipped area costs about a millisecond at 2048 vectors.
      float statsMilliseconds = 0.0f;
      if (bench && frame >= 5) {
        const double statsStart = steadySeconds();
        benchStats.addFrame(*ImGui::GetDrawData());
        const double statsEnd = steadySeconds();
        statsMilliseconds = float((statsEnd - statsStart) * 1000.0);
        benchPhases.skip(statsEnd);
      }
      int framebufferWidth = 0, framebufferHeight = 0;
      glfwGetFramebufferSize(window, &framebufferWidth, &framebufferHeight);
      glBindFramebuffer(GL_FRAMEBUFFER, 0);
      glViewport(0, 0, framebufferWidth, framebufferHeight);
      // drawUi chose it: the view windows' background when they are drawn without one (shell.h).
      glClearColor(shell.clearColour[0], shell.clearColour[1], shell.clearColour[2], shell.clearColour[3]);
      glClear(GL_COLOR_BUFFER_BIT);
      if (bench && benchDrop != nullptr) dropTrianglesForBench(*ImGui::GetDrawData(), benchDrop);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      if (bench) {
        // Attribution only: llvmpipe finishes the frame inside SwapBuffers anyway (it copies finished pixels).
        benchPhases.mark(FramePhases::Submit, steadySeconds());
        glFinish();
        benchPhases.mark(FramePhases::Finish, steadySeconds());
      }
      glfwSwapBuffers(window);
      if (bench) benchPhases.mark(FramePhases::Swap, steadySeconds());

      if (o.benchFrames > 0)
        context.submit(rotateSelectedKey(context.scene(), 1.0f), "Move key", EditMerge::Continuous);
      const auto deriveStart = std::chrono::steady_clock::now();
      context.endFrame();
      const float deriveMilliseconds =
          std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - deriveStart).count();
      if (bench) benchPhases.mark(FramePhases::Derived, steadySeconds());
      autosave.tick(context, shell, glfwGetTime());

      for (auto& request : std::exchange(shell.pendingExports, {})) {
        try {
          if (request.sweepFrames > 0) {
            const auto written = exportSweepFrames(context.scene(), request.options, request.sweepFrames, request.path);
            shell.showStatus("Exported " + std::to_string(written.size()) + " frames: " + written.back());
          } else {
            exportImage(context, request.options, request.path);
            shell.showStatus("Exported " + request.path);
          }
        } catch (const std::exception& e) {
          shell.showError(e.what());
        }
      }

      if (!o.dumpStatePath.empty()) publishViewProbes(context);
      glfwGetWindowPos(window, &geometry.x, &geometry.y);
      glfwGetWindowSize(window, &geometry.width, &geometry.height);
      writeDump();

      const auto now = std::chrono::steady_clock::now();
      const float milliseconds = std::chrono::duration<float, std::milli>(now - previous).count() - statsMilliseconds;
      previous = now;
      {
        // The status bar shows the work of a frame (events to swap), not the idle wait between frames.
        shell.frameMilliseconds.push_back(std::chrono::duration<float, std::milli>(now - workStart).count());
        if (shell.frameMilliseconds.size() > 120) shell.frameMilliseconds.pop_front();
      }
      ++frame;
      if (o.benchFrames > 0) {
        // The first frames build font textures and shaders: keep them out of the statistics.
        if (frame > 5) {
          benchPhases.end(steadySeconds());
          benchTimes.push_back(milliseconds);
          benchDeriveTimes.push_back(deriveMilliseconds);
        }
        if (static_cast<int>(benchTimes.size()) >= o.benchFrames) {
          if (!o.train) break;
          // Then Pause, Step and Reset, each pressed between two frames as the buttons do, counted in frames.
          if (trainControls.advance(context.trainSession(), frame)) break;
        }
      }
    }
    if (o.benchFrames > 0) {
      const Scene& scene = context.scene();
      std::printf(
          "bench-frames: %zu frames, %d queries + %d keys in d = %d, %dx%d window, %zu views open: "
          "median %.2f ms, p95 %.2f ms (recomputing Derived: median %.2f ms)\n",
          benchTimes.size(), scene.queryCount(), scene.keyCount(), scene.dimension(), geometry.width, geometry.height,
          scene.openViews.size(), percentile(benchTimes, 0.5), percentile(benchTimes, 0.95),
          percentile(benchDeriveTimes, 0.5));
      benchStats.setTextureRenders(heatmaps.renderCount() - benchRendersBefore);
      benchStats.print(stdout);
      benchPhases.print(stdout);
    }
    autosave.finish(context, shell);
    if (!o.noPersist && o.benchFrames == 0) {
      glfwGetWindowPos(window, &preferences.windowX, &preferences.windowY);
      glfwGetWindowSize(window, &preferences.windowWidth, &preferences.windowHeight);
      preferences.lastFolder = shell.lastFolder;
      savePreferences(preferences);
    }
    context.setHeatmapCache(nullptr);
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
#ifdef ATTNSCOPE_LEAK_CHECK
  // The leak check runs now (a no-op without detect_leaks), not at exit: glfwTerminate unloads the GL driver, whose
  // caches are reachable from its globals only while it is loaded, so the exit-time check reports them as leaks of an
  // "<unknown module>" that no suppression can name. Every object of ours is destroyed by now.
  __lsan_do_leak_check();
#endif
  return exitCode;
}

}  // namespace attnscope::gui
