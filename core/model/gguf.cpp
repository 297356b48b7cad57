// GGUF reader: maps the file, walks the header once with every length checked against the bytes that remain, and
// dequantises ggml blocks (F16/BF16, Q4_0/Q4_1/Q5_0/Q5_1/Q8_0, Q4_K/Q5_K/Q6_K) to float on request.
#include "core/model/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/safetensors.h"

namespace attnscope::model {
namespace {

constexpr uint64_t kDefaultAlignment = 32;

std::string fileMessage(const std::filesystem::path& path, const std::string& what) {
  return "GGUF file '" + path.string() + "': " + what;
}

// Fixed byte size of a scalar value type; 0 for STRING and ARRAY (variable) and for undefined numbers.
uint64_t scalarSize(uint32_t type) {
  switch (static_cast<GgufValueType>(type)) {
    case GgufValueType::Uint8:
    case GgufValueType::Int8:
    case GgufValueType::Bool:
      return 1;
    case GgufValueType::Uint16:
    case GgufValueType::Int16:
      return 2;
    case GgufValueType::Uint32:
    case GgufValueType::Int32:
    case GgufValueType::Float32:
      return 4;
    case GgufValueType::Uint64:
    case GgufValueType::Int64:
    case GgufValueType::Float64:
      return 8;
    default:
      return 0;
  }
}

bool isIntegerType(GgufValueType type) {
  switch (type) {
    case GgufValueType::Uint8:
    case GgufValueType::Int8:
    case GgufValueType::Uint16:
    case GgufValueType::Int16:
    case GgufValueType::Uint32:
    case GgufValueType::Int32:
    case GgufValueType::Uint64:
    case GgufValueType::Int64:
      return true;
    default:
      return false;
  }
}

template <typename T>
T load(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;  // GGUF is little-endian, as is every machine attnscope builds for
}

uint16_t load16(const std::byte* at) {
  return load<uint16_t>(at);
}

// The numeric value of a scalar at `at`; `outOfRange` is set for UINT64 values above INT64_MAX.
int64_t integerAt(GgufValueType type, const std::byte* at, bool& outOfRange) {
  outOfRange = false;
  switch (type) {
    case GgufValueType::Uint8:
      return load<uint8_t>(at);
    case GgufValueType::Int8:
      return load<int8_t>(at);
    case GgufValueType::Uint16:
      return load<uint16_t>(at);
    case GgufValueType::Int16:
      return load<int16_t>(at);
    case GgufValueType::Uint32:
      return load<uint32_t>(at);
    case GgufValueType::Int32:
      return load<int32_t>(at);
    case GgufValueType::Int64:
      return load<int64_t>(at);
    case GgufValueType::Uint64: {
      const uint64_t value = load<uint64_t>(at);
      outOfRange = value > uint64_t(std::numeric_limits<int64_t>::max());
      return int64_t(value & uint64_t(std::numeric_limits<int64_t>::max()));
    }
    case GgufValueType::Bool:
      return load<uint8_t>(at) != 0;
    default:
      return 0;
  }
}

// ggml's type table: name, elements per block, bytes per block (0 bytes: a number ggml does not define).
struct TypeTraits {
  const char* name;
  int64_t blockElements;
  int64_t blockBytes;
};

TypeTraits typeTraits(uint32_t type) {
  static const std::map<uint32_t, TypeTraits> traits = {
      {0, {"F32", 1, 4}},         {1, {"F16", 1, 2}},         {2, {"Q4_0", 32, 18}},      {3, {"Q4_1", 32, 20}},
      {6, {"Q5_0", 32, 22}},      {7, {"Q5_1", 32, 24}},      {8, {"Q8_0", 32, 34}},      {9, {"Q8_1", 32, 36}},
      {10, {"Q2_K", 256, 84}},    {11, {"Q3_K", 256, 110}},   {12, {"Q4_K", 256, 144}},   {13, {"Q5_K", 256, 176}},
      {14, {"Q6_K", 256, 210}},   {15, {"Q8_K", 256, 292}},   {16, {"IQ2_XXS", 256, 66}}, {17, {"IQ2_XS", 256, 74}},
      {18, {"IQ3_XXS", 256, 98}}, {19, {"IQ1_S", 256, 50}},   {20, {"IQ4_NL", 32, 18}},   {21, {"IQ3_S", 256, 110}},
      {22, {"IQ2_S", 256, 82}},   {23, {"IQ4_XS", 256, 136}}, {24, {"I8", 1, 1}},         {25, {"I16", 1, 2}},
      {26, {"I32", 1, 4}},        {27, {"I64", 1, 8}},        {28, {"F64", 1, 8}},        {29, {"IQ1_M", 256, 56}},
      {30, {"BF16", 1, 2}},       {34, {"TQ1_0", 256, 54}},   {35, {"TQ2_0", 256, 66}},   {39, {"MXFP4", 32, 17}},
  };
  auto it = traits.find(type);
  return it == traits.end() ? TypeTraits{nullptr, 0, 0} : it->second;
}

std::string supportedTypeList() {
  return "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";
}

// --- dequantisation, one function per block layout (ggml-common.h). Products are rounded one at a time (the file
// is compiled with -ffp-contract=off) so results equal the NumPy reference in tests/reference/ bit for bit.

void dequantiseQ8_0(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  for (int i = 0; i < 32; ++i) out[i] = float(load<int8_t>(block + 2 + i)) * d;
}

// Q4_0: 16 bytes of nibbles; low nibbles are elements 0..15, high nibbles 16..31, offset by 8.
void dequantiseQ4_0(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  for (int i = 0; i < 16; ++i) {
    const uint8_t byte = load<uint8_t>(block + 2 + i);
    out[i] = float(int(byte & 0x0F) - 8) * d;
    out[i + 16] = float(int(byte >> 4) - 8) * d;
  }
}

void dequantiseQ4_1(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  const float m = halfToFloat(load16(block + 2));
  for (int i = 0; i < 16; ++i) {
    const uint8_t byte = load<uint8_t>(block + 4 + i);
    out[i] = float(byte & 0x0F) * d + m;
    out[i + 16] = float(byte >> 4) * d + m;
  }
}

// Q5_0/Q5_1: a 32-bit field holds the fifth bit of every element (bit i for element i).
void dequantiseQ5_0(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  const uint32_t high = load<uint32_t>(block + 2);
  for (int i = 0; i < 16; ++i) {
    const uint8_t byte = load<uint8_t>(block + 6 + i);
    const int low = int(byte & 0x0F) | int(((high >> i) & 1u) << 4);
    const int upper = int(byte >> 4) | int(((high >> (i + 16)) & 1u) << 4);
    out[i] = float(low - 16) * d;
    out[i + 16] = float(upper - 16) * d;
  }
}

void dequantiseQ5_1(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  const float m = halfToFloat(load16(block + 2));
  const uint32_t high = load<uint32_t>(block + 4);
  for (int i = 0; i < 16; ++i) {
    const uint8_t byte = load<uint8_t>(block + 8 + i);
    const int low = int(byte & 0x0F) | int(((high >> i) & 1u) << 4);
    const int upper = int(byte >> 4) | int(((high >> (i + 16)) & 1u) << 4);
    out[i] = float(low) * d + m;
    out[i + 16] = float(upper) * d + m;
  }
}

// The 12 scale bytes of Q4_K/Q5_K pack eight 6-bit scales and eight 6-bit mins (ggml's get_scale_min_k4).
void scaleAndMin(int j, const std::byte* scales, int& scale, int& min) {
  auto s = [scales](int k) { return int(load<uint8_t>(scales + k)); };
  if (j < 4) {
    scale = s(j) & 63;
    min = s(j + 4) & 63;
  } else {
    scale = (s(j + 4) & 0x0F) | ((s(j - 4) >> 6) << 4);
    min = (s(j + 4) >> 4) | ((s(j) >> 6) << 4);
  }
}

// Q4_K: d, dmin (f16), scales[12], qs[128]; eight sub-blocks of 32, each pair of sub-blocks sharing 32 bytes of qs
// (low nibbles first).
void dequantiseQ4_K(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  const float dmin = halfToFloat(load16(block + 2));
  const std::byte* scales = block + 4;
  const std::byte* quants = block + 16;
  for (int pair = 0; pair < 4; ++pair) {
    int scale0, min0, scale1, min1;
    scaleAndMin(2 * pair, scales, scale0, min0);
    scaleAndMin(2 * pair + 1, scales, scale1, min1);
    const float d0 = d * float(scale0), m0 = dmin * float(min0);
    const float d1 = d * float(scale1), m1 = dmin * float(min1);
    for (int i = 0; i < 32; ++i) {
      const uint8_t byte = load<uint8_t>(quants + 32 * pair + i);
      out[64 * pair + i] = d0 * float(byte & 0x0F) - m0;
      out[64 * pair + 32 + i] = d1 * float(byte >> 4) - m1;
    }
  }
}

// Q5_K: as Q4_K plus qh[32]; bit 2*pair of qh[i] is the fifth bit of the low-nibble element, bit 2*pair+1 of the
// high-nibble one.
void dequantiseQ5_K(const std::byte* block, float* out) {
  const float d = halfToFloat(load16(block));
  const float dmin = halfToFloat(load16(block + 2));
  const std::byte* scales = block + 4;
  const std::byte* high = block + 16;
  const std::byte* quants = block + 48;
  for (int pair = 0; pair < 4; ++pair) {
    int scale0, min0, scale1, min1;
    scaleAndMin(2 * pair, scales, scale0, min0);
    scaleAndMin(2 * pair + 1, scales, scale1, min1);
    const float d0 = d * float(scale0), m0 = dmin * float(min0);
    const float d1 = d * float(scale1), m1 = dmin * float(min1);
    for (int i = 0; i < 32; ++i) {
      const uint8_t byte = load<uint8_t>(quants + 32 * pair + i);
      const uint8_t bits = load<uint8_t>(high + i);
      const int low = int(byte & 0x0F) + (((bits >> (2 * pair)) & 1) ? 16 : 0);
      const int upper = int(byte >> 4) + (((bits >> (2 * pair + 1)) & 1) ? 16 : 0);
      out[64 * pair + i] = d0 * float(low) - m0;
      out[64 * pair + 32 + i] = d1 * float(upper) - m1;
    }
  }
}

// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16] (one per 16 elements), f16 d last. Each half of
// 128 elements uses 64 bytes of ql, 32 of qh and 8 scales.
void dequantiseQ6_K(const std::byte* block, float* out) {
  const std::byte* lowBits = block;
  const std::byte* highBits = block + 128;
  const std::byte* scales = block + 192;
  const float d = halfToFloat(load16(block + 208));
  for (int half = 0; half < 2; ++half) {
    const std::byte* ql = lowBits + 64 * half;
    const std::byte* qh = highBits + 32 * half;
    const std::byte* sc = scales + 8 * half;
    float* y = out + 128 * half;
    for (int i = 0; i < 32; ++i) {
      const int group = i / 16;
      const int lowA = load<uint8_t>(ql + i), lowB = load<uint8_t>(ql + i + 32);
      const int h = load<uint8_t>(qh + i);
      const int q0 = ((lowA & 0x0F) | (((h >> 0) & 3) << 4)) - 32;
      const int q1 = ((lowB & 0x0F) | (((h >> 2) & 3) << 4)) - 32;
      const int q2 = ((lowA >> 4) | (((h >> 4) & 3) << 4)) - 32;
      const int q3 = ((lowB >> 4) | (((h >> 6) & 3) << 4)) - 32;
      y[i] = d * float(load<int8_t>(sc + group)) * float(q0);
      y[i + 32] = d * float(load<int8_t>(sc + group + 2)) * float(q1);
      y[i + 64] = d * float(load<int8_t>(sc + group + 4)) * float(q2);
      y[i + 96] = d * float(load<int8_t>(sc + group + 6)) * float(q3);
    }
  }
}

}  // namespace

std::string ggufValueTypeName(uint32_t type) {
  static const std::array<const char*, 13> names = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                                    "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                                    "UINT64", "INT64",   "FLOAT64"};
  return type < names.size() ? names[type] : "type " + std::to_string(type);
}

std::string ggmlTypeName(uint32_t type) {
  const TypeTraits traits = typeTraits(type);
  return traits.name != nullptr ? traits.name : "type " + std::to_string(type);
}

bool ggmlTypeSupported(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return true;
  }
  return false;
}

