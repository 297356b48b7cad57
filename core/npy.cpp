// .npy parsing and writing. The header is a Python dict literal; we accept exactly what NumPy writes (and the
// reasonable variations of spacing and key order other writers produce) and check every size against the data.
#include "core/npy.h"

#include <bit>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <system_error>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope {
namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw FileError(std::string(source) + ": " + problem);
}

/// A tiny cursor over the header dict text, enough for {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool consume(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c, const char* context) {
    if (!consume(c)) bad(std::string("expected '") + c + "' " + context);
  }
  std::string quoted() {
    skipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) bad("expected a quoted string");
    char quote = text_[pos_++];
    std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  bool boolean() {
    skipSpace();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad("expected True or False");
  }
  std::vector<std::size_t> shape() {
    expect('(', "to open the shape tuple");
    std::vector<std::size_t> dims;
    while (!consume(')')) {
      skipSpace();
      std::size_t start = pos_;
      std::uint64_t value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) bad("shape dimension too large");
        value = value * 10 + static_cast<std::uint64_t>(text_[pos_] - '0');
        ++pos_;
      }
      if (pos_ == start) bad("shape must be a tuple of non-negative integers");
      consume('L');  // Python 2 long suffix in old files
      dims.push_back(static_cast<std::size_t>(value));
      if (!consume(',')) {
        expect(')', "to close the shape tuple");
        break;
      }
    }
    return dims;
  }
  bool atEnd() {
    skipSpace();
    return pos_ >= text_.size();
  }
  [[noreturn]] void bad(const std::string& what) const {
    // The header is padded with spaces and ends in '\n': quote it without them so the message stays on one line.
    std::string_view shown = text_.substr(0, text_.find_last_not_of(" \n") + 1);
    fail(source_, "malformed .npy header (" + what + " at character " + std::to_string(pos_) + " of '" +
                      std::string(shown) + "')");
  }

 private:
  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

struct Descr {
  NpyDtype dtype;
  bool bigEndian;
};

Descr parseDescr(const std::string& descr, std::string_view source) {
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '>' || descr[0] == '=') && descr[1] == 'f') {
    bool big = descr[0] == '>' || (descr[0] == '=' && std::endian::native == std::endian::big);
    if (descr[2] == '4') return {NpyDtype::Float32, big};
    if (descr[2] == '8') return {NpyDtype::Float64, big};
  }
  fail(source, "unsupported dtype '" + descr + "' (attnscope reads float32 '<f4' and float64 '<f8'; convert with " +
                   "array.astype(numpy.float32))");
}

template <typename Bits>
Bits swapBytes(Bits bits) {
  Bits out = 0;
  for (std::size_t i = 0; i < sizeof(Bits); ++i) {
    out = static_cast<Bits>((out << 8) | (bits & 0xff));
    bits = static_cast<Bits>(bits >> 8);
  }
  return out;
}

template <typename T>
T loadValue(const std::byte* p, bool swap) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  Bits bits;
  std::memcpy(&bits, p, sizeof(T));
  if (swap) bits = swapBytes(bits);
  return std::bit_cast<T>(bits);
}

std::size_t checkedProduct(std::span<const std::size_t> shape, std::size_t elementSize, std::string_view source) {
  std::size_t count = 1;
  for (std::size_t dim : shape) {
    if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / elementSize / dim)
      fail(source, "shape is too large to address");
    count *= dim;
  }
  return count;
}

std::string shapeText(std::span<const std::size_t> shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) text += ",";
  return text + ")";
}

