// The memory budget: requests whose size comes from untrusted input (file headers, CLI sizes) are refused up front
// with a ResourceError instead of letting the allocation fail or the kernel's OOM killer end the process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope {

/// Environment variable that overrides the default budget, in MiB (a positive whole number, e.g. 4096).
inline constexpr const char* kMemoryBudgetVariable = "ATTNSCOPE_MEMORY_BUDGET_MB";

struct MemoryBudgetOptions {
  /// Share of physical memory one request may take when neither an explicit budget nor the variable is set. Half:
  /// the outputs plus their inputs and the rest of the desktop then still fit without swapping.
  double physicalFraction = 0.5;
};

/// Physical memory in bytes: MemTotal from /proc/meminfo, else sysconf(_SC_PHYS_PAGES) * page size; 0 if neither
/// is available (the budget is then unlimited).
std::uint64_t physicalMemoryBytes();

/// The budget in bytes, in order of precedence: setMemoryBudgetBytes(), ATTNSCOPE_MEMORY_BUDGET_MB, then
/// options.physicalFraction of physical memory. Throws InputError if the variable is set but not a positive whole
/// number of MiB.
std::uint64_t memoryBudgetBytes(const MemoryBudgetOptions& options = {});

/// Overrides the budget for this process (the app's settings, tests); std::nullopt returns to the default.
void setMemoryBudgetBytes(std::optional<std::uint64_t> bytes);

/// Throws ResourceError("<what> would need 12.3 GiB, more than the memory budget of 11.7 GiB (...)") if `bytes`
/// exceeds memoryBudgetBytes(). `bytes` is a double so that callers can multiply absurd header sizes (e.g. 2^31 x
/// 2^31 x 4) without overflow; NaN or negative counts are refused the same way.
void requireWithinBudget(double bytes, std::string_view what);

/// A byte count for messages: "512 bytes", "3.0 KiB", "12.3 GiB", "4.0 TiB".
std::string formatBytes(double bytes);

}  // namespace attnscope