int64_t ggmlBlockElements(GgmlType type) {
  return typeTraits(uint32_t(type)).blockElements;
}

int64_t ggmlBlockBytes(GgmlType type) {
  return typeTraits(uint32_t(type)).blockBytes;
}

void dequantiseToFloat(GgmlType type, std::span<const std::byte> data, std::span<float> out) {
  if (!ggmlTypeSupported(uint32_t(type)))
    throw InputError("cannot dequantise ggml type " + ggmlTypeName(uint32_t(type)));
  const int64_t blockElements = ggmlBlockElements(type), blockBytes = ggmlBlockBytes(type);
  const int64_t count = int64_t(out.size());
  if (count % blockElements != 0)
    throw InputError(std::to_string(count) + " elements are not a whole number of " + ggmlTypeName(uint32_t(type)) +
                     " blocks of " + std::to_string(blockElements));
  const int64_t blocks = count / blockElements;
  if (int64_t(data.size()) != blocks * blockBytes)
    throw InputError(std::to_string(data.size()) + " bytes given for " + std::to_string(blocks) + " " +
                     ggmlTypeName(uint32_t(type)) + " blocks of " + std::to_string(blockBytes) + " bytes");
  const std::byte* in = data.data();
  float* y = out.data();
  for (int64_t b = 0; b < blocks; ++b, in += blockBytes, y += blockElements) {
    switch (type) {
      case GgmlType::F32:
        *y = load<float>(in);
        break;
      case GgmlType::F16:
        *y = halfToFloat(load16(in));
        break;
      case GgmlType::BF16:
        *y = bfloat16ToFloat(load16(in));
        break;
      case GgmlType::Q8_0:
        dequantiseQ8_0(in, y);
        break;
      case GgmlType::Q4_0:
        dequantiseQ4_0(in, y);
        break;
      case GgmlType::Q4_1:
        dequantiseQ4_1(in, y);
        break;
      case GgmlType::Q5_0:
        dequantiseQ5_0(in, y);
        break;
      case GgmlType::Q5_1:
        dequantiseQ5_1(in, y);
        break;
      case GgmlType::Q4_K:
        dequantiseQ4_K(in, y);
        break;
      case GgmlType::Q5_K:
        dequantiseQ5_K(in, y);
        break;
      case GgmlType::Q6_K:
        dequantiseQ6_K(in, y);
        break;
    }
  }
}