template <typename T>
std::vector<std::byte> serialize(std::span<const std::size_t> shape, std::span<const T> values) {
  std::size_t count = checkedProduct(shape, sizeof(T), "serializeNpy");
  if (count != values.size())
    throw InputError("cannot write .npy: shape " + shapeText(shape) + " holds " + std::to_string(count) +
                     " values but " + std::to_string(values.size()) + " were given");
  std::string dict = std::string("{'descr': '<f") + (sizeof(T) == 4 ? "4" : "8") +
                     "', 'fortran_order': False, 'shape': " + shapeText(shape) + ", }";
  // Total header (magic + version + length field + dict + padding + '\n') is a multiple of 64, as NumPy writes it.
  int version = 1;
  std::size_t prefix = 10;
  std::size_t unpadded = prefix + dict.size() + 1;
  std::size_t padded = (unpadded + 63) / 64 * 64;
  if (padded - prefix > 65535) {
    version = 2;
    prefix = 12;
    unpadded = prefix + dict.size() + 1;
    padded = (unpadded + 63) / 64 * 64;
  }
  dict.append(padded - unpadded, ' ');
  dict.push_back('\n');
  std::vector<std::byte> out(padded + count * sizeof(T));
  std::memcpy(out.data(), kMagic, 6);
  out[6] = std::byte(version);
  out[7] = std::byte(0);
  std::size_t headerLength = dict.size();
  for (std::size_t i = 0; i < prefix - 8; ++i) out[8 + i] = std::byte((headerLength >> (8 * i)) & 0xff);
  std::memcpy(out.data() + prefix, dict.data(), dict.size());
  std::byte* data = out.data() + padded;
  if constexpr (std::endian::native == std::endian::little) {
    if (count) std::memcpy(data, values.data(), count * sizeof(T));
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      auto bits = swapBytes(std::bit_cast<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(values[i]));
      std::memcpy(data + i * sizeof(T), &bits, sizeof(T));
    }
  }
  return out;
}

void writeBytes(const std::filesystem::path& path, const std::vector<std::byte>& bytes) {
  writeFileAtomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace

std::size_t NpyArray::elementCount() const {
  std::size_t count = 1;
  for (std::size_t dim : shape) count *= dim;
  return count;
}

NpyArray parseNpy(std::span<const std::byte> bytes, std::string_view source) {
  if (bytes.size() < 10) fail(source, "file is too short to be .npy (" + std::to_string(bytes.size()) + " bytes)");
  if (std::memcmp(bytes.data(), kMagic, 6) != 0) fail(source, "not a .npy file (wrong magic bytes)");
  int major = std::to_integer<int>(bytes[6]);
  int minor = std::to_integer<int>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    fail(source, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                     " (supported: 1.0, 2.0, 3.0)");
  std::size_t lengthBytes = major == 1 ? 2 : 4;
  std::size_t prefix = 8 + lengthBytes;
  if (bytes.size() < prefix) fail(source, "truncated .npy header length field");
  std::size_t headerLength = 0;
  for (std::size_t i = 0; i < lengthBytes; ++i) headerLength |= std::to_integer<std::size_t>(bytes[8 + i]) << (8 * i);
  if (headerLength > bytes.size() - prefix)
    fail(source, "truncated .npy header: it declares " + std::to_string(headerLength) + " bytes but the file has " +
                     std::to_string(bytes.size() - prefix) + " after offset " + std::to_string(prefix));
  std::string_view text(reinterpret_cast<const char*>(bytes.data() + prefix), headerLength);
  // Version 3.0 allows UTF-8 in the header; the fields we need are ASCII, so the same parser serves.
  HeaderParser parser(text, source);
  parser.expect('{', "to open the header dict");
  std::string descr;
  bool haveDescr = false, haveOrder = false, haveShape = false, fortran = false;
  std::vector<std::size_t> shape;
  while (!parser.consume('}')) {
    std::string key = parser.quoted();
    parser.expect(':', "after a key");
    if (key == "descr") {
      if (parser.consume('[')) fail(source, "structured dtypes are not supported (need a plain float32 or float64)");
      descr = parser.quoted();
      haveDescr = true;
    } else if (key == "fortran_order") {
      fortran = parser.boolean();
      haveOrder = true;
    } else if (key == "shape") {
      shape = parser.shape();
      haveShape = true;
    } else {
      parser.bad("unexpected key '" + key + "'");
    }
    if (!parser.consume(',')) {
      parser.expect('}', "to close the header dict");
      break;
    }
  }
  if (!parser.atEnd()) parser.bad("text after the header dict");
  if (!haveDescr || !haveOrder || !haveShape)
    fail(source, std::string("malformed .npy header: missing '") +
                     (!haveDescr   ? "descr"
                      : !haveOrder ? "fortran_order"
                                   : "shape") +
                     "'");
  if (fortran)
    fail(source, "array is stored in Fortran order; save it in C order (numpy.ascontiguousarray) before loading");
  Descr parsed = parseDescr(descr, source);
  std::size_t elementSize = parsed.dtype == NpyDtype::Float32 ? 4 : 8;
  std::size_t count = checkedProduct(shape, elementSize, source);
  std::size_t dataOffset = prefix + headerLength;
  std::size_t expected = count * elementSize;
  std::size_t available = bytes.size() - dataOffset;
  if (available < expected)
    fail(source, "truncated data: shape " + shapeText(shape) + " of '" + descr + "' needs " + std::to_string(expected) +
                     " bytes from offset " + std::to_string(dataOffset) + " but only " + std::to_string(available) +
                     " remain");
  if (available > expected)
    fail(source, std::to_string(available - expected) + " unexpected bytes after the data (shape " + shapeText(shape) +
                     " needs " + std::to_string(expected) + " bytes from offset " + std::to_string(dataOffset) + ")");

  requireWithinBudget(static_cast<double>(count) * sizeof(float),
                      std::string(source) + ": the float32 values of shape " + shapeText(shape));
  NpyArray array;
  array.shape = std::move(shape);
  array.storedAs = parsed.dtype;
  array.values.resize(count);
  const std::byte* data = bytes.data() + dataOffset;
  bool swap = parsed.bigEndian != (std::endian::native == std::endian::big);
  if (parsed.dtype == NpyDtype::Float32) {
    if (!swap) {
      if (count) std::memcpy(array.values.data(), data, expected);
    } else {
      for (std::size_t i = 0; i < count; ++i) array.values[i] = loadValue<float>(data + 4 * i, true);
    }
  } else {
    // float64 values beyond float32's range become +-Inf here; the kernels' finiteness check then names them.
    for (std::size_t i = 0; i < count; ++i) array.values[i] = static_cast<float>(loadValue<double>(data + 8 * i, swap));
  }
  return array;
}

std::vector<std::byte> readWholeFile(const std::filesystem::path& path, std::string_view expected) {
  // An ifstream opens a directory on Linux and then reports a size of 2^63: refuse it by name instead.
  std::error_code kindError;
  if (std::filesystem::is_directory(path, kindError))
    throw FileError(path.string() + ": is a directory, expected " + std::string(expected));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code error;
    bool exists = std::filesystem::exists(path, error);
    throw FileError(path.string() + ": " + (exists ? "cannot open for reading" : "no such file"));
  }
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) throw FileError(path.string() + ": cannot determine the file size");
  in.seekg(0, std::ios::beg);
  requireWithinBudget(static_cast<double>(size), "reading " + path.string());
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw FileError(path.string() + ": read failed");
  return bytes;
}

