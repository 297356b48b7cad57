// Move-only RAII wrappers of the GL objects the app uses: a GL name is deleted exactly once, by its owner.
// Requires a current GL 3.3 core context loaded with glad (window or EGL) for every constructor and destructor.
#pragma once

#include <glad/gl.h>

#include <string>
#include <utility>

namespace attnscope::render {

/// Owns one GL name; Deleter is called with it on destruction. Moved-from handles hold 0 and delete nothing.
template <void (*Deleter)(GLuint)>
class GlHandle {
 public:
  GlHandle() = default;
  explicit GlHandle(GLuint name) : name_(name) {}
  GlHandle(const GlHandle&) = delete;
  GlHandle& operator=(const GlHandle&) = delete;
  GlHandle(GlHandle&& other) noexcept : name_(std::exchange(other.name_, 0)) {}
  GlHandle& operator=(GlHandle&& other) noexcept {
    if (this != &other) {
      reset();
      name_ = std::exchange(other.name_, 0);
    }
    return *this;
  }
  ~GlHandle() { reset(); }
  GLuint get() const { return name_; }
  explicit operator bool() const { return name_ != 0; }
  void reset() {
    if (name_ != 0) Deleter(name_);
    name_ = 0;
  }

 private:
  GLuint name_ = 0;
};

namespace detail {
void deleteTexture(GLuint name);
void deleteFramebuffer(GLuint name);
void deleteVertexArray(GLuint name);
void deleteBuffer(GLuint name);
void deleteProgram(GLuint name);
}  // namespace detail

using VertexArray = GlHandle<detail::deleteVertexArray>;
using Buffer = GlHandle<detail::deleteBuffer>;

/// A 2D texture with its size and internal format remembered.
class Texture {
 public:
  Texture() = default;
  /// Allocates width x height storage; `data` (may be null) is uploaded as `format`/`type` rows, row 0 first.
  /// Filtering is nearest (cells stay crisp when scaled up) and wrapping clamps to edge.
  Texture(int width, int height, GLenum internalFormat, GLenum format, GLenum type, const void* data);
  /// Replaces the contents (same size); rows are tightly packed.
  void upload(GLenum format, GLenum type, const void* data);
  GLuint id() const { return handle_.get(); }
  int width() const { return width_; }
  int height() const { return height_; }
  explicit operator bool() const { return static_cast<bool>(handle_); }

 private:
  GlHandle<detail::deleteTexture> handle_;
  int width_ = 0;
  int height_ = 0;
};

/// A framebuffer object rendering into one RGBA8 colour texture (owned) of a fixed size.
class Framebuffer {
 public:
  Framebuffer() = default;
  /// Throws ResourceError if the driver reports the framebuffer incomplete (e.g. size above GL_MAX_TEXTURE_SIZE).
  Framebuffer(int width, int height);
  GLuint id() const { return handle_.get(); }
  const Texture& colour() const { return colour_; }
  int width() const { return colour_.width(); }
  int height() const { return colour_.height(); }
  explicit operator bool() const { return static_cast<bool>(handle_); }

 private:
  GlHandle<detail::deleteFramebuffer> handle_;
  Texture colour_;
};

/// A linked vertex + fragment shader program. Compile and link errors throw InputError with the driver's log and
/// the shader's name.
class ShaderProgram {
 public:
  ShaderProgram() = default;
  ShaderProgram(const std::string& vertexName, const std::string& vertexSource, const std::string& fragmentName,
                const std::string& fragmentSource);
  GLuint id() const { return handle_.get(); }
  GLint uniform(const char* name) const { return glGetUniformLocation(handle_.get(), name); }
  explicit operator bool() const { return static_cast<bool>(handle_); }

 private:
  GlHandle<detail::deleteProgram> handle_;
};

/// Saves the GL state a helper pass changes (framebuffer, viewport, program, VAO, active texture and the textures
/// bound to units 0 and 1, blending, scissor) and restores it on destruction, so passes can run mid-ImGui-frame.
class ScopedGlState {
 public:
  ScopedGlState();
  ~ScopedGlState();
  ScopedGlState(const ScopedGlState&) = delete;
  ScopedGlState& operator=(const ScopedGlState&) = delete;

 private:
  GLint framebuffer_ = 0, program_ = 0, vertexArray_ = 0, activeTexture_ = 0, texture0_ = 0, texture1_ = 0;
  GLint viewport_[4] = {0, 0, 0, 0};
  GLboolean blend_ = GL_FALSE, scissor_ = GL_FALSE;
};

}  // namespace attnscope::render
