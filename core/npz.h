// NumPy .npz archives (np.savez, np.savez_compressed): a zip file of .npy members, read through Debian's libzip.
// Every member is checked like a .npy file, and the sizes the archive declares are checked against the memory budget
// before anything is inflated, so a small archive cannot claim gigabytes.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/npy.h"
#include "core/types.h"

namespace attnscope {

/// One array of an archive: `name` is the member name without ".npy" (np.savez(f, q=Q) stores "q.npy" as "q").
struct NpzMember {
  std::string name;
  NpyArray array;
};

/// Parses .npz bytes; `source` names the origin in messages. Members come in archive order. Throws FileError
/// ("<source>: ...") for bytes that are not a zip archive or a damaged one, an empty archive, a member that is not a
/// .npy file, is encrypted, uses a compression method other than stored/deflate, has the same name as another, or
/// whose data disagree with its declared size or CRC; "<source>: member 'q.npy': ..." wraps a .npy error; and
/// ResourceError when the declared sizes exceed the memory budget.
std::vector<NpzMember> parseNpz(std::span<const std::byte> bytes, std::string_view source);

/// Member names for messages: "q, k", at most 12 and then how many in all.
std::string npzMemberList(const std::vector<NpzMember>& members);

/// Reads an .npz file. Throws FileError naming the file (missing, a directory, unreadable) or as parseNpz.
std::vector<NpzMember> readNpz(const std::filesystem::path& path);

/// A 2-D matrix from a command-line file argument, with the same messages as readNpyMatrix:
///   "x.npy"          a .npy file;
///   "x.npz:name"     member `name` of an archive;
///   "x.npz"          its member `preferredMember` (e.g. "q" for --q), or else the archive's only array unless that
///                    is named for another role (q, k, queries, keys, shifts: an archive of q alone is no --k).
/// `label`, when given, receives what later messages should call the matrix ("x.npy", "x.npz:q").
/// Throws FileError naming the archive and listing its members when the choice is missing or ambiguous.
RowMatrix readMatrixArgument(const std::string& argument, std::string_view preferredMember = {},
                             std::string* label = nullptr);

}  // namespace attnscope
