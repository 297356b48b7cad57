// Shared by the llama2.c tests: where the real stories260K files live (ATTNSCOPE_MODELS_DIR, found by CMake),
// failing loudly when they are missing, and scratch files for corrupted copies.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnscope::model::testing {

inline std::filesystem::path sharedModels() {
  return std::filesystem::path(ATTNSCOPE_MODELS_DIR);
}

/// Path of a file in the shared models folder; the calling test fails (not skips) with a clear message if it is
/// missing.
inline std::filesystem::path requireSharedModel(const std::string& name) {
  const std::filesystem::path path = sharedModels() / name;
  // Throwing (not ADD_FAILURE) stops the test at once: gtest reports the message as the failure, instead of the
  // test going on to index an empty file and crash.
  if (!std::filesystem::exists(path))
    throw std::runtime_error(
        "missing " + path.string() +
        ": the llama2.c tests need the real stories260K files (configure with -DATTNSCOPE_MODELS_DIR=FOLDER)");
  return path;
}

inline std::vector<char> readBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeBytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

/// A fresh per-test scratch directory under the system temp dir.
inline std::filesystem::path scratchDirectory(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("attnscope_" + name + "_" + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace attnscope::model::testing