int64_t GgufTensorInfo::elementCount() const {
  int64_t count = 1;
  for (int64_t extent : dims) count *= extent;
  return count;
}

std::vector<int64_t> GgufTensorInfo::rowMajorShape() const {
  return std::vector<int64_t>(dims.rbegin(), dims.rend());
}

namespace {

// Where a metadata value lives in the mapping (decoded on demand).
struct ValueRef {
  GgufValueType type = GgufValueType::Uint8;
  uint64_t offset = 0;  // of the value (for arrays: of the first element, after element type and count)
  GgufValueType elementType = GgufValueType::Uint8;  // arrays only
  uint64_t count = 0;                                // arrays only
};

}  // namespace

struct GgufFile::Impl {
  std::filesystem::path path;
  int fd = -1;
  void* mapping = nullptr;
  uint64_t fileSize = 0;
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t dataStart = 0;
  std::vector<std::pair<std::string, ValueRef>> metadata;  // file order
  std::map<std::string, size_t, std::less<>> keyIndex;
  std::vector<GgufTensorInfo> tensors;
  std::map<std::string, size_t, std::less<>> tensorIndex;

  ~Impl() {
    if (mapping != nullptr && mapping != MAP_FAILED) munmap(mapping, fileSize);
    if (fd >= 0) close(fd);
  }

