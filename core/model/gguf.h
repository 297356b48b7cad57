// GGUF files (llama.cpp / ggml, versions 1 to 3): a memory-mapped, bounds-checked reader of the metadata (every value
// type, nested arrays), the tensor infos and the tensor data, with dequantisation of the common ggml block formats
// to float. Opening validates the whole header and every tensor's byte range but touches no tensor data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::model {

/// Metadata value types, numbered as in the GGUF specification.
enum class GgufValueType : uint32_t {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
};

/// "UINT8", "STRING", ... ("type 13" for numbers the specification does not define).
std::string ggufValueTypeName(uint32_t type);

/// ggml tensor types attnscope dequantises, numbered as in ggml.h (the numbers are what a file stores).
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

/// ggml's name of a tensor type number ("Q4_K", "IQ2_XXS", ...; "type 99" for numbers ggml does not define).
std::string ggmlTypeName(uint32_t type);
/// True for the types of GgmlType (the ones dequantiseToFloat reads).
bool ggmlTypeSupported(uint32_t type);
/// Elements per block (1 for F32/F16/BF16, 32 for Q4_0..Q8_0, 256 for the K-quants) and bytes per block.
int64_t ggmlBlockElements(GgmlType type);
int64_t ggmlBlockBytes(GgmlType type);

/// Dequantises `elementCount` values (a whole number of blocks of `type`) from `data` (elementCount /
/// blockElements * blockBytes bytes, ggml's block layout) into `out` (elementCount floats). Throws InputError if
/// elementCount is not a multiple of the block size.
void dequantiseToFloat(GgmlType type, std::span<const std::byte> data, std::span<float> out);

/// One tensor of a GGUF file. `dims` are in ggml order: dims[0] is the row length (the innermost, contiguous
/// extent), so a PyTorch [out, in] weight is stored with dims {in, out}.
struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> dims;
  uint64_t offset = 0;  // relative to the start of the data section (a multiple of the alignment)
  uint64_t bytes = 0;   // storage size in the file
  int64_t elementCount() const;
  /// dims reversed, as PyTorch / NumPy would show the shape ([out, in] for a weight matrix).
  std::vector<int64_t> rowMajorShape() const;
};

struct GgufLimits {
  /// Deepest nesting of arrays inside arrays accepted (real files use 1; deeper nesting is refused rather than
  /// recursed into without bound).
  int maxArrayNesting = 8;
  /// Most dimensions of a tensor (ggml's GGML_MAX_DIMS).
  uint32_t maxDimensions = 4;
};

/// A read-only, memory-mapped, validated GGUF file of version 1, 2 or 3 (v1 stores counts and lengths in 32 bits,
/// v2 and v3 in 64). Construction walks the whole header: every key, value and nested array, every tensor info
/// (known and supported type, whole blocks per row, data range inside the file, alignment, no overlaps). Metadata
/// values are decoded from the mapping when asked for; tensor data is read only by readFloats. Throws FileError
/// naming the file and the problem, before allocating anything whose size comes from the file unchecked.
class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path, const GgufLimits& limits = {});
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;
  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;

  const std::filesystem::path& path() const;
  uint32_t version() const;
  /// general.alignment, or 32 when absent: tensor data offsets are multiples of it.
  uint64_t alignment() const;

  /// Metadata keys in file order.
  std::vector<std::string> keys() const;
  bool has(std::string_view key) const;
  /// The value type of `key` (FileError if missing); for arrays, arrayElementType / arraySize describe them.
  GgufValueType type(std::string_view key) const;
  GgufValueType arrayElementType(std::string_view key) const;
  uint64_t arraySize(std::string_view key) const;

  /// FileError if missing or not a string.
  std::string string(std::string_view key) const;
  std::optional<std::string> optionalString(std::string_view key) const;
  /// Any integer type (UINT64 above INT64's range is refused); FileError if missing or not an integer.
  int64_t integer(std::string_view key) const;
  std::optional<int64_t> optionalInteger(std::string_view key) const;
  /// FLOAT32 or FLOAT64 (integers are accepted too: some converters write whole numbers as integers).
  double real(std::string_view key) const;
  std::optional<double> optionalReal(std::string_view key) const;
  bool boolean(std::string_view key) const;
  /// Arrays of the named element kind; FileError if missing, not an array, or of another element type.
  std::vector<std::string> stringArray(std::string_view key) const;
  std::vector<float> floatArray(std::string_view key) const;      // FLOAT32 or FLOAT64 elements
  std::vector<int64_t> integerArray(std::string_view key) const;  // any integer or BOOL elements
  /// A short human-readable rendering for `model info` ("[STRING x 512]", "10000", "\"llama\"").
  std::string describeValue(std::string_view key) const;

  /// Tensors in file order.
  const std::vector<GgufTensorInfo>& tensors() const;
  const GgufTensorInfo* findTensor(std::string_view name) const;
  /// FileError naming the file and the tensor if absent.
  const GgufTensorInfo& tensor(std::string_view name) const;
  /// The tensor's bytes inside the mapping (valid while this object lives).
  std::span<const std::byte> rawData(const GgufTensorInfo& tensor) const;
  /// All elements converted to float in storage order (row-major over rowMajorShape()). Checks the memory budget
  /// first. Does not check finiteness (the model loaders do, naming the tensor).
  std::vector<float> readFloats(const GgufTensorInfo& tensor) const;

  struct Impl;  // opaque; named here so the parser's helpers in gguf.cpp can take it

 private:
  std::unique_ptr<Impl> impl_;
};

/// True if the file starts with the GGUF magic.
bool looksLikeGguf(const std::filesystem::path& path);

}  // namespace attnscope::model
