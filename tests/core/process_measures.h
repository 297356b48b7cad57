// Load-independent measures for tests that guard against "reads the whole file" or "takes quadratic time" bugs:
// wall-clock limits flake on a loaded CI machine, resident memory and the thread's own CPU time do not.
#pragma once

#include <time.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace attnscope::test_support {

/// Resident set size of this process in bytes (VmRSS from /proc/self/status), 0 if unavailable. Pages of a
/// memory-mapped file count once touched, so a loader that reads a mapped file's data shows up here.
inline std::uint64_t residentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
  }
  return 0;
}

/// CPU time consumed by the calling thread, in seconds. Unlike wall time it does not grow when other processes
/// compete for the cores.
inline double threadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

}  // namespace attnscope::test_support
