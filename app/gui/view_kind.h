// Which view: the identity the app's code uses for its views, and each one's stable name, the one scene files, the
// command line (--view NAME) and demo steps use. In a header of its own, with no view code behind it, so the scene
// file reader (built without the views, e.g. into the fuzz targets) and the workspace registry name views too.
#pragma once

#include <optional>
#include <string_view>

#include "app/gui/named_kinds.h"

namespace attnscope::gui {

enum class ViewKind { Canvas, Sweep, Maps, Density, Divergence, Parameters, Model, LongMap, Train };

/// Every kind with its stable name, in ViewKind order.
inline constexpr KindNames<ViewKind, 9> kViewNames{{
    {ViewKind::Canvas, "canvas"},
    {ViewKind::Sweep, "sweep"},
    {ViewKind::Maps, "maps"},
    {ViewKind::Density, "density"},
    {ViewKind::Divergence, "divergence"},
    {ViewKind::Parameters, "parameters"},
    {ViewKind::Model, "model"},
    {ViewKind::LongMap, "longmap"},
    {ViewKind::Train, "train"},
}};

static_assert(listedInEnumOrder(kViewNames));

/// The stable name of a view kind ("canvas", ...).
constexpr std::string_view viewName(ViewKind kind) {
  return nameIn(kViewNames, kind);
}

/// The view kind named `name`, or nothing.
constexpr std::optional<ViewKind> viewKindNamed(std::string_view name) {
  return kindNamedIn(kViewNames, name);
}

}  // namespace attnscope::gui