NpyArray readNpy(const std::filesystem::path& path) {
  return parseNpy(readWholeFile(path, "a .npy file"), path.string());
}

RowMatrix npyMatrix(const NpyArray& array, std::string_view source) {
  if (array.shape.size() != 2)
    throw FileError(std::string(source) + ": expected a 2-D array (rows x dimension), got shape " +
                    shapeText(array.shape) +
                    (array.shape.size() == 1 ? "; reshape a single vector with array.reshape(1, -1)" : ""));
  return Eigen::Map<const RowMatrix>(array.values.data(), static_cast<Eigen::Index>(array.shape[0]),
                                     static_cast<Eigen::Index>(array.shape[1]));
}

RowMatrix readNpyMatrix(const std::filesystem::path& path) {
  return npyMatrix(readNpy(path), path.string());
}

std::vector<std::byte> serializeNpy(std::span<const std::size_t> shape, std::span<const float> values) {
  return serialize(shape, values);
}
std::vector<std::byte> serializeNpy(std::span<const std::size_t> shape, std::span<const double> values) {
  return serialize(shape, values);
}

void writeNpy(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const float> values) {
  writeBytes(path, serialize(shape, values));
}
void writeNpy(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const double> values) {
  writeBytes(path, serialize(shape, values));
}

void writeNpyMatrix(const std::filesystem::path& path, const MatrixView& matrix) {
  std::size_t shape[2] = {static_cast<std::size_t>(matrix.rows()), static_cast<std::size_t>(matrix.cols())};
  // A Ref may have an outer stride (a block of a wider matrix): copy into contiguous storage when it does.
  if (matrix.outerStride() == matrix.cols() || matrix.rows() <= 1) {
    writeNpy(path, shape, std::span<const float>(matrix.data(), static_cast<std::size_t>(matrix.size())));
  } else {
    RowMatrix copy = matrix;
    writeNpy(path, shape, std::span<const float>(copy.data(), static_cast<std::size_t>(copy.size())));
  }
}

}  // namespace attnscope
