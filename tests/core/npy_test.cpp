// Tests of core/npy.cpp: round trips, the exact bytes NumPy writes, and every malformed-file message.
#include "core/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"

using namespace std::string_literals;

namespace attnscope {
namespace {

std::vector<std::byte> bytesOf(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

/// A .npy file as NumPy 1.x writes np.array([[1, 2, 3], [4, 5, 6]], dtype=<dtype>) with version `version`.
std::string npyFile(const std::string& dict, int version, const std::string& data) {
  std::string header = dict;
  std::size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY"s;
  out += static_cast<char>(version);
  out += '\0';
  std::size_t length = header.size();
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((length >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string floatData(std::initializer_list<float> values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

std::string doubleData(std::initializer_list<double> values) {
  std::string out(values.size() * 8, '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

const std::string kDict23f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

std::string parseError(const std::string& file) {
  try {
    parseNpy(bytesOf(file), "in.npy");
  } catch (const FileError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Npy, ReadsFloat32Version1) {
  NpyArray a = parseNpy(bytesOf(npyFile(kDict23f4, 1, floatData({1, 2, 3, 4, 5, 6}))), "a.npy");
  ASSERT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.storedAs, NpyDtype::Float32);
  EXPECT_EQ(a.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, ReadsFloat64AndVersions2And3) {
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
  for (int version : {2, 3}) {
    NpyArray a = parseNpy(bytesOf(npyFile(dict, version, doubleData({0.5, -2.25, 1e300}))), "b.npy");
    ASSERT_EQ(a.shape, (std::vector<std::size_t>{3}));
    EXPECT_EQ(a.storedAs, NpyDtype::Float64);
    EXPECT_EQ(a.values[1], -2.25f);
    EXPECT_TRUE(std::isinf(a.values[2]));  // out of float32 range: the kernels' finiteness check reports it
  }
}

TEST(Npy, ReadsBigEndianAndScalarsAndEmptyArrays) {
  std::string big = "\x3f\x80\x00\x00\x40\x00\x00\x00"s;  // 1.0f, 2.0f big-endian
  NpyArray a = parseNpy(bytesOf(npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 1, big)), "c");
  EXPECT_EQ(a.values, (std::vector<float>{1, 2}));
  NpyArray scalar =
      parseNpy(bytesOf(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, floatData({7}))), "d");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.values, (std::vector<float>{7}));
  NpyArray empty =
      parseNpy(bytesOf(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", 1, "")), "e");
  EXPECT_EQ(empty.elementCount(), 0u);
}

TEST(Npy, SerialisesExactlyAsNumPy) {
  std::size_t shape[2] = {2, 3};
  float values[6] = {1, 2, 3, 4, 5, 6};
  std::vector<std::byte> bytes = serializeNpy(shape, values);
  // NumPy pads the header so data starts at a multiple of 64 bytes: 10 + 60-character dict + '\n' -> 128.
  std::string expected = npyFile(kDict23f4, 1, floatData({1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(bytes.size(), expected.size());
  EXPECT_EQ(std::memcmp(bytes.data(), expected.data(), expected.size()), 0);
  EXPECT_EQ(bytes.size(), 128u + 24u);
}

TEST(Npy, WritesAtomicallyAndRoundTrips) {
  std::filesystem::path folder = std::filesystem::temp_directory_path() / "attnscope_npy_test";
  std::filesystem::create_directories(folder);
  std::filesystem::path path = folder / "m.npy";
  RowMatrix m(3, 2);
  m << 1, -2, 3.5f, 4, 1e-30f, 6;
  writeNpyMatrix(path, m);
  EXPECT_EQ(readNpyMatrix(path), m);
  // A block of a wider matrix (outer stride) is written contiguously.
  RowMatrix wide = RowMatrix::Random(4, 5);
  writeNpyMatrix(path, wide.block(1, 1, 2, 3));
  EXPECT_EQ(readNpyMatrix(path), RowMatrix(wide.block(1, 1, 2, 3)));
  // n-D float64 write.
  std::size_t shape[3] = {2, 1, 2};
  double values[4] = {1, 2, 3, 4};
  writeNpy(path, shape, values);
  NpyArray a = readNpy(path);
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 1, 2}));
  EXPECT_EQ(a.storedAs, NpyDtype::Float64);
  // No temporary files left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++files;
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(folder);
}

TEST(Npy, RejectsMalformedFilesWithMessages) {
  std::string good = npyFile(kDict23f4, 1, floatData({1, 2, 3, 4, 5, 6}));
  EXPECT_NE(parseError("\x93NUMPX\x01\x00\x00\x00"s).find("wrong magic"), std::string::npos);
  EXPECT_NE(parseError("\x93NUM").find("too short"), std::string::npos);
  EXPECT_NE(parseError(good.substr(0, good.size() - 4)).find("truncated data"), std::string::npos);
  EXPECT_NE(parseError(good.substr(0, good.size() - 4)).find("offset 128"), std::string::npos);
  EXPECT_NE(parseError(good.substr(0, 40)).find("truncated .npy header"), std::string::npos);
  EXPECT_NE(parseError(good + "xx").find("unexpected bytes"), std::string::npos);
  std::string version = good;
  version[6] = 4;
  EXPECT_NE(parseError(version).find("version 4.0"), std::string::npos);
  EXPECT_NE(parseError(
                npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 1, floatData({1, 2, 3, 4, 5, 6})))
                .find("Fortran order"),
            std::string::npos);
  EXPECT_NE(parseError(npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 1, std::string(24, '\0')))
                .find("unsupported dtype '<i8'"),
            std::string::npos);
  EXPECT_NE(parseError(npyFile("{'descr': '<f4', 'shape': (3,), }", 1, floatData({1, 2, 3}))).find("fortran_order"),
            std::string::npos);
  EXPECT_NE(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }", 1, ""))
                .find("malformed .npy header"),
            std::string::npos);
  EXPECT_NE(parseError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, "
                               "99999999999), }",
                               1, ""))
                .find("too large"),
            std::string::npos);
  EXPECT_EQ(parseError(good).find("(no error)"), 0u);
  EXPECT_NE(parseError("\x93NUMPY\x01\x00\x00\x00"s).find("in.npy"), std::string::npos);
}

TEST(Npy, FileLevelErrorsNameTheFile) {
  try {
    readNpy("/nonexistent/folder/x.npy");
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/folder/x.npy: no such file"), std::string::npos);
  }
  std::filesystem::path path = std::filesystem::temp_directory_path() / "attnscope_npy_1d.npy";
  std::size_t shape[1] = {3};
  float values[3] = {1, 2, 3};
  writeNpy(path, shape, values);
  try {
    readNpyMatrix(path);
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("expected a 2-D array"), std::string::npos);
  }
  std::filesystem::remove(path);
  EXPECT_THROW(writeNpy("/nonexistent/folder/x.npy", shape, values), FileError);
  std::size_t wrongShape[1] = {4};
  EXPECT_THROW(writeNpy(path, wrongShape, values), InputError);
}

}  // namespace
}  // namespace attnscope