  const std::byte* bytes() const { return static_cast<const std::byte*>(mapping); }
  bool wide() const { return version >= 2; }  // v1: 32-bit counts and lengths

  [[noreturn]] void fail(const std::string& what) const { throw FileError(fileMessage(path, what)); }

  const ValueRef& find(std::string_view key) const {
    auto it = keyIndex.find(key);
    if (it == keyIndex.end()) fail("metadata key '" + std::string(key) + "' is missing");
    return metadata[it->second].second;
  }
  const ValueRef* tryFind(std::string_view key) const {
    auto it = keyIndex.find(key);
    return it == keyIndex.end() ? nullptr : &metadata[it->second].second;
  }

  // A string at `offset` (length already validated by the walk); returns the offset after it.
  std::string stringAt(uint64_t offset, uint64_t* next = nullptr) const {
    const uint64_t length = wide() ? load<uint64_t>(bytes() + offset) : load<uint32_t>(bytes() + offset);
    const uint64_t begin = offset + (wide() ? 8 : 4);
    if (next != nullptr) *next = begin + length;
    return std::string(reinterpret_cast<const char*>(bytes()) + begin, length);
  }
};

namespace {

// Sequential reader over the header with every read checked against the file size.
class HeaderCursor {
 public:
  HeaderCursor(const GgufFile::Impl& file) : file_(file) {}

