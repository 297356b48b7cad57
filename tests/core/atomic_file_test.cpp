// The one atomic writer: content arrives whole or not at all, the old file survives every failure, no temporary is
// left behind, and errors name the target and the reason.
#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "core/error.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

fs::path freshFolder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("attnscope_atomic_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int entries(const fs::path& folder) {
  return static_cast<int>(std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

TEST(AtomicFile, WritesBytesStreamsAndReplaces) {
  const fs::path folder = freshFolder("write");
  const fs::path path = folder / "a.txt";
  writeFileAtomically(path, std::string_view("first"));
  EXPECT_EQ(contents(path), "first");
  // A stream larger than the 64 KiB buffer, so the buffer drains more than once.
  std::string big(200000, 'x');
  big[123456] = 'y';
  writeFileAtomically(path, [&](std::ostream& out) { out << big; });
  EXPECT_EQ(contents(path), big);
  EXPECT_EQ(entries(folder), 1) << "a temporary was left behind";
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(info.st_mode & 0777, 0666u & ~mask) << "a new file gets open(2)'s permissions, not mkstemp's 0600";
  // Replacing keeps the replaced file's permissions (a private file stays private).
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  writeFileAtomically(path, std::string_view("again"));
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(AtomicFile, FailuresKeepTheOldFileAndLeaveNoTemporary) {
  const fs::path folder = freshFolder("fail");
  const fs::path path = folder / "keep.txt";
  writeFileAtomically(path, std::string_view("old"));

  try {
    writeFileThroughDescriptor(path, [](int) { return std::string("encoder gave up"); });
    FAIL() << "a fill that reports a failure must throw";
  } catch (const FileError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": encoder gave up");
  }
  EXPECT_THROW(writeFileAtomically(path,
                                   [](std::ostream& out) {
                                     out << "half";
                                     throw std::runtime_error("writer threw");
                                   }),
               std::runtime_error);
  EXPECT_EQ(contents(path), "old");
  EXPECT_EQ(entries(folder), 1) << "a temporary was left behind";
}

TEST(AtomicFile, MissingFolderIsNamed) {
  const fs::path path = freshFolder("missing") / "no" / "x.npy";
  try {
    writeFileAtomically(path, std::string_view("x"));
    FAIL() << "writing into a missing folder must throw";
  } catch (const FileError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": cannot create a temporary file in '" +
                                         path.parent_path().string() + "' (No such file or directory)");
  }
}

TEST(AtomicFile, ReplacingADirectoryFailsAndRemovesTheTemporary) {
  const fs::path folder = freshFolder("directory");
  fs::create_directories(folder / "target" / "inside");
  try {
    writeFileAtomically(folder / "target", std::string_view("x"));
    FAIL() << "renaming a file over a non-empty directory must throw";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot replace the file ("), std::string::npos) << e.what();
  }
  EXPECT_EQ(entries(folder), 1) << "a temporary was left behind";
}

}  // namespace
}  // namespace attnscope
