// Tests for core/model/open_model.cpp: dispatch by what is on disk and refusal of PyTorch pickles.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/model/capture_file.h"
#include "core/model/model.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;

using attnscope::test_support::testDir;

std::string openError(const fs::path& path) {
  try {
    openModel(path);
  } catch (const FileError& error) {
    return error.what();
  }
  return "no error";
}

TEST(OpenModel, RefusesPyTorchPicklesAndExplainsConversion) {
  const fs::path dir = testDir();
  std::ofstream(dir / "model.pt") << "anything";
  const std::string message = openError(dir / "model.pt");
  EXPECT_NE(message.find("arbitrary code"), std::string::npos) << message;
  EXPECT_NE(message.find("save_file"), std::string::npos) << message;

  std::ofstream(dir / "zip.bin", std::ios::binary) << std::string("PK\x03\x04rest", 8);  // torch.save >= 1.6
  EXPECT_NE(openError(dir / "zip.bin").find("pickle"), std::string::npos);
  std::ofstream(dir / "legacy.bin", std::ios::binary) << std::string("\x80\x02\x8a\x0a", 4);  // legacy torch.save
  EXPECT_NE(openError(dir / "legacy.bin").find("pickle"), std::string::npos);

  const fs::path hf = dir / "hf";
  fs::create_directories(hf);
  std::ofstream(hf / "config.json") << R"({"architectures":["GPT2LMHeadModel"]})";
  std::ofstream(hf / "pytorch_model.bin", std::ios::binary) << std::string("PK\x03\x04", 4);
  EXPECT_NE(openError(hf).find("arbitrary code"), std::string::npos);
}

TEST(OpenModel, DispatchesCaptureFilesAndExplainsUnknownPaths) {
  const fs::path dir = testDir();
  ModelCapture capture;
  capture.layers = capture.heads = capture.tokens = 1;
  capture.headDim = 2;
  capture.tokenIds = {3};
  capture.queries = capture.keys = {RowMatrix::Ones(1, 2)};
  capture.attention = {RowMatrix::Ones(1, 1)};
  writeCaptureFile(dir / "run.safetensors", capture);
  EXPECT_EQ(openModel(dir / "run.safetensors")->info().format, "capture");
  EXPECT_NE(openError(dir / "absent.bin").find("does not exist"), std::string::npos);
  EXPECT_NE(openError(dir).find("no config.json"), std::string::npos);
  fs::create_directories(dir / "lone");
  // A valid safetensors file with no tensors: readable, but neither a capture nor part of a model folder.
  std::ofstream(dir / "lone" / "weights.safetensors") << std::string("\x02\0\0\0\0\0\0\0{}", 10);
  EXPECT_NE(openError(dir / "lone" / "weights.safetensors").find("neither a capture file"), std::string::npos);
  // A corrupt one names what is wrong with it instead.
  std::ofstream(dir / "lone" / "broken.safetensors") << std::string(8, '\0');
  EXPECT_EQ(openError(dir / "lone" / "broken.safetensors").find("neither a capture file"), std::string::npos);
}

}  // namespace
}  // namespace attnscope::model
