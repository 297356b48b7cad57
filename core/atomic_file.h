// Crash-safe file replacement, the one writer behind every file attnscope saves (.npy, safetensors, scenes, PNG,
// preferences, exports): readers never see a half-written file, because the content goes to a hidden temporary
// beside the target, is flushed to disk and is then renamed over the target.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace attnscope {

/// Writes `path` through `fill(descriptor)`, called on a new hidden temporary in the target's folder (with the
/// replaced file's permissions, or 0666 minus the umask for a new file).
/// `fill` returns "" when it wrote everything, or the reason it failed (libpng's message, say). The temporary is then
/// fsync'ed and renamed over `path` (atomic on POSIX within one file system). On any failure the temporary is
/// removed, `path` keeps its old content, and FileError says "<path>: <reason>"; exceptions thrown by `fill`
/// propagate after the same clean-up. `fill` must not close the descriptor.
void writeFileThroughDescriptor(const std::filesystem::path& path, const std::function<std::string(int)>& fill);

/// The same for writers that stream: `write(stream)` writes through a buffered stream on the temporary.
void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

/// The same for content already in memory.
void writeFileAtomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace attnscope
