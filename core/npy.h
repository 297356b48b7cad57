// NumPy .npy files (format versions 1.0, 2.0, 3.0): how Q/K matrices enter and attention weights leave the CLI,
// and how model helpers store captured tensors. Every header field is checked against the file's length.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace attnscope {

/// Element types attnscope reads and writes (little- or big-endian on reading; little-endian on writing).
enum class NpyDtype { Float32, Float64 };

/// An n-D array in C (row-major) order, values converted to float32.
struct NpyArray {
  std::vector<std::size_t> shape;  // empty for a 0-D scalar
  std::vector<float> values;       // product(shape) values, C order
  NpyDtype storedAs = NpyDtype::Float32;

  std::size_t elementCount() const;
};

/// Parses .npy bytes; `source` names the origin (a file name) in error messages. Throws FileError on: wrong magic,
/// unknown version, truncated header or data, malformed header dict, fortran_order True, dtype other than
/// float32/float64 (message quotes it, e.g. '<i8'), trailing bytes, or shape/size overflow.
NpyArray parseNpy(std::span<const std::byte> bytes, std::string_view source);

/// The bytes of a whole file, read after its size passed the memory budget. Throws FileError naming the file when it
/// is missing, unreadable or a directory ("x: is a directory, expected <expected>", e.g. "a .npy file").
std::vector<std::byte> readWholeFile(const std::filesystem::path& path, std::string_view expected);

/// Reads a float32/float64 .npy file of any rank. Throws FileError naming the file.
NpyArray readNpy(const std::filesystem::path& path);

/// A 2-D array as a rows x cols matrix; other ranks throw FileError naming `source` (1-D: the message says to reshape).
RowMatrix npyMatrix(const NpyArray& array, std::string_view source);

/// Reads a 2-D .npy file as a rows x cols matrix (1-D arrays are refused: the message says to reshape).
RowMatrix readNpyMatrix(const std::filesystem::path& path);

/// Serialises values with `shape` (C order) as a version 1.0 .npy (2.0 if the header would not fit 65535 bytes).
std::vector<std::byte> serializeNpy(std::span<const std::size_t> shape, std::span<const float> values);
std::vector<std::byte> serializeNpy(std::span<const std::size_t> shape, std::span<const double> values);

/// Writes atomically: a temporary file in the same folder, then rename, so readers never see a half-written file.
/// Throws InputError if product(shape) != values.size(), FileError if the folder is not writable.
void writeNpy(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const float> values);
void writeNpy(const std::filesystem::path& path, std::span<const std::size_t> shape, std::span<const double> values);

/// Writes a rows x cols float32 matrix.
void writeNpyMatrix(const std::filesystem::path& path, const MatrixView& matrix);

}  // namespace attnscope
