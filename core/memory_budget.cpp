// Memory budget: physical memory discovery, the environment override and the up-front refusal.
#include "core/memory_budget.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace attnscope {
namespace {

// 0 means "no explicit override"; a set budget is always >= 1 byte.
std::atomic<std::uint64_t> explicitBudget{0};

std::uint64_t readMemTotal() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    // "MemTotal:       16318784 kB"
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::istringstream fields(line.substr(9));
    unsigned long long kib = 0;
    std::string unit;
    if (fields >> kib >> unit && unit == "kB") return static_cast<std::uint64_t>(kib) * 1024;
    return 0;
  }
  return 0;
}

std::uint64_t parseBudgetVariable(const char* text) {
  // Whole MiB only: "4096" is clear, while "4G" or "0.5" would need a unit grammar nobody documents.
  errno = 0;
  char* end = nullptr;
  unsigned long long mib = std::strtoull(text, &end, 10);
  bool valid =
      end != text && *end == '\0' && errno == 0 && mib > 0 && text[0] != '-' && text[0] != '+' && mib <= (~0ull >> 20);
  if (!valid)
    throw InputError(std::string(kMemoryBudgetVariable) + "='" + text +
                     "' is not a positive whole number of MiB (e.g. 4096 for 4 GiB)");
  return static_cast<std::uint64_t>(mib) << 20;
}

std::string budgetOrigin(const MemoryBudgetOptions& options) {
  if (explicitBudget.load() != 0) return "set by the application";
  if (const char* text = std::getenv(kMemoryBudgetVariable); text && *text)
    return std::string("from ") + kMemoryBudgetVariable + "=" + text;
  char text[160];
  std::snprintf(text, sizeof text, "%.0f%% of the %s of physical memory; set %s (MiB) to change it",
                options.physicalFraction * 100.0, formatBytes(static_cast<double>(physicalMemoryBytes())).c_str(),
                kMemoryBudgetVariable);
  return text;
}

}  // namespace

std::uint64_t physicalMemoryBytes() {
  static const std::uint64_t bytes = [] {
    if (std::uint64_t total = readMemTotal(); total > 0) return total;
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long pageSize = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0) return std::uint64_t{0};
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(pageSize);
  }();
  return bytes;
}

std::uint64_t memoryBudgetBytes(const MemoryBudgetOptions& options) {
  if (std::uint64_t bytes = explicitBudget.load(); bytes != 0) return bytes;
  if (const char* text = std::getenv(kMemoryBudgetVariable); text && *text) return parseBudgetVariable(text);
  std::uint64_t physical = physicalMemoryBytes();
  if (physical == 0) return ~std::uint64_t{0};
  return static_cast<std::uint64_t>(static_cast<double>(physical) * options.physicalFraction);
}

void setMemoryBudgetBytes(std::optional<std::uint64_t> bytes) {
  if (bytes && *bytes == 0) throw InputError("the memory budget must be at least 1 byte");
  explicitBudget.store(bytes.value_or(0));
}

void requireWithinBudget(double bytes, std::string_view what) {
  MemoryBudgetOptions options;
  const double budget = static_cast<double>(memoryBudgetBytes(options));
  if (bytes >= 0.0 && bytes <= budget) return;
  throw ResourceError(std::string(what) + " would need " + formatBytes(bytes) + ", more than the memory budget of " +
                      formatBytes(budget) + " (" + budgetOrigin(options) + ")");
}

std::string formatBytes(double bytes) {
  if (std::isnan(bytes) || bytes < 0) return "an invalid number of bytes";
  if (std::isinf(bytes)) return "unbounded memory";
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  char text[64];
  if (bytes < 1024.0) {
    std::snprintf(text, sizeof text, "%.0f bytes", bytes);
    return text;
  }
  double value = bytes / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 5) {
    value /= 1024.0;
    ++unit;
  }
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace attnscope
