// A test suite that renders through the headless (EGL) export path: one GL context for the whole suite.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "app/render/egl_context.h"

namespace attnscope::test_support {

/// Base of a pixel-test fixture: `class ViewPixels : public HeadlessGlSuite<ViewPixels> {};` (CRTP, so each suite has
/// its own context). The quick start installs Mesa EGL, so a missing context fails every test: never a skip.
template <class Suite>
class HeadlessGlSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      gl = new render::HeadlessContext();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete gl;
    gl = nullptr;
  }
  void SetUp() override {
    if (!gl) FAIL() << "no headless EGL context: " << failure;
  }
  static inline render::HeadlessContext* gl = nullptr;
  static inline std::string failure;
};

}  // namespace attnscope::test_support
