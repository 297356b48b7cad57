// Tests for core/model/safetensors.cpp: round trips, dtype conversion, every kind of corrupt header, shards,
// and that opening a sparse multi-gigabyte file reads only the header.
#include "core/model/safetensors.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "tests/core/process_measures.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;

using attnscope::test_support::testDir;

/// Writes a safetensors file by hand: 8-byte length (or `lyingLength`), header text, data bytes.
void writeRaw(const fs::path& path, const std::string& header, const std::string& data,
              std::optional<uint64_t> lyingLength = std::nullopt) {
  std::ofstream out(path, std::ios::binary);
  uint64_t length = lyingLength.value_or(header.size());
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << data;
}

std::string bytesOf(std::initializer_list<uint16_t> values) {
  std::string out;
  for (uint16_t v : values) out.append(reinterpret_cast<const char*>(&v), 2);
  return out;
}

std::string errorOf(const fs::path& path) {
  try {
    SafetensorsFile file(path);
  } catch (const FileError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Safetensors, WriterRoundTripKeepsValuesShapesAndMetadata) {
  const fs::path path = testDir() / "round.safetensors";
  writeSafetensors(path, {{"b", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"a", {1}, {-0.5f}}, {"empty", {0, 4}, {}}},
                   {{"format", "test"}, {"note", "x"}});
  SafetensorsFile file(path);
  ASSERT_EQ(file.entries().size(), 3u);
  EXPECT_EQ(file.metadata().at("format"), "test");
  EXPECT_EQ(file.entry("b").shape, (std::vector<int64_t>{2, 3}));
  const RowMatrix b = file.readMatrix("b");
  EXPECT_EQ(b.rows(), 2);
  EXPECT_FLOAT_EQ(b(1, 2), 6.0f);
  EXPECT_FLOAT_EQ(file.readFloats("a")[0], -0.5f);
  EXPECT_TRUE(file.readFloats("empty").empty());
  // Header padded so the data section starts on an 8-byte boundary.
  std::ifstream in(path, std::ios::binary);
  uint64_t headerLength = 0;
  in.read(reinterpret_cast<char*>(&headerLength), 8);
  EXPECT_EQ((8 + headerLength) % 8, 0u);
  // Atomic write leaves no temporary file behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(path.parent_path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(Safetensors, WriterReplacesExistingFileAndRejectsBadInput) {
  const fs::path path = testDir() / "w.safetensors";
  writeSafetensors(path, {{"x", {2}, {1, 2}}});
  writeSafetensors(path, {{"y", {1}, {3}}});
  SafetensorsFile file(path);
  EXPECT_FALSE(file.contains("x"));
  EXPECT_TRUE(file.contains("y"));
  EXPECT_THROW(writeSafetensors(path, {{"x", {2}, {1, 2}}, {"x", {1}, {1}}}), InputError);
  EXPECT_THROW(writeSafetensors(path, {{"x", {3}, {1, 2}}}), InputError);
  EXPECT_THROW(writeSafetensors(path, {{"__metadata__", {1}, {1}}}), InputError);
  EXPECT_THROW(writeSafetensors(fs::path("/nonexistent-dir/x.safetensors"), {{"x", {1}, {1}}}), FileError);
}

TEST(Safetensors, HalfAndBfloat16ConvertExactly) {
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::isinf(halfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xC0A0), -5.0f);
  EXPECT_EQ(bfloat16ToFloat(0x4049), 3.140625f);

  const fs::path path = testDir() / "half.safetensors";
  writeRaw(
      path,
      R"({"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]}})",
      bytesOf({0x3C00, 0xC000, 0x3800, 0x0001}) + bytesOf({0x3F80, 0xC0A0, 0x4049}));
  SafetensorsFile file(path);
  const RowMatrix h = file.readMatrix("h");
  EXPECT_EQ(h(0, 0), 1.0f);
  EXPECT_EQ(h(0, 1), -2.0f);
  EXPECT_EQ(h(1, 0), 0.5f);
  EXPECT_EQ(h(1, 1), std::ldexp(1.0f, -24));
  EXPECT_EQ(file.readFloats("b"), (std::vector<float>{1.0f, -5.0f, 3.140625f}));
}

