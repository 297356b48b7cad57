// Shared by the file-format tests: a fresh scratch folder per test, so a failing test leaves its files to inspect.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace attnscope::test_support {

/// Empty folder hf_test_files/<Suite>.<Test> under the working directory, recreated on each call.
inline std::filesystem::path testDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      std::filesystem::current_path() / "hf_test_files" / (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace attnscope::test_support