  uint64_t offset() const { return offset_; }
  void need(uint64_t bytes, const std::string& what) const {
    if (bytes > file_.fileSize - offset_)
      file_.fail(what + " at offset " + std::to_string(offset_) + " needs " + std::to_string(bytes) +
                 " bytes but the file ends at " + std::to_string(file_.fileSize) + " (truncated?)");
  }
  void skip(uint64_t bytes, const std::string& what) {
    need(bytes, what);
    offset_ += bytes;
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T value = load<T>(file_.bytes() + offset_);
    offset_ += sizeof(T);
    return value;
  }
  // A count or length: 32 bits in v1, 64 in v2/v3.
  uint64_t readCount(const std::string& what) { return file_.wide() ? read<uint64_t>(what) : read<uint32_t>(what); }
  std::string readString(const std::string& what) {
    const uint64_t length = readCount(what + " length");
    need(length, what);
    std::string text(reinterpret_cast<const char*>(file_.bytes()) + offset_, length);
    offset_ += length;
    return text;
  }
  void skipString(const std::string& what) {
    const uint64_t length = readCount(what + " length");
    skip(length, what);
  }

 private:
  const GgufFile::Impl& file_;
  uint64_t offset_ = 0;
};

// Walks one value of `type` (already read) and returns nothing; arrays recurse up to the nesting limit. Fixed-size
// element arrays are skipped in one bounds check, so a claimed count of 2^60 fails before any loop.
void walkValue(HeaderCursor& cursor, const GgufFile::Impl& file, uint32_t type, const std::string& key, int depth,
               const GgufLimits& limits) {
  const std::string where = "metadata '" + key + "'";
  if (type == uint32_t(GgufValueType::String)) {
    cursor.skipString(where + " string");
    return;
  }
  if (type == uint32_t(GgufValueType::Array)) {
    if (depth >= limits.maxArrayNesting)
      file.fail(where + ": arrays nested deeper than " + std::to_string(limits.maxArrayNesting) + " levels");
    const uint32_t elementType = cursor.read<uint32_t>(where + " array element type");
    if (elementType > uint32_t(GgufValueType::Float64))
      file.fail(where + ": unknown array element type " + std::to_string(elementType));
    const uint64_t count = cursor.readCount(where + " array length");
    const uint64_t size = scalarSize(elementType);
    if (size != 0) {
      if (count > (file.fileSize - cursor.offset()) / size)
        file.fail(where + ": array of " + std::to_string(count) + " " + ggufValueTypeName(elementType) +
                  " runs past the end of the " + std::to_string(file.fileSize) + "-byte file (truncated?)");
      cursor.skip(count * size, where + " array");
      return;
    }
    for (uint64_t i = 0; i < count; ++i) walkValue(cursor, file, elementType, key, depth + 1, limits);
    return;
  }
  const uint64_t size = scalarSize(type);
  if (size == 0) file.fail(where + ": unknown value type " + std::to_string(type));
  cursor.skip(size, where + " " + ggufValueTypeName(type));
}

}  // namespace

