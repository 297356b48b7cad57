// What the end-to-end test reads: enough to aim the mouse (probes + window origin) and to check the effect
// (scene vectors, selected query/key angle, weights).
#include "app/gui/state_dump.h"

#include <pthread.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "app/gui/scene_io.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

nlohmann::json matrix(const RowMatrix& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(i, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

/// The weights of every shown kernel, keyed by its command-line name ("dpa", "ea", "mgk", ...).
nlohmann::json shownWeights(const Scene& scene, const Derived& derived) {
  nlohmann::json weights = nlohmann::json::object();
  for (Kernel kernel : scene.display.shownKernels)
    weights[std::string(kernelName(kernel))] = matrix(derived.result(kernel).weights);
  return weights;
}

std::string stateDumpJson(const AppContext& context, const WindowGeometry& window) {
  const Scene& scene = context.scene();
  const Derived& derived = context.derived();
  nlohmann::json probes = nlohmann::json::object();
  for (const auto& [name, point] : context.probes()) probes[name] = {point[0], point[1]};
  const Vector q = scene.queries.row(scene.selectedQuery).transpose();
  const Vector k = scene.keys.row(scene.selectedKey).transpose();
  const float denominator = q.norm() * k.norm();
  const float cosine = denominator > 0 ? std::clamp(q.dot(k) / denominator, -1.0f, 1.0f) : 1.0f;
  nlohmann::json dump = {
      {"revision", context.revision()},
      {"derivedRevision", derived.sceneRevision},
      {"slowDivergenceRevision", derived.slowDivergenceRevision},
      {"window", {{"x", window.x}, {"y", window.y}, {"width", window.width}, {"height", window.height}}},
      {"uiScale", context.uiScale()},
      {"selectedAngleDegrees", std::acos(cosine) * 180.0 / 3.14159265358979},
      {"probes", probes},
      {"weights", shownWeights(scene, derived)},
      {"error", derived.error},
      {"scene", sceneToJson(scene)}};
  return dump.dump(2) + "\n";
}

WindowSignals::WindowSignals(bool answerSigusr1) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  if (answerSigusr1) sigaddset(&set_, SIGUSR1);  // otherwise SIGUSR1 keeps its default action
  if (const int error = pthread_sigmask(SIG_BLOCK, &set_, nullptr); error != 0)
    throw ResourceError(std::string("cannot block SIGTERM/SIGINT for the window: ") + std::strerror(error));
}

WindowSignals::Pending WindowSignals::take() {
  Pending pending;
  const timespec now{0, 0};
  for (;;) {
    const int signal = sigtimedwait(&set_, nullptr, &now);
    if (signal == SIGUSR1)
      pending.dump = true;
    else if (signal == SIGTERM || signal == SIGINT)
      pending.close = true;
    else if (signal < 0 && errno != EINTR)
      return pending;  // EAGAIN: nothing (more) pending
  }
}

bool offerStateDump(SignalRequest& request, std::string& lastWritten, const std::string& text,
                    const std::function<void(const std::string&)>& write) {
  const bool requested = request.take();
  if (!requested && text == lastWritten) return false;
  write(text);
  lastWritten = text;
  return true;
}

}  // namespace attnscope::gui
