// EGL bring-up in the order glad needs: load client extensions with no display, get a platform display, initialise
// it, reload glad for that display's extensions and version, then create a context and make it current.
#include "app/render/egl_context.h"

#include <glad/egl.h>
#include <glad/gl.h>

#include <cstdio>
#include <vector>

#include "core/error.h"

namespace attnscope::render {
namespace {

std::string eglFailure(const char* step) {
  char code[16];
  std::snprintf(code, sizeof code, "0x%04x", eglGetError ? static_cast<unsigned>(eglGetError()) : 0u);
  return std::string("headless rendering: ") + step + " failed (EGL error " + code + ")";
}

bool hasClientExtension(const char* name) {
  const char* extensions = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (extensions == nullptr) return false;
  const std::string list = std::string(" ") + extensions + " ";
  return list.find(std::string(" ") + name + " ") != std::string::npos;
}

}  // namespace

struct HeadlessContext::State {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
};

HeadlessContext::HeadlessContext() : state_(std::make_unique<State>()) {
  if (gladLoaderLoadEGL(EGL_NO_DISPLAY) == 0)
    throw ResourceError("headless rendering: cannot load libEGL (install libegl1 and libegl-mesa0)");
  if (eglGetPlatformDisplayEXT == nullptr)
    throw ResourceError("headless rendering: EGL lacks EGL_EXT_platform_base, so no display without X is possible");

  EGLDisplay display = EGL_NO_DISPLAY;
  if (hasClientExtension("EGL_MESA_platform_surfaceless")) {
    display = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
    if (display != EGL_NO_DISPLAY && eglInitialize(display, nullptr, nullptr) == EGL_TRUE) {
      platform_ = "surfaceless";
    } else {
      display = EGL_NO_DISPLAY;
    }
  }
  if (display == EGL_NO_DISPLAY && hasClientExtension("EGL_EXT_platform_device") && eglQueryDevicesEXT != nullptr) {
    EGLint count = 0;
    eglQueryDevicesEXT(0, nullptr, &count);
    std::vector<EGLDeviceEXT> devices(static_cast<std::size_t>(count));
    if (count > 0 && eglQueryDevicesEXT(count, devices.data(), &count) == EGL_TRUE) {
      for (EGLDeviceEXT device : devices) {
        display = eglGetPlatformDisplayEXT(EGL_PLATFORM_DEVICE_EXT, device, nullptr);
        if (display != EGL_NO_DISPLAY && eglInitialize(display, nullptr, nullptr) == EGL_TRUE) {
          platform_ = "device";
          break;
        }
        display = EGL_NO_DISPLAY;
      }
    }
  }
  if (display == EGL_NO_DISPLAY) throw ResourceError(eglFailure("finding a surfaceless or device EGL display"));
  state_->display = display;

  if (gladLoaderLoadEGL(display) == 0) throw ResourceError(eglFailure("loading EGL 1.5 for the display"));
  if (eglBindAPI(EGL_OPENGL_API) != EGL_TRUE) throw ResourceError(eglFailure("eglBindAPI(EGL_OPENGL_API)"));

  const EGLint configAttributes[] = {EGL_RENDERABLE_TYPE,
                                     EGL_OPENGL_BIT,
                                     EGL_RED_SIZE,
                                     8,
                                     EGL_GREEN_SIZE,
                                     8,
                                     EGL_BLUE_SIZE,
                                     8,
                                     EGL_ALPHA_SIZE,
                                     8,
                                     EGL_NONE};
  EGLConfig config = nullptr;
  EGLint configCount = 0;
  const bool haveConfig =
      eglChooseConfig(display, configAttributes, &config, 1, &configCount) == EGL_TRUE && configCount > 0;
  const EGLint contextAttributes[] = {
      EGL_CONTEXT_MAJOR_VERSION,           3,       EGL_CONTEXT_MINOR_VERSION, 3, EGL_CONTEXT_OPENGL_PROFILE_MASK,
      EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
  // Surfaceless contexts need no config (EGL_KHR_no_config_context); fall back to it when none matched.
  state_->context =
      eglCreateContext(display, haveConfig ? config : EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, contextAttributes);
  if (state_->context == EGL_NO_CONTEXT) throw ResourceError(eglFailure("creating a GL 3.3 core context"));
  if (eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, state_->context) != EGL_TRUE)
    throw ResourceError(eglFailure("making the surfaceless context current"));
  if (gladLoadGL(reinterpret_cast<GLADloadfunc>(eglGetProcAddress)) == 0)
    throw ResourceError("headless rendering: loading GL 3.3 functions through EGL failed");
}

HeadlessContext::~HeadlessContext() {
  if (state_->display != EGL_NO_DISPLAY) {
    eglMakeCurrent(state_->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    if (state_->context != EGL_NO_CONTEXT) eglDestroyContext(state_->display, state_->context);
    eglTerminate(state_->display);
  }
}

std::string HeadlessContext::renderer() const {
  const auto* text = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  return text ? text : "unknown";
}

}  // namespace attnscope::render
