// Temporary-file-and-rename writer (see atomic_file.h).
#include "core/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <streambuf>
#include <string>
#include <vector>

#include "core/error.h"

namespace attnscope {
namespace {

/// Writes all of `bytes` to `descriptor` (retrying short writes and EINTR); "" or the reason it stopped.
std::string writeAll(int descriptor, const char* bytes, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(descriptor, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::string("write failed (") + (n < 0 ? std::strerror(errno) : "no progress") + ")";
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

/// Permissions for the new file: the target's own when it exists (saving never changes who may read a file), else
/// what open(2) would give, 0666 minus the umask. The umask is read from /proc/self/status because umask(2) can
/// only be read by changing it, which races with other threads creating files.
mode_t permissionsFor(const std::filesystem::path& path) {
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) return existing.st_mode & 07777;
  mode_t mask = 022;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Umask:", 0) == 0) {
      mask = static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
      break;
    }
  return 0666 & ~mask;
}

/// A std::ostream target over a file descriptor with a 64 KiB buffer; remembers the first write error.
class DescriptorBuffer : public std::streambuf {
 public:
  explicit DescriptorBuffer(int descriptor) : descriptor_(descriptor), buffer_(1 << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  const std::string& failure() const { return failure_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    if (!failure_.empty()) return false;
    failure_ = writeAll(descriptor_, pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return failure_.empty();
  }

  int descriptor_;
  std::vector<char> buffer_;
  std::string failure_;
};

}  // namespace

void writeFileThroughDescriptor(const std::filesystem::path& path, const std::function<std::string(int)>& fill) {
  // The temporary must live in the target's folder: rename is atomic only within one file system. mkstemp picks a
  // name no other writer (process or thread) holds. Built by appending: GCC 12 reports a false -Wrestrict
  // (libstdc++ PR 105329) for `"." + std::string` at -O2.
  const std::filesystem::path folder = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::string name = ".";
  name.append(path.filename().string()).append(".XXXXXX");
  std::string temporary = (folder / name).string();
  const int descriptor = ::mkstemp(temporary.data());
  if (descriptor < 0)
    throw FileError(path.string() + ": cannot create a temporary file in '" + folder.string() + "' (" +
                    std::strerror(errno) + ")");
  // mkstemp creates 0600: give the file the permissions a plain open(2) or the replaced file would have.
  ::fchmod(descriptor, permissionsFor(path));
  auto abandon = [&](const std::string& reason) {
    ::close(descriptor);
    std::remove(temporary.c_str());
    throw FileError(path.string() + ": " + reason);
  };
  std::string failure;
  try {
    failure = fill(descriptor);
  } catch (...) {
    ::close(descriptor);
    std::remove(temporary.c_str());
    throw;
  }
  if (!failure.empty()) abandon(failure);
  // fsync before rename: after a crash the name then points at the whole new content, never at an empty file.
  if (::fsync(descriptor) != 0) abandon(std::string("write failed (") + std::strerror(errno) + ")");
  if (::close(descriptor) != 0) {
    const std::string reason = std::string("write failed (") + std::strerror(errno) + ")";
    std::remove(temporary.c_str());
    throw FileError(path.string() + ": " + reason);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::string("cannot replace the file (") + std::strerror(errno) + ")";
    std::remove(temporary.c_str());
    throw FileError(path.string() + ": " + reason);
  }
}

void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  writeFileThroughDescriptor(path, [&](int descriptor) {
    DescriptorBuffer buffer(descriptor);
    std::ostream out(&buffer);
    write(out);
    out.flush();
    if (!buffer.failure().empty()) return buffer.failure();
    return out ? std::string() : std::string("write failed");
  });
}

void writeFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  writeFileThroughDescriptor(path, [&](int descriptor) { return writeAll(descriptor, bytes.data(), bytes.size()); });
}

}  // namespace attnscope
