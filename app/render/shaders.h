// Shader sources by file name ("colormap.frag.glsl"): embedded at build time from shaders/, or read from the
// directory in $ATTNSCOPE_SHADER_DIR when set (debugging: edit a shader and rerun without rebuilding).
#pragma once

#include <string>

namespace attnscope::render {

/// Text of shaders/<name>. Throws FileError if $ATTNSCOPE_SHADER_DIR is set and the file cannot be read, or
/// InputError if no shader of that name was embedded.
std::string shaderSource(const std::string& name);

}  // namespace attnscope::render
