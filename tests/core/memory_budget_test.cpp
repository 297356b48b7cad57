// Tests of core/memory_budget.cpp: precedence of the explicit budget, the environment variable and the physical
// fraction; the exact refusal message; byte formatting.
#include "core/memory_budget.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace attnscope {
namespace {

// Restores the process-wide budget state whatever a test does to it.
class MemoryBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv(kMemoryBudgetVariable);
    hadVariable_ = old != nullptr;
    if (old) oldVariable_ = old;
    ::unsetenv(kMemoryBudgetVariable);
    setMemoryBudgetBytes(std::nullopt);
  }
  void TearDown() override {
    setMemoryBudgetBytes(std::nullopt);
    if (hadVariable_)
      ::setenv(kMemoryBudgetVariable, oldVariable_.c_str(), 1);
    else
      ::unsetenv(kMemoryBudgetVariable);
  }

 private:
  bool hadVariable_ = false;
  std::string oldVariable_;
};

TEST_F(MemoryBudgetTest, FormatsBytesWithBinaryUnits) {
  EXPECT_EQ(formatBytes(0), "0 bytes");
  EXPECT_EQ(formatBytes(1023), "1023 bytes");
  EXPECT_EQ(formatBytes(1024), "1.0 KiB");
  EXPECT_EQ(formatBytes(1536), "1.5 KiB");
  EXPECT_EQ(formatBytes(12.3 * 1024 * 1024 * 1024), "12.3 GiB");
  EXPECT_EQ(formatBytes(4.0 * 1024.0 * 1024 * 1024 * 1024), "4.0 TiB");
  EXPECT_EQ(formatBytes(std::numeric_limits<double>::infinity()), "unbounded memory");
  EXPECT_EQ(formatBytes(std::nan("")), "an invalid number of bytes");
}

TEST_F(MemoryBudgetTest, DefaultIsHalfThePhysicalMemory) {
  std::uint64_t physical = physicalMemoryBytes();
  ASSERT_GT(physical, 0u) << "Linux always has /proc/meminfo or sysconf";
  EXPECT_EQ(memoryBudgetBytes(), physical / 2);
  MemoryBudgetOptions quarter;
  quarter.physicalFraction = 0.25;
  EXPECT_EQ(memoryBudgetBytes(quarter), physical / 4);
}

TEST_F(MemoryBudgetTest, EnvironmentVariableIsInMiB) {
  ::setenv(kMemoryBudgetVariable, "3", 1);
  EXPECT_EQ(memoryBudgetBytes(), 3u * 1024 * 1024);
  EXPECT_NO_THROW(requireWithinBudget(3.0 * 1024 * 1024, "exactly the budget"));
  try {
    requireWithinBudget(3.0 * 1024 * 1024 + 1, "a 1 x 786433 float32 matrix");
    FAIL() << "one byte over the budget must be refused";
  } catch (const ResourceError& error) {
    EXPECT_STREQ(error.what(),
                 "a 1 x 786433 float32 matrix would need 3.0 MiB, more than the memory budget of 3.0 MiB "
                 "(from ATTNSCOPE_MEMORY_BUDGET_MB=3)");
  }
}

TEST_F(MemoryBudgetTest, MalformedVariableIsAnInputError) {
  for (const char* bad : {"abc", "0", "-5", "4G", "1.5", "99999999999999999999999"}) {
    ::setenv(kMemoryBudgetVariable, bad, 1);
    try {
      memoryBudgetBytes();
      FAIL() << "'" << bad << "' must be refused";
    } catch (const InputError& error) {
      EXPECT_EQ(std::string(error.what()), std::string("ATTNSCOPE_MEMORY_BUDGET_MB='") + bad +
                                               "' is not a positive whole number of MiB (e.g. 4096 for 4 GiB)");
    }
  }
}

TEST_F(MemoryBudgetTest, ExplicitBudgetWinsOverTheVariable) {
  ::setenv(kMemoryBudgetVariable, "4096", 1);
  setMemoryBudgetBytes(1000);
  EXPECT_EQ(memoryBudgetBytes(), 1000u);
  try {
    requireWithinBudget(2048, "the test");
    FAIL();
  } catch (const ResourceError& error) {
    EXPECT_STREQ(error.what(),
                 "the test would need 2.0 KiB, more than the memory budget of 1000 bytes (set by the application)");
  }
  setMemoryBudgetBytes(std::nullopt);
  EXPECT_EQ(memoryBudgetBytes(), 4096ull << 20);
  EXPECT_THROW(setMemoryBudgetBytes(0), InputError);
}

TEST_F(MemoryBudgetTest, AbsurdAndInvalidSizesAreRefused) {
  // 2^31 x 2^31 float32 = 16 EiB: the double product does not overflow, and the message still reads.
  double absurd = 2147483648.0 * 2147483648.0 * 4.0;
  try {
    requireWithinBudget(absurd, "weights of 2147483648 x 2147483648");
    FAIL();
  } catch (const ResourceError& error) {
    std::string message = error.what();
    EXPECT_EQ(
        message.rfind("weights of 2147483648 x 2147483648 would need 16.0 EiB, more than the memory budget of ", 0), 0u)
        << message;
    EXPECT_NE(message.find("50% of the"), std::string::npos) << message;
    EXPECT_NE(message.find("set ATTNSCOPE_MEMORY_BUDGET_MB (MiB) to change it"), std::string::npos) << message;
  }
  EXPECT_THROW(requireWithinBudget(std::nan(""), "nan"), ResourceError);
  EXPECT_THROW(requireWithinBudget(-1.0, "negative"), ResourceError);
  EXPECT_THROW(requireWithinBudget(std::numeric_limits<double>::infinity(), "inf"), ResourceError);
  EXPECT_NO_THROW(requireWithinBudget(0.0, "nothing"));
}

}  // namespace
}  // namespace attnscope
