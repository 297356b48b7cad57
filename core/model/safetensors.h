// safetensors files (https://huggingface.co/docs/safetensors): a memory-mapped, bounds-checked reader that
// converts F32/F16/BF16 tensors to float on access, a sharded-model view (model.safetensors.index.json), and an
// atomic F32 writer. Opening a file reads only its header; tensor bytes are paged in when a tensor is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/types.h"

namespace attnscope::model {

/// Element types attnscope can convert to float. Files may hold other dtypes (listed by name, unreadable).
enum class SafetensorsDtype { F32, F16, BF16, Other };

/// One tensor entry of a safetensors header. `byteBegin`/`byteEnd` are relative to the data section.
struct SafetensorsEntry {
  std::string name;
  std::string dtypeName;  // as written in the header, e.g. "F32", "BF16", "I64"
  SafetensorsDtype dtype = SafetensorsDtype::Other;
  std::vector<int64_t> shape;
  uint64_t byteBegin = 0;
  uint64_t byteEnd = 0;
  int64_t elementCount() const;
};

struct SafetensorsLimits {
  /// Largest accepted JSON header; the format allows up to 100 MB and a lying size must not make us allocate more.
  uint64_t maxHeaderBytes = 100ull * 1024 * 1024;
};

/// A read-only, memory-mapped safetensors file. Construction parses and validates the whole header (every
/// dtype, shape and byte range checked against the data section, no overlaps) but touches no tensor data.
/// Throws FileError naming the file, the tensor and the offending offset or size.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path, const SafetensorsLimits& limits = {});
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;

  const std::filesystem::path& path() const;
  /// Entries in data-offset order.
  const std::vector<SafetensorsEntry>& entries() const;
  /// The header's "__metadata__" string map (empty if absent).
  const std::map<std::string, std::string>& metadata() const;
  bool contains(const std::string& name) const;
  /// Throws FileError if `name` is not in the file.
  const SafetensorsEntry& entry(const std::string& name) const;

  /// All elements of `name` converted to float, in storage (row-major) order. Throws FileError for dtypes
  /// other than F32/F16/BF16.
  std::vector<float> readFloats(const std::string& name) const;
  /// A rank-2 tensor as rows x cols (rank-1 tensors become 1 x n). Throws FileError for other ranks.
  RowMatrix readMatrix(const std::string& name) const;
  /// Raw bytes of a tensor inside the mapping (valid while this object lives).
  const std::byte* rawData(const SafetensorsEntry& entry) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A model split over one or more safetensors files: a single model.safetensors or the shards listed by
/// model.safetensors.index.json ("weight_map": tensor name -> shard file name).
class SafetensorsModelFiles {
 public:
  /// `path` is a .safetensors file, a model.safetensors.index.json, or a directory holding either.
  explicit SafetensorsModelFiles(const std::filesystem::path& path, const SafetensorsLimits& limits = {});
  bool contains(const std::string& name) const;
  const SafetensorsEntry& entry(const std::string& name) const;
  std::vector<float> readFloats(const std::string& name) const;
  RowMatrix readMatrix(const std::string& name) const;
  /// Every tensor of every shard, sorted by name.
  std::vector<SafetensorsEntry> entries() const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& shards() const { return shards_; }

 private:
  const SafetensorsFile& shardFor(const std::string& name) const;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, size_t> shardOfTensor_;
  std::filesystem::path description_;
};

/// One F32 tensor to write: `shape` must multiply out to values.size().
struct SafetensorsTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// Writes F32 tensors plus a `__metadata__` string map. The file is written to a temporary file in the same
/// folder and renamed over `path`, so readers never see a half-written file. The header is padded with spaces
/// to a multiple of 8 bytes, as the format recommends. Throws InputError for bad shapes or duplicate names,
/// FileError for I/O failures.
void writeSafetensors(const std::filesystem::path& path, const std::vector<SafetensorsTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// IEEE half and bfloat16 to float (exact conversions, including subnormals, Inf and NaN).
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

}  // namespace attnscope::model
