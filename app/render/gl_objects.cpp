// GL object lifetimes and shader compilation with readable errors.
#include "app/render/gl_objects.h"

#include <string>
#include <vector>

#include "core/error.h"

namespace attnscope::render {
namespace detail {
void deleteTexture(GLuint name) {
  glDeleteTextures(1, &name);
}
void deleteFramebuffer(GLuint name) {
  glDeleteFramebuffers(1, &name);
}
void deleteVertexArray(GLuint name) {
  glDeleteVertexArrays(1, &name);
}
void deleteBuffer(GLuint name) {
  glDeleteBuffers(1, &name);
}
void deleteProgram(GLuint name) {
  glDeleteProgram(name);
}
}  // namespace detail

namespace {

GLuint compile(GLenum stage, const std::string& name, const std::string& source) {
  const GLuint shader = glCreateShader(stage);
  const char* text = source.c_str();
  glShaderSource(shader, 1, &text, nullptr);
  glCompileShader(shader);
  GLint ok = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (ok != GL_TRUE) {
    GLint length = 0;
    glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &length);
    std::vector<char> log(static_cast<std::size_t>(std::max(length, 1)));
    glGetShaderInfoLog(shader, length, nullptr, log.data());
    glDeleteShader(shader);
    throw InputError("shader " + name + " does not compile: " + std::string(log.data()));
  }
  return shader;
}

}  // namespace

Texture::Texture(int width, int height, GLenum internalFormat, GLenum format, GLenum type, const void* data)
    : width_(width), height_(height) {
  GLuint name = 0;
  glGenTextures(1, &name);
  handle_ = GlHandle<detail::deleteTexture>(name);
  GLint previous = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
  glBindTexture(GL_TEXTURE_2D, name);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glTexImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(internalFormat), width, height, 0, format, type, data);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previous));
}

void Texture::upload(GLenum format, GLenum type, const void* data) {
  GLint previous = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
  glBindTexture(GL_TEXTURE_2D, handle_.get());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width_, height_, format, type, data);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previous));
}

Framebuffer::Framebuffer(int width, int height) {
  GLint maxSize = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &maxSize);
  if (width < 1 || height < 1 || width > maxSize || height > maxSize)
    throw ResourceError("offscreen target of " + std::to_string(width) + " x " + std::to_string(height) +
                        " pixels is outside what the GL driver supports (1.." + std::to_string(maxSize) + " per side)");
  colour_ = Texture(width, height, GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  GLuint name = 0;
  glGenFramebuffers(1, &name);
  handle_ = GlHandle<detail::deleteFramebuffer>(name);
  GLint previous = 0;
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous);
  glBindFramebuffer(GL_FRAMEBUFFER, name);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, colour_.id(), 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(previous));
  if (status != GL_FRAMEBUFFER_COMPLETE)
    throw ResourceError("offscreen framebuffer of " + std::to_string(width) + " x " + std::to_string(height) +
                        " is incomplete (GL status 0x" + std::to_string(status) + ")");
}

ShaderProgram::ShaderProgram(const std::string& vertexName, const std::string& vertexSource,
                             const std::string& fragmentName, const std::string& fragmentSource) {
  const GLuint vertex = compile(GL_VERTEX_SHADER, vertexName, vertexSource);
  GLuint fragment = 0;
  try {
    fragment = compile(GL_FRAGMENT_SHADER, fragmentName, fragmentSource);
  } catch (...) {
    glDeleteShader(vertex);
    throw;
  }
  const GLuint program = glCreateProgram();
  glAttachShader(program, vertex);
  glAttachShader(program, fragment);
  glLinkProgram(program);
  glDeleteShader(vertex);
  glDeleteShader(fragment);
  GLint ok = GL_FALSE;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  if (ok != GL_TRUE) {
    GLint length = 0;
    glGetProgramiv(program, GL_INFO_LOG_LENGTH, &length);
    std::vector<char> log(static_cast<std::size_t>(std::max(length, 1)));
    glGetProgramInfoLog(program, length, nullptr, log.data());
    glDeleteProgram(program);
    throw InputError("shaders " + vertexName + " + " + fragmentName + " do not link: " + std::string(log.data()));
  }
  handle_ = GlHandle<detail::deleteProgram>(program);
}

ScopedGlState::ScopedGlState() {
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &framebuffer_);
  glGetIntegerv(GL_VIEWPORT, viewport_);
  glGetIntegerv(GL_CURRENT_PROGRAM, &program_);
  glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &vertexArray_);
  glGetIntegerv(GL_ACTIVE_TEXTURE, &activeTexture_);
  glActiveTexture(GL_TEXTURE0);
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture0_);
  glActiveTexture(GL_TEXTURE1);
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture1_);
  glActiveTexture(static_cast<GLenum>(activeTexture_));
  blend_ = glIsEnabled(GL_BLEND);
  scissor_ = glIsEnabled(GL_SCISSOR_TEST);
}

ScopedGlState::~ScopedGlState() {
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(framebuffer_));
  glViewport(viewport_[0], viewport_[1], viewport_[2], viewport_[3]);
  glUseProgram(static_cast<GLuint>(program_));
  glBindVertexArray(static_cast<GLuint>(vertexArray_));
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture0_));
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture1_));
  glActiveTexture(static_cast<GLenum>(activeTexture_));
  blend_ ? glEnable(GL_BLEND) : glDisable(GL_BLEND);
  scissor_ ? glEnable(GL_SCISSOR_TEST) : glDisable(GL_SCISSOR_TEST);
}

}  // namespace attnscope::render
