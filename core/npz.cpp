// .npz reading through libzip (see npz.h). The archive is read into memory once (after a budget check) and opened
// from that buffer, so the fuzzer and the file reader run the same code.
#include "core/npz.h"

#include <zip.h>

#include <cctype>
#include <memory>
#include <set>

#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope {
namespace {

constexpr std::string_view kNpySuffix = ".npy";
constexpr double kDeflateMaximumRatio = 1032.0;

struct ArchiveCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct MemberCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

std::string zipErrorText(zip_error_t& error) {
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  // libzip says "Not a zip archive" / "Premature end of file"; messages here start in lower case like all others.
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::unique_ptr<zip_t, ArchiveCloser> openArchive(std::span<const std::byte> bytes, std::string_view source) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (buffer == nullptr)
    throw FileError(std::string(source) + ": cannot read the archive (" + zipErrorText(error) + ")");
  // ZIP_CHECKCONS: the central directory must agree with the local headers (a damaged or crafted archive is refused
  // here rather than half-read).
  zip_t* archive = zip_open_from_source(buffer, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    const int code = zip_error_code_zip(&error);
    const bool notZip = code == ZIP_ER_NOZIP;
    // ZIP_ER_EXISTS from the consistency check means two entries share a name ("file already exists" misleads).
    const std::string reason =
        code == ZIP_ER_EXISTS ? (zip_error_fini(&error), "two members have the same name") : zipErrorText(error);
    throw FileError(std::string(source) + (notZip
                                               ? ": not an .npz file, or a truncated one (no zip directory at its end)"
                                               : ": damaged .npz archive (" + reason + ")"));
  }
  return std::unique_ptr<zip_t, ArchiveCloser>(archive);
}

/// The member's bytes, exactly as many as its header declares (a longer or shorter stream is an error).
std::vector<std::byte> readMember(zip_t* archive, zip_uint64_t index, const zip_stat_t& stat,
                                  const std::string& where) {
  std::unique_ptr<zip_file_t, MemberCloser> file(zip_fopen_index(archive, index, 0));
  if (!file) throw FileError(where + ": cannot open (" + std::string(zip_strerror(archive)) + ")");
  std::vector<std::byte> bytes(static_cast<std::size_t>(stat.size));
  zip_uint64_t done = 0;
  while (done < stat.size) {
    const zip_int64_t n = zip_fread(file.get(), bytes.data() + done, stat.size - done);
    if (n < 0) throw FileError(where + ": damaged data (" + std::string(zip_file_strerror(file.get())) + ")");
    if (n == 0) break;
    done += static_cast<zip_uint64_t>(n);
  }
  if (done != stat.size)
    throw FileError(where + ": declares " + std::to_string(stat.size) + " bytes but holds " + std::to_string(done));
  // One more byte must not exist: the declared size is what the budget check saw.
  std::byte extra{};
  const zip_int64_t more = zip_fread(file.get(), &extra, 1);
  if (more != 0)
    throw FileError(where + (more < 0 ? ": damaged data (" + std::string(zip_file_strerror(file.get())) + ")"
                                      : ": holds more data than its declared " + std::to_string(stat.size) + " bytes"));
  return bytes;
}

/// Validate, then allocate: a member's declared inflated size is what readMember allocates, so it is checked against
/// the compressed bytes the archive really holds. A stored member inflates to exactly its stored bytes; deflate
/// expands at most 1032:1 (one 258-byte match per 2 bits, zlib's technical notes), so a 300-byte archive declaring a
/// 100 MiB member is refused before the 100 MiB exist, however large the memory budget.
void requireSizeMatchesStoredBytes(const zip_stat_t& stat, std::size_t archiveBytes, const std::string& where) {
  if (!(stat.valid & ZIP_STAT_COMP_SIZE)) return;
  if (stat.comp_size > archiveBytes)
    throw FileError(where + ": declares " + std::to_string(stat.comp_size) + " compressed bytes but the archive has " +
                    std::to_string(archiveBytes) + " (damaged archive)");
  const bool stored = (stat.valid & ZIP_STAT_COMP_METHOD) && stat.comp_method == ZIP_CM_STORE;
  if (stored && stat.size != stat.comp_size)
    throw FileError(where + ": declares " + std::to_string(stat.size) + " bytes but stores " +
                    std::to_string(stat.comp_size) + " (damaged archive)");
  if (!stored && static_cast<double>(stat.size) > kDeflateMaximumRatio * (static_cast<double>(stat.comp_size) + 1))
    throw FileError(where + ": declares " + std::to_string(stat.size) + " bytes inflated from " +
                    std::to_string(stat.comp_size) + " compressed bytes, more than deflate's maximum ratio of 1032:1 " +
                    "(damaged archive)");
}

}  // namespace

