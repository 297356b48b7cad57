// Autosave and crash recovery of the window session (autosave.h). The marker is locked with flock() rather than
// trusted by pid, because after a kill -9 the pid may already belong to another process.
#include "app/gui/autosave.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <GLFW/glfw3.h>  // key codes of the shell's key events
#include <imgui.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "app/gui/preferences.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "core/atomic_file.h"

namespace attnscope::gui {
namespace {

constexpr int kSlots = 8;  ///< simultaneous windows with their own autosave
constexpr const char* kDialogTitle = "Restore unsaved work?";

std::string slotName(const char* stem, int slot, const char* extension) {
  return slot == 0 ? std::string(stem) + extension : std::string(stem) + "-" + std::to_string(slot) + extension;
}

std::string localTime() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  localtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
  return text;
}

std::string readAll(int descriptor) {
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  off_t offset = 0;
  while ((n = pread(descriptor, buffer, sizeof buffer, offset)) > 0 && text.size() < (1u << 20)) {
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return text;
}

bool envSet(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
}

}  // namespace

void installAutosaveOptions(CLI::App& root, AutosaveCommandLine& c) {
  root.add_flag("--restore", c.restore, "Restore a crashed session's autosaved scene without asking");
  root.add_flag("--no-restore", c.noRestore,
                "Never offer to restore a crashed session's autosave (also $ATTNSCOPE_NO_RESTORE=1 or $CI)");
  root.add_flag("--no-autosave", c.noAutosave, "Do not autosave the scene (also $ATTNSCOPE_NO_AUTOSAVE=1)");
  root.add_option("--autosave-seconds", c.seconds,
                  "Autosave the changed scene at most every N seconds (default 30) to "
                  "$XDG_CONFIG_HOME/attnscope/autosave.json")
      ->check(CLI::Range(0.1, 86400.0));
}

AutosaveOptions autosaveOptions(const AutosaveCommandLine& c, bool benchmark) {
  AutosaveOptions options;
  if (!benchmark && !c.noAutosave && !envSet("ATTNSCOPE_NO_AUTOSAVE")) options.folder = configDirectory();
  options.intervalSeconds = c.seconds;
  if (c.restore) options.restore = RestorePolicy::Always;
  if (c.noRestore || envSet("ATTNSCOPE_NO_RESTORE") || envSet("CI")) options.restore = RestorePolicy::Never;
  return options;
}

AutosaveSession::AutosaveSession(AutosaveOptions options) : options_(std::move(options)) {
  if (options_.folder.empty()) {
    problem_ = "autosave is off";
    return;
  }
  std::error_code error;
  std::filesystem::create_directories(options_.folder, error);
  for (int slot = 0; slot < kSlots && lockDescriptor_ < 0; ++slot) {
    const std::string marker = options_.folder + "/" + slotName("session", slot, ".lock");
    // A session exiting cleanly unlinks its marker: if we locked an inode that is no longer the file at `marker`,
    // try the same slot again.
    for (int attempt = 0; attempt < 3 && lockDescriptor_ < 0; ++attempt) {
      const int descriptor = open(marker.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (descriptor < 0) {
        problem_ = "autosave is off: cannot create " + marker + " (" + std::strerror(errno) + ")";
        return;
      }
      if (flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
        close(descriptor);
        break;  // another live window owns this slot
      }
      struct stat opened = {};
      struct stat current = {};
      if (fstat(descriptor, &opened) != 0 || stat(marker.c_str(), &current) != 0 || opened.st_ino != current.st_ino ||
          opened.st_dev != current.st_dev) {
        close(descriptor);
        continue;
      }
      lockDescriptor_ = descriptor;
      markerPath_ = marker;
      autosavePath_ = options_.folder + "/" + slotName("autosave", slot, ".json");
    }
  }
  if (lockDescriptor_ < 0) {
    if (problem_.empty()) problem_ = "autosave is off: " + std::to_string(kSlots) + " other windows are running";
    return;
  }

  // A non-empty marker we could lock was left by a session that did not exit cleanly.
  const std::string previous = readAll(lockDescriptor_);
  if (!previous.empty()) {
    const nlohmann::json marker = nlohmann::json::parse(previous, nullptr, /*allow_exceptions=*/false);
    // A marker torn by the crash still means "crashed"; offer the autosave if one exists at all.
    const bool autosaved = !marker.is_object() || marker.value("autosaved", false);
    if (autosaved && std::filesystem::is_regular_file(autosavePath_, error)) {
      restorePending_ = options_.restore != RestorePolicy::Never;
      if (marker.is_object()) {
        pendingScenePath_ = marker.value("scenePath", std::string());
        pendingSavedAt_ = marker.value("savedAt", std::string());
      }
    }
  }
  writeMarker();
}

AutosaveSession::~AutosaveSession() {
  if (lockDescriptor_ >= 0) close(lockDescriptor_);
}

void AutosaveSession::writeMarker() {
  if (lockDescriptor_ < 0) return;
  // Rewritten in place (not temp + rename): the flock lives on this inode. A torn marker is still read as "crashed".
  const bool restorable = hasSaved_ || restorePending_;
  const nlohmann::json marker = {{"pid", static_cast<long>(getpid())},
                                 {"autosaved", restorable},
                                 {"autosave", autosavePath_},
                                 {"savedAt", restorePending_ ? pendingSavedAt_ : lastSavedAt_},
                                 {"scenePath", restorePending_ ? pendingScenePath_ : savedScenePath_}};
  const std::string text = marker.dump() + "\n";
  // Overwrite, then cut: the marker is never empty, so a crash mid-write still reads as a crash.
  if (pwrite(lockDescriptor_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()) &&
      ftruncate(lockDescriptor_, static_cast<off_t>(text.size())) == 0)
    fdatasync(lockDescriptor_);
}

void AutosaveSession::setBaseline(const AppContext& context) {
  if (!baselineSet_) {
    // The scene the session starts with (default or --open) is not work that could be lost.
    savedRevision_ = context.revision();
    baselineSet_ = true;
  }
}

bool AutosaveSession::save(const AppContext& context, ShellState& shell) {
  try {
    writeFileAtomically(autosavePath_, sceneToString(context.scene()));
  } catch (const std::exception& e) {
    if (!reportedWriteError_) shell.showError(std::string("autosave failed (will retry): ") + e.what());
    reportedWriteError_ = true;
    return false;
  }
  reportedWriteError_ = false;
  savedRevision_ = context.revision();
  savedScenePath_ = shell.scenePath;
  lastSavedAt_ = localTime();
  hasSaved_ = true;
  writeMarker();  // savedAt and scenePath for the restore dialog
  return true;
}

void AutosaveSession::tick(const AppContext& context, ShellState& shell, double now) {
  if (!enabled() || restorePending_) return;
  setBaseline(context);
  if (context.revision() == savedRevision_ && shell.scenePath == savedScenePath_) return;
  if (now - lastSaveTime_ < options_.intervalSeconds) return;
  lastSaveTime_ = now;  // also after a failure: retry after the interval, not every frame
  save(context, shell);
}

void AutosaveSession::finish(const AppContext& context, ShellState& shell) {
  if (!enabled()) return;
  if (restorePending_) {
    // Quit without deciding: keep the crashed session's autosave and marker so the offer comes back next time.
    close(lockDescriptor_);
    lockDescriptor_ = -1;
    return;
  }
  setBaseline(context);
  if (context.revision() != savedRevision_ || shell.scenePath != savedScenePath_) save(context, shell);
  // Unlink while still holding the lock, so no new session can lock this inode and mistake it for a crash.
  unlink(markerPath_.c_str());
  close(lockDescriptor_);
  lockDescriptor_ = -1;
}

bool AutosaveSession::restore(AppContext& context, ShellState& shell) {
  restorePending_ = false;
  setBaseline(context);
  try {
    std::vector<std::string> warnings;
    Scene scene = loadSceneFile(autosavePath_, &warnings);
    context.submit(std::move(scene), "Restore autosaved scene");
    shell.scenePath = pendingScenePath_;
    shell.showStatus("Restored the scene autosaved " +
                     (pendingSavedAt_.empty() ? "before the crash" : pendingSavedAt_));
    for (const auto& warning : warnings) shell.showError("warning: " + warning);
  } catch (const std::exception& e) {
    shell.showError(std::string("cannot restore the autosave: ") + e.what());
    writeMarker();
    return false;
  }
  // Keep the marker restorable until this session's own autosave of the restored scene (next tick) replaces it.
  hasSaved_ = true;
  savedScenePath_ = pendingScenePath_;
  lastSavedAt_ = pendingSavedAt_;
  lastSaveTime_ = -1e300;
  writeMarker();
  return true;
}

void AutosaveSession::discard() {
  restorePending_ = false;
  writeMarker();
}

void AutosaveSession::drawRestoreDialog(AppContext& context, ShellState& shell) {
  context.clearProbes("autosave/");
  setBaseline(context);
  if (!restorePending_) return;
  if (options_.restore == RestorePolicy::Always) {
    restore(context, shell);
    return;
  }
  // Key presses this frame belong to the dialog, not to shortcuts behind it.
  bool accept = false, reject = false;
  for (const ShellState::KeyPress& press : std::exchange(shell.keyPresses, {})) {
    if (press.modifiers != 0) continue;
    if (press.key == GLFW_KEY_ENTER || press.key == GLFW_KEY_KP_ENTER) accept = true;
    if (press.key == GLFW_KEY_ESCAPE) reject = true;
  }
  // Not ImGui::BeginPopupModal: in ImGui 1.86 any window appearing while a modal opened outside its Begin stack is
  // open trips an assertion (FindBlockingModal returns NULL in Begin), and views and banners do appear at start-up.
  // Instead a full-window blocker (takes the clicks, dims the views) and the dialog above it, both raised every frame.
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  const ImGuiWindowFlags fixed =
      ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoNav | ImGuiWindowFlags_NoCollapse;
  ImGui::SetNextWindowPos(viewport->Pos, ImGuiCond_Always);
  ImGui::SetNextWindowSize(viewport->Size, ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(0.55f);
  ImGui::SetNextWindowFocus();
  ImGui::Begin("##restore-blocker", nullptr, fixed | ImGuiWindowFlags_NoDecoration);
  ImGui::End();
  ImGui::SetNextWindowPos(viewport->GetCenter(), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowFocus();
  ImGui::Begin(kDialogTitle, nullptr, fixed | ImGuiWindowFlags_AlwaysAutoResize);
  ImGui::TextUnformatted("attnscope did not exit cleanly last time.");
  ImGui::Text("Restore the scene autosaved %s?", pendingSavedAt_.empty() ? "before that" : pendingSavedAt_.c_str());
  if (!pendingScenePath_.empty()) ImGui::TextDisabled("(it was %s)", pendingScenePath_.c_str());
  ImGui::TextDisabled("Autosave file: %s", autosavePath_.c_str());
  ImGui::Spacing();
  if (ImGui::Button("Restore (Enter)")) accept = true;
  const ImVec2 restoreMin = ImGui::GetItemRectMin(), restoreMax = ImGui::GetItemRectMax();
  ImGui::SameLine();
  if (ImGui::Button("Discard (Esc)")) reject = true;
  const ImVec2 discardMin = ImGui::GetItemRectMin(), discardMax = ImGui::GetItemRectMax();
  context.publishProbe("autosave/restore", 0.5f * (restoreMin.x + restoreMax.x), 0.5f * (restoreMin.y + restoreMax.y));
  context.publishProbe("autosave/discard", 0.5f * (discardMin.x + discardMax.x), 0.5f * (discardMin.y + discardMax.y));
  if (accept) {
    restore(context, shell);
  } else if (reject) {
    discard();
    shell.showStatus("Discarded the autosaved scene");
  }
  if (accept || reject) context.clearProbes("autosave/");
  ImGui::End();
}

}  // namespace attnscope::gui