GgufFile::GgufFile(const std::filesystem::path& path, const GgufLimits& limits) : impl_(std::make_unique<Impl>()) {
  Impl& file = *impl_;
  file.path = path;
  file.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) file.fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat status {};
  if (fstat(file.fd, &status) != 0 || !S_ISREG(status.st_mode)) file.fail("not a regular file");
  file.fileSize = uint64_t(status.st_size);
  if (file.fileSize < 8)
    file.fail("file is " + std::to_string(file.fileSize) + " bytes, too short for the magic and version");
  // Map read-only: the kernel pages in only what is touched, so a multi-GB model costs nothing until read.
  file.mapping = mmap(nullptr, file.fileSize, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (file.mapping == MAP_FAILED) file.fail(std::string("mmap failed: ") + std::strerror(errno));

  if (std::memcmp(file.bytes(), "GGUF", 4) != 0) file.fail("no GGUF magic (the file does not start with \"GGUF\")");
  HeaderCursor cursor(file);
  cursor.skip(4, "magic");
  file.version = cursor.read<uint32_t>("version");
  if (file.version < 1 || file.version > 3)
    file.fail("GGUF version " + std::to_string(file.version) + " is not supported (versions 1, 2 and 3 are)");
  const uint64_t tensorCount = cursor.readCount("tensor count");
  const uint64_t keyCount = cursor.readCount("metadata key count");

  // Every key/value needs at least a length, a type and one byte-sized value: a larger claimed count cannot fit.
  const uint64_t countBytes = file.wide() ? 8 : 4;
  if (keyCount > (file.fileSize - cursor.offset()) / (countBytes + 4 + 1))
    file.fail("header claims " + std::to_string(keyCount) + " metadata keys, more than the " +
              std::to_string(file.fileSize) + "-byte file can hold (corrupt?)");
  for (uint64_t k = 0; k < keyCount; ++k) {
    const std::string key = cursor.readString("metadata key " + std::to_string(k));
    const uint32_t type = cursor.read<uint32_t>("type of metadata '" + key + "'");
    ValueRef ref;
    if (type > uint32_t(GgufValueType::Float64))
      file.fail("metadata '" + key + "': unknown value type " + std::to_string(type));
    ref.type = GgufValueType(type);
    if (ref.type == GgufValueType::Array) {
      // Peek the element type and count; walkValue validates and skips the whole array.
      cursor.need(4 + countBytes, "metadata '" + key + "' array header");
      ref.elementType = GgufValueType(load<uint32_t>(file.bytes() + cursor.offset()));
      ref.count = file.wide() ? load<uint64_t>(file.bytes() + cursor.offset() + 4)
                              : load<uint32_t>(file.bytes() + cursor.offset() + 4);
      ref.offset = cursor.offset() + 4 + countBytes;
    } else {
      ref.offset = cursor.offset();
    }
    walkValue(cursor, file, type, key, 0, limits);
    if (file.keyIndex.count(key) != 0) file.fail("metadata key '" + key + "' appears twice");
    file.keyIndex.emplace(key, file.metadata.size());
    file.metadata.emplace_back(key, ref);
  }

  if (const ValueRef* alignment = file.tryFind("general.alignment")) {
    bool outOfRange = false;
    const int64_t value =
        isIntegerType(alignment->type) ? integerAt(alignment->type, file.bytes() + alignment->offset, outOfRange) : -1;
    if (outOfRange || value <= 0 || value > (1 << 30) || (value & (value - 1)) != 0)
      file.fail("general.alignment must be a power of two integer (at most 2^30), not " +
                describeValue("general.alignment"));
    file.alignment = uint64_t(value);
  }

  // Each tensor info needs at least a name length, n_dims, type and offset.
  const uint64_t minimumInfo = countBytes + 4 + 4 + 8;
  if (tensorCount > (file.fileSize - cursor.offset()) / minimumInfo)
    file.fail("header claims " + std::to_string(tensorCount) + " tensors, more than the " +
              std::to_string(file.fileSize) + "-byte file can hold (corrupt?)");
  file.tensors.reserve(tensorCount);
  for (uint64_t t = 0; t < tensorCount; ++t) {
    GgufTensorInfo info;
    info.name = cursor.readString("name of tensor " + std::to_string(t));
    const std::string where = "tensor '" + info.name + "'";
    const uint32_t dimensions = cursor.read<uint32_t>(where + " dimension count");
    if (dimensions > limits.maxDimensions)
      file.fail(where + " has " + std::to_string(dimensions) + " dimensions; ggml allows at most " +
                std::to_string(limits.maxDimensions));
    uint64_t elements = 1;
    for (uint32_t d = 0; d < dimensions; ++d) {
      const uint64_t extent = cursor.readCount(where + " dimension " + std::to_string(d));
      if (extent > uint64_t(std::numeric_limits<int64_t>::max()) ||
          (extent != 0 && elements > uint64_t(std::numeric_limits<int64_t>::max()) / extent))
        file.fail(where + ": the shape's element count overflows 64 bits");
      elements *= extent;
      info.dims.push_back(int64_t(extent));
    }
    const uint32_t type = cursor.read<uint32_t>(where + " type");
    info.offset = cursor.read<uint64_t>(where + " data offset");
    if (typeTraits(type).name == nullptr)
      file.fail(where + " has ggml type number " + std::to_string(type) + ", which ggml does not define (corrupt?)");
    if (!ggmlTypeSupported(type))
      file.fail(where + " has ggml type " + ggmlTypeName(type) +
                ", which attnscope cannot read (supported: " + supportedTypeList() + ")");
    info.type = GgmlType(type);
    const int64_t blockElements = ggmlBlockElements(info.type);
    const int64_t rowLength = info.dims.empty() ? 1 : info.dims[0];
    // ggml stores quantised rows as whole blocks and refuses other row lengths; a "flat" layout running blocks
    // across rows would put one block in two rows, which no ggml tool writes, so it is refused too.
    if (rowLength % blockElements != 0)
      file.fail(where + " (" + ggmlTypeName(type) + ") has rows of " + std::to_string(rowLength) +
                " elements, not a whole number of " + std::to_string(blockElements) + "-element blocks");
    const uint64_t blocks = elements / uint64_t(blockElements);
    if (blocks > std::numeric_limits<uint64_t>::max() / uint64_t(ggmlBlockBytes(info.type)))
      file.fail(where + ": the byte size overflows 64 bits");
    info.bytes = blocks * uint64_t(ggmlBlockBytes(info.type));
    if (info.offset % file.alignment != 0)
      file.fail(where + " data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                std::to_string(file.alignment));
    if (file.tensorIndex.count(info.name) != 0) file.fail("tensor '" + info.name + "' appears twice");
    file.tensorIndex.emplace(info.name, file.tensors.size());
    file.tensors.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment after the header.
  const uint64_t headerEnd = cursor.offset();
  file.dataStart = (headerEnd + file.alignment - 1) / file.alignment * file.alignment;
  if (!file.tensors.empty() && file.dataStart > file.fileSize)
    file.fail("the data section would start at offset " + std::to_string(file.dataStart) + ", past the end of the " +
              std::to_string(file.fileSize) + "-byte file (truncated?)");
  const uint64_t dataSize = file.fileSize - std::min(file.dataStart, file.fileSize);
  std::vector<const GgufTensorInfo*> byOffset;
  for (const GgufTensorInfo& info : file.tensors) {
    if (info.offset > dataSize || info.bytes > dataSize - info.offset)
      file.fail("tensor '" + info.name + "' data [" + std::to_string(info.offset) + ", +" + std::to_string(info.bytes) +
                ") runs past the end of the " + std::to_string(dataSize) + "-byte data section (truncated?)");
    byOffset.push_back(&info);
  }
  std::sort(byOffset.begin(), byOffset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->offset + byOffset[i - 1]->bytes > byOffset[i]->offset)
      file.fail("tensors '" + byOffset[i - 1]->name + "' and '" + byOffset[i]->name + "' overlap in the data section");
}

GgufFile::~GgufFile() = default;
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;

const std::filesystem::path& GgufFile::path() const {
  return impl_->path;
}
uint32_t GgufFile::version() const {
  return impl_->version;
}
uint64_t GgufFile::alignment() const {
  return impl_->alignment;
}

std::vector<std::string> GgufFile::keys() const {
  std::vector<std::string> names;
  for (const auto& [key, ref] : impl_->metadata) names.push_back(key);
  return names;
}

bool GgufFile::has(std::string_view key) const {
  return impl_->tryFind(key) != nullptr;
}

GgufValueType GgufFile::type(std::string_view key) const {
  return impl_->find(key).type;
}

GgufValueType GgufFile::arrayElementType(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::Array) impl_->fail("metadata '" + std::string(key) + "' is not an array");
  return ref.elementType;
}

uint64_t GgufFile::arraySize(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::Array) impl_->fail("metadata '" + std::string(key) + "' is not an array");
  return ref.count;
}

