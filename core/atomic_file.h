// Crash-safe file replacement shared by every core writer (.npy, safetensors captures): readers never see a
// half-written file, because the content goes to a temporary beside the target and is renamed over it.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>

namespace attnscope {

/// Writes a file by calling `write(stream)` on a temporary file in the target's folder, then renames it over `path`
/// (atomic on POSIX within one file system). On any failure the temporary is removed, `path` keeps its old content
/// and FileError names the target and the reason; exceptions thrown by `write` propagate after the same clean-up.
void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

}  // namespace attnscope
