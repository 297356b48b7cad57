// .npz reading against archives written by NumPy itself (np.savez, np.savez_compressed; committed as fuzz seeds by
// tests/fuzz/make_seeds.py): the values are the ones make_seeds.py stored, and every corrupt variant is refused
// with a message naming the archive and, where there is one, the member.
#include "core/npz.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope {
namespace {

const std::filesystem::path kSeeds = std::filesystem::path(ATTNSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/npz";

std::string seed(const std::string& name) {
  return (kSeeds / name).string();
}

std::string errorOf(const std::string& path, std::string_view member = {}) {
  try {
    (void)readMatrixArgument(path, member);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Npz, StoredAndDeflatedArchivesHoldNumpysValues) {
  for (const char* name : {"valid_savez_qk.npz", "valid_savez_compressed_qk.npz"}) {
    SCOPED_TRACE(name);
    const std::vector<NpzMember> members = readNpz(seed(name));
    ASSERT_EQ(members.size(), 2u);
    EXPECT_EQ(members[0].name, "q");
    EXPECT_EQ(members[1].name, "k");
    const RowMatrix q = readMatrixArgument(seed(name), "q");
    ASSERT_EQ(q.rows(), 3);
    ASSERT_EQ(q.cols(), 2);
    EXPECT_EQ(q(2, 0), 0.6f);
    EXPECT_EQ(q(2, 1), 0.8f);
    EXPECT_EQ(q(1, 1), 1.0f);
    const RowMatrix k = readMatrixArgument(seed(name) + ":k");
    ASSERT_EQ(k.rows(), 2);
    EXPECT_EQ(k(1, 0), -1.0f);
  }
}

TEST(Npz, BigEndianFloat64AndTheOnlyArray) {
  // np.arange(6, dtype=">f8").reshape(3, 2): the archive's only member is taken without a name.
  const RowMatrix a = readMatrixArgument(seed("valid_f64_be.npz"), "q");
  ASSERT_EQ(a.rows(), 3);
  ASSERT_EQ(a.cols(), 2);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a(i / 2, i % 2), static_cast<float>(i));
}

TEST(Npz, ChoosingAMember) {
  const std::string many = seed("valid_many.npz");
  // x3 = np.full((4, 2), 3).
  const RowMatrix x3 = readMatrixArgument(many + ":x3");
  EXPECT_EQ(x3.rows(), 4);
  EXPECT_EQ(x3(3, 1), 3.0f);
  EXPECT_EQ(errorOf(many), many + " holds 5 arrays (x0, x1, x2, x3, x4): choose one as " + many + ":NAME");
  EXPECT_EQ(errorOf(many + ":q"), many + " holds 5 arrays (x0, x1, x2, x3, x4), none called 'q'");
  // An archive of q alone is not taken for k: its only array is named for another role.
  const std::string onlyQ = seed("valid_only_q.npz");
  EXPECT_EQ(readMatrixArgument(onlyQ, "q").rows(), 3);
  EXPECT_EQ(errorOf(onlyQ, "k"), onlyQ + " holds 1 array (q), none called 'k'");
  // A .npy path is read as before, colon or not.
  EXPECT_EQ(errorOf(seed("valid_savez_qk.npz") + "x"), seed("valid_savez_qk.npzx") + ": no such file");
}

TEST(Npz, CorruptArchivesAreRefusedByName) {
  const auto expectError = [](const std::string& name, const std::string& message) {
    SCOPED_TRACE(name);
    EXPECT_EQ(errorOf(seed(name), "q"), seed(name) + message);
  };
  expectError("bad_empty.npz", ": the file is empty (0 bytes), not an .npz archive");
  expectError("bad_not_zip.npz", ": not an .npz file, or a truncated one (no zip directory at its end)");
  expectError("bad_truncated.npz", ": not an .npz file, or a truncated one (no zip directory at its end)");
  expectError("bad_no_members.npz", ": the .npz archive holds no arrays");
  expectError("bad_member_not_npy.npz",
              ": member 'readme.txt' is not a .npy array (an .npz holds only NAME.npy members)");
  expectError("bad_duplicate.npz", ": damaged .npz archive (two members have the same name)");
  expectError("bad_bzip2.npz",
              ": member 'q.npy' uses zip compression method 12 (NumPy writes stored or deflate members)");
  expectError("bad_member_corrupt_npy.npz",
              ": member 'q.npy': truncated data: shape (3, 2) of '<f4' needs 24 bytes from offset 128 but only 21 "
              "remain");
  EXPECT_NE(errorOf(seed("bad_crc.npz")).find(seed("bad_crc.npz") + ": member 'q.npy': damaged data (CRC error)"),
            std::string::npos)
      << errorOf(seed("bad_crc.npz"));
}

TEST(Npz, DeclaredSizesAreCheckedAgainstTheBudgetBeforeInflating) {
  // valid_many.npz declares 5 members; a budget of 1 KiB cannot hold twice their declared bytes.
  setMemoryBudgetBytes(1024);
  const std::string message = errorOf(seed("valid_many.npz") + ":x0");
  setMemoryBudgetBytes(std::nullopt);
  EXPECT_NE(message.find("the 5 arrays the archive declares would need"), std::string::npos) << message;
}

TEST(Npz, MissingFileAndDirectory) {
  EXPECT_EQ(errorOf("/nonexistent-attnscope/x.npz"), "/nonexistent-attnscope/x.npz: no such file");
  EXPECT_EQ(errorOf(kSeeds.string() + "/../npz.npz"), kSeeds.string() + "/../npz.npz: no such file");
}

}  // namespace
}  // namespace attnscope
