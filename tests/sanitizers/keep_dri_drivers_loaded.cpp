// Sanitized builds only (ATTNSCOPE_SANITIZE=ON): compiled into every executable that links the GUI library.
//
// Mesa's EGL and GLX loaders dlclose() the DRI driver (swrast_dri.so, llvmpipe) on eglTerminate() and at exit.
// LeakSanitizer checks after that, so the driver's own never-freed allocations are reported with "<unknown module>"
// frames, which no suppression can name: every GL test would fail on Mesa's leaks. This dlclose() takes precedence
// over the C library's (and ASan's weak interceptor) because an executable's definition interposes. It keeps DRI
// drivers mapped and forwards every other handle unchanged, so tests/sanitizers/lsan.supp can suppress the driver
// by its module name while leaks in our code and in every other library are still reported.
#include <dlfcn.h>
#include <link.h>

#include <cstring>

// ASan's own dlclose interceptor, when the runtime has one: forwarding to it keeps ASan's bookkeeping.
extern "C" int __interceptor_dlclose(void* handle) __attribute__((weak));

namespace {
bool isDriDriver(void* handle) {
  link_map* map = nullptr;
  return handle != nullptr && dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr &&
         std::strstr(map->l_name, "/dri/") != nullptr && std::strstr(map->l_name, "_dri.so") != nullptr;
}
}  // namespace

extern "C" int dlclose(void* handle) {
  if (isDriDriver(handle)) return 0;
  if (__interceptor_dlclose != nullptr) return __interceptor_dlclose(handle);
  using Close = int (*)(void*);
  static const Close next = reinterpret_cast<Close>(dlsym(RTLD_NEXT, "dlclose"));
  return next(handle);
}