std::string npzMemberList(const std::vector<NpzMember>& members) {
  std::string text;
  for (std::size_t i = 0; i < members.size() && i < 12; ++i) text += (i ? ", " : "") + members[i].name;
  if (members.size() > 12) text += ", ... (" + std::to_string(members.size()) + " in all)";
  return text;
}

std::vector<NpzMember> parseNpz(std::span<const std::byte> bytes, std::string_view source) {
  const std::string origin(source);
  // libzip opens zero bytes as an archive without entries; say what the file really is.
  if (bytes.empty()) throw FileError(origin + ": the file is empty (0 bytes), not an .npz archive");
  auto archive = openArchive(bytes, source);
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count <= 0) throw FileError(origin + ": the .npz archive holds no arrays");

  // First every header: names, methods and the total declared size, before inflating anything.
  std::vector<zip_stat_t> stats(static_cast<std::size_t>(count));
  std::set<std::string> names;
  double declared = 0;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t& stat = stats[static_cast<std::size_t>(i)];
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &stat) != 0 || !(stat.valid & ZIP_STAT_NAME) ||
        !(stat.valid & ZIP_STAT_SIZE))
      throw FileError(origin + ": damaged .npz archive (entry " + std::to_string(i) + " has no readable header)");
    const std::string name = stat.name;
    const std::string where = origin + ": member '" + name + "'";
    if (name.size() <= kNpySuffix.size() ||
        name.compare(name.size() - kNpySuffix.size(), kNpySuffix.size(), kNpySuffix) != 0)
      throw FileError(where + " is not a .npy array (an .npz holds only NAME.npy members)");
    if (!names.insert(name).second) throw FileError(where + " appears twice");
    if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) && stat.encryption_method != ZIP_EM_NONE)
      throw FileError(where + " is encrypted");
    if ((stat.valid & ZIP_STAT_COMP_METHOD) && stat.comp_method != ZIP_CM_STORE && stat.comp_method != ZIP_CM_DEFLATE)
      throw FileError(where + " uses zip compression method " + std::to_string(stat.comp_method) +
                      " (NumPy writes stored or deflate members)");
    requireSizeMatchesStoredBytes(stat, bytes.size(), where);
    declared += static_cast<double>(stat.size);
  }
  // The raw bytes and the float32 values of every member live at once while parsing.
  requireWithinBudget(2 * declared,
                      origin + (count == 1 ? std::string(": the array the archive declares")
                                           : ": the " + std::to_string(count) + " arrays the archive declares"));

  std::vector<NpzMember> members;
  members.reserve(stats.size());
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const std::string name = stats[i].name;
    const std::string where = origin + ": member '" + name + "'";
    const std::vector<std::byte> data = readMember(archive.get(), i, stats[i], where);
    members.push_back({name.substr(0, name.size() - kNpySuffix.size()), parseNpy(data, where)});
  }
  return members;
}

std::vector<NpzMember> readNpz(const std::filesystem::path& path) {
  return parseNpz(readWholeFile(path, "an .npz file"), path.string());
}

RowMatrix readMatrixArgument(const std::string& argument, std::string_view preferredMember, std::string* label) {
  // "x.npz:name" names a member; a plain path (any suffix but .npz) is a .npy file, read as before.
  std::string path = argument, member;
  if (const std::size_t colon = argument.rfind(':'); colon != std::string::npos) {
    const std::string before = argument.substr(0, colon);
    if (before.size() > 4 && before.compare(before.size() - 4, 4, ".npz") == 0) {
      path = before;
      member = argument.substr(colon + 1);
    }
  }
  const bool archive = path.size() > 4 && path.compare(path.size() - 4, 4, ".npz") == 0;
  if (label) *label = path;
  if (!archive) return readNpyMatrix(path);

  std::vector<NpzMember> members = readNpz(path);
  const NpzMember* chosen = nullptr;
  const std::string wanted = member.empty() ? std::string(preferredMember) : member;
  for (const NpzMember& candidate : members)
    if (!chosen && !wanted.empty() && candidate.name == wanted) chosen = &candidate;
  // Without a name, an archive's only array is taken, unless its name says it is another role (q given to --k).
  const auto isRoleName = [](const std::string& name) {
    return name == "q" || name == "k" || name == "queries" || name == "keys" || name == "shifts";
  };
  if (!chosen && member.empty() && members.size() == 1 && !isRoleName(members.front().name)) chosen = &members.front();
  if (!chosen) {
    const std::string holds = path + " holds " + std::to_string(members.size()) +
                              (members.size() == 1 ? " array (" : " arrays (") + npzMemberList(members) + ")";
    if (!wanted.empty() && members.size() == 1) throw FileError(holds + ", none called '" + wanted + "'");
    if (!member.empty()) throw FileError(holds + ", none called '" + member + "'");
    throw FileError(holds + ": choose one as " + path + ":NAME");
  }
  if (label) *label = path + ":" + chosen->name;
  return npyMatrix(chosen->array, path + ":" + chosen->name);
}

}  // namespace attnscope
