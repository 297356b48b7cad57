// An enum's stable names, for the app's identities that cross a file boundary (views: view_kind.h, workspaces:
// workspace_kind.h). A table lists every kind with its name in enum order; the lookups below read it both ways.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace attnscope::gui {

template <typename Kind, std::size_t N>
using KindNames = std::array<std::pair<Kind, std::string_view>, N>;

/// The stable name of `kind` in a table listed in enum order.
template <typename Kind, std::size_t N>
constexpr std::string_view nameIn(const KindNames<Kind, N>& names, Kind kind) {
  return names[static_cast<std::size_t>(kind)].second;
}

/// The kind called `name` in the table, or nothing.
template <typename Kind, std::size_t N>
constexpr std::optional<Kind> kindNamedIn(const KindNames<Kind, N>& names, std::string_view name) {
  for (const auto& [kind, candidate] : names)
    if (candidate == name) return kind;
  return std::nullopt;
}

/// True when the table lists the kinds in enum order 0, 1, ..., N - 1 (checked at compile time by each table).
template <typename Kind, std::size_t N>
constexpr bool listedInEnumOrder(const KindNames<Kind, N>& names) {
  for (std::size_t i = 0; i < N; ++i)
    if (static_cast<std::size_t>(names[i].first) != i) return false;
  return true;
}

}  // namespace attnscope::gui