TEST(Safetensors, CorruptAndLyingHeadersAreRejectedWithReasons) {
  const fs::path dir = testDir();
  const std::string eight(8, '\0');
  auto check = [&](const std::string& name, const std::string& header, const std::string& data,
                   const std::string& expected, std::optional<uint64_t> lying = std::nullopt) {
    writeRaw(dir / name, header, data, lying);
    const std::string message = errorOf(dir / name);
    EXPECT_NE(message.find(expected), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find(name), std::string::npos) << "message must name the file: " << message;
  };
  {
    std::ofstream(dir / "short.safetensors") << "abc";
    EXPECT_NE(errorOf(dir / "short.safetensors").find("too short"), std::string::npos);
  }
  check("huge.safetensors", "{}", "", "exceeds the limit", uint64_t{1} << 40);
  check("past.safetensors", "{}", "", "runs past the end", 1000);
  check("json.safetensors", "{\"a\": [1,", "", "not valid JSON");
  check("array.safetensors", "[1, 2]", "", "not a JSON object");
  check("offset.safetensors", R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234", "past the end");
  check("backwards.safetensors", R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", eight, "end before");
  check("size.safetensors", R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight,
        "need 12 bytes but data_offsets span 8");
  check("dtype.safetensors", R"({"t":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", eight, "unknown dtype 'Q7'");
  check(
      "overlap.safetensors",
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
      eight, "overlap");
  check("negative.safetensors", R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight, "non-negative");
  check("overflow.safetensors", R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})",
        eight, "too large");
  check("fields.safetensors", R"({"t":{"dtype":"F32","shape":[2]}})", eight, "dtype, shape and data_offsets");
  check("meta.safetensors", R"({"__metadata__":{"k":3}})", "", "not a string");
}

TEST(Safetensors, UnreadableDtypeIsListedButNotConverted) {
  const fs::path path = testDir() / "i64.safetensors";
  writeRaw(path, R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0'));
  SafetensorsFile file(path);
  EXPECT_EQ(file.entry("ids").dtypeName, "I64");
  EXPECT_THROW(file.readFloats("ids"), FileError);
  EXPECT_THROW(file.entry("missing"), FileError);
  EXPECT_THROW(SafetensorsFile(path.parent_path() / "absent.safetensors"), FileError);
}

TEST(Safetensors, SparseFourGigabyteFileOpensFromHeaderAlone) {
  const fs::path path = testDir() / "sparse.safetensors";
  const uint64_t bigBytes = uint64_t{4} << 30;  // a 4 GiB F32 tensor of 2^30 elements, never written
  const std::string header = R"({"__metadata__":{"kind":"sparse"},"big":{"dtype":"F32","shape":[32768,32768],)"
                             R"("data_offsets":[0,)" +
                             std::to_string(bigBytes) + R"(]},"tail":{"dtype":"F32","shape":[2],"data_offsets":[)" +
                             std::to_string(bigBytes) + "," + std::to_string(bigBytes + 8) + "]}}";
  writeRaw(path, header, "");
  // Extend to full size without writing: the data section is a hole, except the tail tensor written at the end.
  const uint64_t dataStart = 8 + header.size();
  ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(dataStart + bigBytes + 8)), 0);
  {
    const int fd = open(path.c_str(), O_WRONLY);
    const float tail[2] = {1.5f, -2.5f};
    ASSERT_EQ(pwrite(fd, tail, 8, static_cast<off_t>(dataStart + bigBytes)), 8);
    close(fd);
  }
  // Opening reads the header only: resident memory grows by far less than the 4 GiB a read of the data would
  // bring in (a load-independent check; the time is printed for information).
  const uint64_t residentBefore = test_support::residentBytes();
  const auto start = std::chrono::steady_clock::now();
  SafetensorsFile file(path);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(test_support::residentBytes(), residentBefore + (uint64_t{64} << 20));
  EXPECT_EQ(file.entry("big").elementCount(), int64_t{1} << 30);
  EXPECT_EQ(file.metadata().at("kind"), "sparse");
  EXPECT_EQ(file.readFloats("tail"), (std::vector<float>{1.5f, -2.5f}));  // offsets beyond 4 GiB read correctly
  std::printf("[ sparse 4 GiB open: %.3f ms ]\n", seconds * 1e3);
  fs::remove(path);
}

TEST(Safetensors, ShardedModelResolvesTensorsThroughTheIndex) {
  const fs::path dir = testDir();
  writeSafetensors(dir / "model-00001-of-00002.safetensors", {{"a", {2}, {1, 2}}});
  writeSafetensors(dir / "model-00002-of-00002.safetensors", {{"b", {1, 2}, {3, 4}}});
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})";
  SafetensorsModelFiles files(dir);
  EXPECT_EQ(files.shards().size(), 2u);
  EXPECT_EQ(files.readFloats("a"), (std::vector<float>{1, 2}));
  EXPECT_FLOAT_EQ(files.readMatrix("b")(0, 1), 4.0f);
  EXPECT_EQ(files.entries().size(), 2u);
  EXPECT_THROW(files.entry("c"), FileError);

  std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map":{"c":"model-00001-of-00002.safetensors"}})";
  EXPECT_THROW(SafetensorsModelFiles{dir}, FileError);
  std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map":{"a":"../elsewhere.safetensors"}})";
  EXPECT_THROW(SafetensorsModelFiles{dir}, FileError);
  std::ofstream(dir / "model.safetensors.index.json") << R"({"nothing":1})";
  EXPECT_THROW(SafetensorsModelFiles{dir}, FileError);
  EXPECT_THROW(SafetensorsModelFiles{dir / "absent"}, FileError);
}

}  // namespace
}  // namespace attnscope::model
