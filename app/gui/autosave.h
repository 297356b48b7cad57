// No lost work: the window session autosaves the scene to $XDG_CONFIG_HOME/attnscope/autosave.json (atomic), keeps a
// locked session marker while it runs, and on the next start offers (a modal dialog) to restore a crashed session.
#pragma once

#include <cstdint>
#include <string>

#include "app/gui/app_state.h"

namespace CLI {
class App;
}

namespace attnscope::gui {

struct ShellState;

/// What the user chose on the command line / environment about a crashed session's autosave.
enum class RestorePolicy {
  Ask,     ///< modal dialog: Restore (Enter) or Discard (Escape)
  Always,  ///< --restore: restore without asking (tests, scripts)
  Never    ///< --no-restore, $ATTNSCOPE_NO_RESTORE or $CI: never offer; the old autosave is overwritten
};

struct AutosaveOptions {
  /// Folder of autosave.json and session.lock ("" disables autosave: no config folder).
  std::string folder;
  /// Autosave at most this often, and only when the scene revision changed since the last autosave.
  double intervalSeconds = 30.0;
  RestorePolicy restore = RestorePolicy::Ask;
};

/// One window session's autosave. Files in `folder`: slot 0 is autosave.json + session.lock; a second instance
/// running at the same time takes slot 1 (autosave-1.json + session-1.lock), and so on, so two windows never
/// overwrite each other's autosave. The marker is held with flock(): the kernel drops the lock when the process
/// dies, so a marker that is present but not locked belongs to a session that ended without a clean exit (kill -9,
/// crash, power loss) even if its pid has been reused since.
class AutosaveSession {
 public:
  /// Claims a slot. Never throws: when nothing can be written (read-only folder, no config folder) autosave is
  /// off and `problem()` says why (the shell shows it once).
  explicit AutosaveSession(AutosaveOptions options);
  ~AutosaveSession();
  AutosaveSession(const AutosaveSession&) = delete;
  AutosaveSession& operator=(const AutosaveSession&) = delete;

  bool enabled() const { return lockDescriptor_ >= 0; }
  const std::string& problem() const { return problem_; }
  const std::string& autosavePath() const { return autosavePath_; }
  const std::string& markerPath() const { return markerPath_; }

  /// True while a crashed session's autosave waits for the user's decision (no autosave overwrites it meanwhile).
  bool restorePending() const { return restorePending_; }

  /// Once per frame, between ImGui::NewFrame and ImGui::Render, before drawUi() consumes the key presses: shows the
  /// restore dialog while a decision is pending (swallowing the frame's key presses: Enter restores, Escape
  /// discards) and publishes its buttons as probes "autosave/restore" and "autosave/discard".
  void drawRestoreDialog(AppContext& context, ShellState& shell);

  /// Once per frame after the scene update: writes the autosave if the revision changed and the interval passed.
  /// `now` in seconds on any monotonic clock.
  void tick(const AppContext& context, ShellState& shell, double now);

  /// Clean exit: writes the final autosave and removes the marker, so the next start offers nothing. If a restore
  /// decision is still pending the crashed session's files are left as they are, so it is offered again.
  void finish(const AppContext& context, ShellState& shell);

  /// Restores the pending autosave into `context` (submitted as one undoable edit) and sets shell.scenePath. Returns
  /// false and reports the reason in the shell's banner when the autosave cannot be read.
  bool restore(AppContext& context, ShellState& shell);
  /// Drops the pending autosave (it will be overwritten by this session's next autosave).
  void discard();

 private:
  void writeMarker();
  void setBaseline(const AppContext& context);
  bool save(const AppContext& context, ShellState& shell);

  AutosaveOptions options_;
  std::string autosavePath_, markerPath_;
  int lockDescriptor_ = -1;
  std::string problem_;
  bool restorePending_ = false;
  std::string pendingScenePath_;  ///< the crashed session's file name, restored with its scene
  std::string pendingSavedAt_;    ///< when the crashed session last autosaved (for the dialog)
  bool hasSaved_ = false;         ///< this session wrote autosave.json (the marker says so, to make it restorable)
  bool baselineSet_ = false;
  std::uint64_t savedRevision_ = 0;
  std::string lastSavedAt_;
  double lastSaveTime_ = -1e300;
  std::string savedScenePath_;
  bool reportedWriteError_ = false;
};

/// What the command line says about autosave (bound by installAutosaveOptions).
struct AutosaveCommandLine {
  bool restore = false, noRestore = false, noAutosave = false;
  double seconds = 30.0;
};

/// Adds --restore, --no-restore, --no-autosave and --autosave-seconds to the window's command line, bound to `into`
/// (which must outlive the parse).
void installAutosaveOptions(CLI::App& root, AutosaveCommandLine& into);
/// Options from the command line and environment: folder configDirectory() (preferences.h), or "" (off) for
/// --no-autosave, $ATTNSCOPE_NO_AUTOSAVE or when `benchmark` is set; $ATTNSCOPE_NO_RESTORE or $CI mean --no-restore.
AutosaveOptions autosaveOptions(const AutosaveCommandLine& commandLine, bool benchmark);

}  // namespace attnscope::gui