std::string GgufFile::string(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::String)
    impl_->fail("metadata '" + std::string(key) + "' is " + ggufValueTypeName(uint32_t(ref.type)) + ", not a string");
  return impl_->stringAt(ref.offset);
}

std::optional<std::string> GgufFile::optionalString(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return string(key);
}

int64_t GgufFile::integer(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (!isIntegerType(ref.type))
    impl_->fail("metadata '" + std::string(key) + "' is " + ggufValueTypeName(uint32_t(ref.type)) + ", not an integer");
  bool outOfRange = false;
  const int64_t value = integerAt(ref.type, impl_->bytes() + ref.offset, outOfRange);
  if (outOfRange) impl_->fail("metadata '" + std::string(key) + "' is a UINT64 above the INT64 range");
  return value;
}

std::optional<int64_t> GgufFile::optionalInteger(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return integer(key);
}

double GgufFile::real(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type == GgufValueType::Float32) return load<float>(impl_->bytes() + ref.offset);
  if (ref.type == GgufValueType::Float64) return load<double>(impl_->bytes() + ref.offset);
  if (isIntegerType(ref.type)) return double(integer(key));
  impl_->fail("metadata '" + std::string(key) + "' is " + ggufValueTypeName(uint32_t(ref.type)) + ", not a number");
}

