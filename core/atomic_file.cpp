// Temporary-file-and-rename writer (see atomic_file.h).
#include "core/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <random>
#include <string>
#include <system_error>

#include "core/error.h"

namespace attnscope {

void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  // The temporary must live in the target's folder: rename is atomic only within one file system. Process id plus a
  // random number keep two writers (processes or threads) from sharing a temporary.
  const std::filesystem::path folder = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::random_device entropy;
  // Built by appending: GCC 12 reports a false -Wrestrict for `"." + std::string` at -O2.
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(entropy());
  const std::filesystem::path temporary = folder / name;
  auto removeTemporary = [&] {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
  };
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw FileError(path.string() + ": cannot create a temporary file in '" + folder.string() + "'");
    try {
      write(out);
    } catch (...) {
      out.close();
      removeTemporary();
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      removeTemporary();
      throw FileError(path.string() + ": write failed (disk full?)");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    removeTemporary();
    throw FileError(path.string() + ": cannot replace the file (" + error.message() + ")");
  }
}

}  // namespace attnscope