std::optional<double> GgufFile::optionalReal(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return real(key);
}

bool GgufFile::boolean(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::Bool)
    impl_->fail("metadata '" + std::string(key) + "' is " + ggufValueTypeName(uint32_t(ref.type)) + ", not a bool");
  return load<uint8_t>(impl_->bytes() + ref.offset) != 0;
}

std::vector<std::string> GgufFile::stringArray(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::Array || ref.elementType != GgufValueType::String)
    impl_->fail("metadata '" + std::string(key) + "' is not an array of strings");
  // Each string costs at least its length field in the file, so count is bounded by the file size (checked by
  // the walk); the vector cannot be larger than a few times the file.
  std::vector<std::string> values;
  values.reserve(ref.count);
  uint64_t offset = ref.offset;
  for (uint64_t i = 0; i < ref.count; ++i) values.push_back(impl_->stringAt(offset, &offset));
  return values;
}

std::vector<float> GgufFile::floatArray(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::Array ||
      (ref.elementType != GgufValueType::Float32 && ref.elementType != GgufValueType::Float64))
    impl_->fail("metadata '" + std::string(key) + "' is not an array of FLOAT32 or FLOAT64");
  const uint64_t size = scalarSize(uint32_t(ref.elementType));
  std::vector<float> values(ref.count);  // count * size bytes are present in the file (checked by the walk)
  for (uint64_t i = 0; i < ref.count; ++i) {
    const std::byte* at = impl_->bytes() + ref.offset + i * size;
    values[i] = ref.elementType == GgufValueType::Float32 ? load<float>(at) : float(load<double>(at));
  }
  return values;
}

std::vector<int64_t> GgufFile::integerArray(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  if (ref.type != GgufValueType::Array || (!isIntegerType(ref.elementType) && ref.elementType != GgufValueType::Bool))
    impl_->fail("metadata '" + std::string(key) + "' is not an array of integers");
  const uint64_t size = scalarSize(uint32_t(ref.elementType));
  std::vector<int64_t> values(ref.count);
  for (uint64_t i = 0; i < ref.count; ++i) {
    bool outOfRange = false;
    values[i] = integerAt(ref.elementType, impl_->bytes() + ref.offset + i * size, outOfRange);
    if (outOfRange)
      impl_->fail("metadata '" + std::string(key) + "' element " + std::to_string(i) + " is above the INT64 range");
  }
  return values;
}

std::string GgufFile::describeValue(std::string_view key) const {
  const ValueRef& ref = impl_->find(key);
  switch (ref.type) {
    case GgufValueType::String: {
      std::string text = impl_->stringAt(ref.offset);
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      return "\"" + text + "\"";
    }
    case GgufValueType::Array:
      return "[" + ggufValueTypeName(uint32_t(ref.elementType)) + " x " + std::to_string(ref.count) + "]";
    case GgufValueType::Float32:
    case GgufValueType::Float64: {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%g", real(key));
      return buffer;
    }
    case GgufValueType::Bool:
      return boolean(key) ? "true" : "false";
    case GgufValueType::Uint64:
      return std::to_string(load<uint64_t>(impl_->bytes() + ref.offset));
    default:
      return std::to_string(integer(key));
  }
}

const std::vector<GgufTensorInfo>& GgufFile::tensors() const {
  return impl_->tensors;
}

const GgufTensorInfo* GgufFile::findTensor(std::string_view name) const {
  auto it = impl_->tensorIndex.find(name);
  return it == impl_->tensorIndex.end() ? nullptr : &impl_->tensors[it->second];
}

const GgufTensorInfo& GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* info = findTensor(name);
  if (info == nullptr) impl_->fail("tensor '" + std::string(name) + "' is missing");
  return *info;
}

std::span<const std::byte> GgufFile::rawData(const GgufTensorInfo& tensor) const {
  return {impl_->bytes() + impl_->dataStart + tensor.offset, size_t(tensor.bytes)};
}

std::vector<float> GgufFile::readFloats(const GgufTensorInfo& tensor) const {
  const int64_t count = tensor.elementCount();
  requireWithinBudget(double(count) * sizeof(float), fileMessage(impl_->path, "tensor '" + tensor.name + "'"));
  std::vector<float> values(static_cast<size_t>(count));
  dequantiseToFloat(tensor.type, rawData(tensor), values);
  return values;
}

bool looksLikeGguf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace attnscope::model
