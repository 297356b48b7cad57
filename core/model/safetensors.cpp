// safetensors reader (mmap, header-only open, every range checked) and atomic F32 writer.
#include "core/model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope::model {
namespace {

using nlohmann::json;

std::string fileMessage(const std::filesystem::path& path, const std::string& what) {
  return "safetensors file '" + path.string() + "': " + what;
}

SafetensorsDtype parseDtype(const std::string& name) {
  if (name == "F32") return SafetensorsDtype::F32;
  if (name == "F16") return SafetensorsDtype::F16;
  if (name == "BF16") return SafetensorsDtype::BF16;
  return SafetensorsDtype::Other;
}

// Byte size of each element type the format defines; 0 for names the format does not know.
uint64_t dtypeSize(const std::string& name) {
  static const std::map<std::string, uint64_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  auto it = sizes.find(name);
  return it == sizes.end() ? 0 : it->second;
}

uint64_t readLittleEndian64(const unsigned char* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

}  // namespace

int64_t SafetensorsEntry::elementCount() const {
  int64_t count = 1;
  for (int64_t extent : shape) count *= extent;
  return count;
}

float halfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  uint32_t mantissa = bits & 0x3FFu;
  uint32_t result;
  if (exponent == 0) {
    if (mantissa == 0) {
      result = sign;
    } else {  // subnormal half: renormalise into a float exponent
      int shift = 0;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3FFu;
      result = sign | static_cast<uint32_t>(127 - 15 + 1 - shift) << 23 | mantissa << 13;
    }
  } else if (exponent == 0x1F) {
    result = sign | 0x7F800000u | mantissa << 13;
  } else {
    result = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
  }
  return std::bit_cast<float>(result);
}

float bfloat16ToFloat(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

struct SafetensorsFile::Impl {
  std::filesystem::path path;
  int fd = -1;
  void* mapping = nullptr;
  uint64_t fileSize = 0;
  uint64_t dataStart = 0;  // 8 + header length
  std::vector<SafetensorsEntry> entries;
  std::map<std::string, size_t> index;
  std::map<std::string, std::string> metadata;

  ~Impl() {
    if (mapping != nullptr && mapping != MAP_FAILED) munmap(mapping, fileSize);
    if (fd >= 0) close(fd);
  }
};

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path, const SafetensorsLimits& limits)
    : impl_(std::make_unique<Impl>()) {
  Impl& file = *impl_;
  file.path = path;
  file.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) throw FileError(fileMessage(path, std::string("cannot open: ") + std::strerror(errno)));
  struct stat status {};
  if (fstat(file.fd, &status) != 0 || !S_ISREG(status.st_mode))
    throw FileError(fileMessage(path, "not a regular file"));
  file.fileSize = static_cast<uint64_t>(status.st_size);
  if (file.fileSize < 8) {
    throw FileError(fileMessage(
        path, "file is " + std::to_string(file.fileSize) + " bytes, too short for the 8-byte header length"));
  }
  // Map the whole file read-only: the kernel pages in only what is touched, so a multi-GB checkpoint costs
  // nothing until a tensor is read.
  file.mapping = mmap(nullptr, file.fileSize, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (file.mapping == MAP_FAILED)
    throw FileError(fileMessage(path, std::string("mmap failed: ") + std::strerror(errno)));
  const auto* bytes = static_cast<const unsigned char*>(file.mapping);

  const uint64_t headerLength = readLittleEndian64(bytes);
  if (headerLength > limits.maxHeaderBytes) {
    throw FileError(fileMessage(path, "header length " + std::to_string(headerLength) + " bytes exceeds the limit of " +
                                          std::to_string(limits.maxHeaderBytes) +
                                          " bytes (corrupt file or not safetensors)"));
  }
  if (headerLength > file.fileSize - 8) {
    throw FileError(fileMessage(path, "header length " + std::to_string(headerLength) +
                                          " bytes runs past the end of the " + std::to_string(file.fileSize) +
                                          "-byte file (truncated?)"));
  }
  file.dataStart = 8 + headerLength;
  const uint64_t dataSize = file.fileSize - file.dataStart;

  json header;
  try {
    header =
        json::parse(reinterpret_cast<const char*>(bytes) + 8, reinterpret_cast<const char*>(bytes) + 8 + headerLength);
  } catch (const json::exception& error) {
    throw FileError(fileMessage(path, std::string("header is not valid JSON: ") + error.what()));
  }
  if (!header.is_object()) throw FileError(fileMessage(path, "header is not a JSON object"));

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& value = it.value();
    if (name == "__metadata__") {
      if (!value.is_object()) throw FileError(fileMessage(path, "__metadata__ is not an object"));
      for (auto meta = value.begin(); meta != value.end(); ++meta) {
        if (!meta.value().is_string()) {
          throw FileError(fileMessage(path, "__metadata__ value of '" + meta.key() + "' is not a string"));
        }
        file.metadata[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets")) {
      throw FileError(fileMessage(path, where + "entry needs dtype, shape and data_offsets"));
    }
    const json& dtype = value["dtype"];
    const json& shape = value["shape"];
    const json& offsets = value["data_offsets"];
    if (!dtype.is_string()) throw FileError(fileMessage(path, where + "dtype is not a string"));
    if (!shape.is_array()) throw FileError(fileMessage(path, where + "shape is not an array"));
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      throw FileError(fileMessage(path, where + "data_offsets must be two non-negative integers"));
    }
    SafetensorsEntry entry;
    entry.name = name;
    entry.dtypeName = dtype.get<std::string>();
    entry.dtype = parseDtype(entry.dtypeName);
    const uint64_t elementSize = dtypeSize(entry.dtypeName);
    if (elementSize == 0) throw FileError(fileMessage(path, where + "unknown dtype '" + entry.dtypeName + "'"));
    // Overflow-safe product: a lying shape must not wrap around to match the byte length.
    uint64_t elements = 1;
    for (const json& extent : shape) {
      if (!extent.is_number_unsigned())
        throw FileError(fileMessage(path, where + "shape entries must be non-negative integers"));
      const uint64_t e = extent.get<uint64_t>();
      if (e > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (e != 0 && elements > std::numeric_limits<uint64_t>::max() / e / elementSize)) {
        throw FileError(fileMessage(path, where + "shape is too large"));
      }
      elements *= e;
      entry.shape.push_back(static_cast<int64_t>(e));
    }
    entry.byteBegin = offsets[0].get<uint64_t>();
    entry.byteEnd = offsets[1].get<uint64_t>();
    if (entry.byteEnd < entry.byteBegin) {
      throw FileError(fileMessage(path, where + "data_offsets [" + std::to_string(entry.byteBegin) + ", " +
                                            std::to_string(entry.byteEnd) + "] end before they begin"));
    }
    if (entry.byteEnd > dataSize) {
      throw FileError(fileMessage(path, where + "data_offsets end " + std::to_string(entry.byteEnd) +
                                            " is past the end of the " + std::to_string(dataSize) +
                                            "-byte data section (truncated file?)"));
    }
    if (entry.byteEnd - entry.byteBegin != elements * elementSize) {
      throw FileError(fileMessage(path, where + "shape and dtype " + entry.dtypeName + " need " +
                                            std::to_string(elements * elementSize) + " bytes but data_offsets span " +
                                            std::to_string(entry.byteEnd - entry.byteBegin)));
    }
    file.entries.push_back(std::move(entry));
  }

  std::sort(file.entries.begin(), file.entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.byteBegin != b.byteBegin ? a.byteBegin < b.byteBegin : a.byteEnd < b.byteEnd;
  });
  for (size_t i = 1; i < file.entries.size(); ++i) {
    const SafetensorsEntry& previous = file.entries[i - 1];
    const SafetensorsEntry& current = file.entries[i];
    if (current.byteBegin < previous.byteEnd) {
      throw FileError(fileMessage(
          path, "tensors '" + previous.name + "' and '" + current.name + "' overlap in the data section (bytes " +
                    std::to_string(current.byteBegin) + " to " + std::to_string(previous.byteEnd) + ")"));
    }
  }
  for (size_t i = 0; i < file.entries.size(); ++i) file.index[file.entries[i].name] = i;
}

SafetensorsFile::~SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;

const std::filesystem::path& SafetensorsFile::path() const {
  return impl_->path;
}
const std::vector<SafetensorsEntry>& SafetensorsFile::entries() const {
  return impl_->entries;
}
const std::map<std::string, std::string>& SafetensorsFile::metadata() const {
  return impl_->metadata;
}
bool SafetensorsFile::contains(const std::string& name) const {
  return impl_->index.count(name) != 0;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = impl_->index.find(name);
  if (it == impl_->index.end()) throw FileError(fileMessage(impl_->path, "has no tensor named '" + name + "'"));
  return impl_->entries[it->second];
}

const std::byte* SafetensorsFile::rawData(const SafetensorsEntry& entry) const {
  return static_cast<const std::byte*>(impl_->mapping) + impl_->dataStart + entry.byteBegin;
}

std::vector<float> SafetensorsFile::readFloats(const std::string& name) const {
  const SafetensorsEntry& tensor = entry(name);
  const size_t count = static_cast<size_t>(tensor.elementCount());
  // F16/BF16 tensors double in size as float, so a file that fits in memory can still ask for too much.
  requireWithinBudget(static_cast<double>(count) * sizeof(float),
                      impl_->path.string() + ": tensor '" + name + "' as float32 (" + std::to_string(count) + " values)");
  std::vector<float> values(count);
  const std::byte* data = rawData(tensor);
  // memcpy per element: the data section need not be aligned for float or uint16_t access.
  switch (tensor.dtype) {
    case SafetensorsDtype::F32:
      if (count > 0) std::memcpy(values.data(), data, count * sizeof(float));
      break;
    case SafetensorsDtype::F16:
    case SafetensorsDtype::BF16: {
      const bool half = tensor.dtype == SafetensorsDtype::F16;
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, data + 2 * i, 2);
        values[i] = half ? halfToFloat(bits) : bfloat16ToFloat(bits);
      }
      break;
    }
    case SafetensorsDtype::Other:
      throw FileError(fileMessage(impl_->path, "tensor '" + name + "' has dtype " + tensor.dtypeName +
                                                   "; only F32, F16 and BF16 can be read as floats"));
  }
  return values;
}

RowMatrix SafetensorsFile::readMatrix(const std::string& name) const {
  const SafetensorsEntry& tensor = entry(name);
  if (tensor.shape.size() != 1 && tensor.shape.size() != 2) {
    throw FileError(fileMessage(impl_->path, "tensor '" + name + "' has rank " + std::to_string(tensor.shape.size()) +
                                                 ", expected a matrix or vector"));
  }
  const Eigen::Index rows = tensor.shape.size() == 2 ? tensor.shape[0] : 1;
  const Eigen::Index cols = tensor.shape.back();
  std::vector<float> values = readFloats(name);
  return Eigen::Map<const RowMatrix>(values.data(), rows, cols);
}

// ---------------------------------------------------------------------------------------------------------------

SafetensorsModelFiles::SafetensorsModelFiles(const std::filesystem::path& path, const SafetensorsLimits& limits) {
  namespace fs = std::filesystem;
  fs::path target = path;
  if (fs::is_directory(path)) {
    if (fs::exists(path / "model.safetensors")) {
      target = path / "model.safetensors";
    } else if (fs::exists(path / "model.safetensors.index.json")) {
      target = path / "model.safetensors.index.json";
    } else {
      throw FileError("model folder '" + path.string() +
                      "' has neither model.safetensors nor model.safetensors.index.json");
    }
  }
  description_ = target;
  if (target.extension() == ".json") {
    std::ifstream in(target);
    if (!in) throw FileError("cannot open shard index '" + target.string() + "'");
    json index;
    try {
      index = json::parse(in);
    } catch (const json::exception& error) {
      throw FileError("shard index '" + target.string() + "' is not valid JSON: " + error.what());
    }
    if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
      throw FileError("shard index '" + target.string() + "' has no \"weight_map\" object");
    }
    std::map<std::string, size_t> shardIndex;
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it.value().is_string()) {
        throw FileError("shard index '" + target.string() + "': weight_map entry '" + it.key() +
                        "' is not a file name");
      }
      const std::string shardName = it.value().get<std::string>();
      if (shardName.find('/') != std::string::npos || shardName == "..") {
        throw FileError("shard index '" + target.string() + "': shard name '" + shardName +
                        "' must be a file in the same folder");
      }
      auto found = shardIndex.find(shardName);
      if (found == shardIndex.end()) {
        found = shardIndex.emplace(shardName, shards_.size()).first;
        shards_.push_back(std::make_unique<SafetensorsFile>(target.parent_path() / shardName, limits));
      }
      if (!shards_[found->second]->contains(it.key())) {
        throw FileError("shard index '" + target.string() + "' maps '" + it.key() + "' to '" + shardName +
                        "', which has no such tensor");
      }
      shardOfTensor_[it.key()] = found->second;
    }
  } else {
    shards_.push_back(std::make_unique<SafetensorsFile>(target, limits));
    for (const SafetensorsEntry& e : shards_.front()->entries()) shardOfTensor_[e.name] = 0;
  }
}

const SafetensorsFile& SafetensorsModelFiles::shardFor(const std::string& name) const {
  auto it = shardOfTensor_.find(name);
  if (it == shardOfTensor_.end())
    throw FileError("model '" + description_.string() + "' has no tensor named '" + name + "'");
  return *shards_[it->second];
}

bool SafetensorsModelFiles::contains(const std::string& name) const {
  return shardOfTensor_.count(name) != 0;
}
const SafetensorsEntry& SafetensorsModelFiles::entry(const std::string& name) const {
  return shardFor(name).entry(name);
}
std::vector<float> SafetensorsModelFiles::readFloats(const std::string& name) const {
  return shardFor(name).readFloats(name);
}
RowMatrix SafetensorsModelFiles::readMatrix(const std::string& name) const {
  return shardFor(name).readMatrix(name);
}

std::vector<SafetensorsEntry> SafetensorsModelFiles::entries() const {
  std::vector<SafetensorsEntry> all;
  for (const auto& [name, shard] : shardOfTensor_) all.push_back(shards_[shard]->entry(name));
  return all;
}

// ---------------------------------------------------------------------------------------------------------------

void writeSafetensors(const std::filesystem::path& path, const std::vector<SafetensorsTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const SafetensorsTensor& tensor : tensors) {
    if (tensor.name.empty() || tensor.name == "__metadata__") {
      throw InputError("safetensors writer: invalid tensor name '" + tensor.name + "'");
    }
    if (!names.insert(tensor.name).second)
      throw InputError("safetensors writer: duplicate tensor '" + tensor.name + "'");
    uint64_t elements = 1;
    for (int64_t extent : tensor.shape) {
      if (extent < 0) throw InputError("safetensors writer: tensor '" + tensor.name + "' has a negative extent");
      elements *= static_cast<uint64_t>(extent);
    }
    if (elements != tensor.values.size()) {
      throw InputError("safetensors writer: tensor '" + tensor.name + "' has shape with " + std::to_string(elements) +
                       " elements but " + std::to_string(tensor.values.size()) + " values");
    }
    const uint64_t bytes = elements * sizeof(float);
    header[tensor.name] = {{"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string headerText = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned (the format's recommendation).
  while ((8 + headerText.size()) % 8 != 0) headerText.push_back(' ');

  writeFileAtomically(path, [&](std::ostream& out) {
    unsigned char lengthBytes[8];
    uint64_t length = headerText.size();
    for (int i = 0; i < 8; ++i) lengthBytes[i] = static_cast<unsigned char>(length >> (8 * i));
    out.write(reinterpret_cast<const char*>(lengthBytes), 8);
    out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
    static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
    for (const SafetensorsTensor& tensor : tensors) {
      out.write(reinterpret_cast<const char*>(tensor.values.data()),
                static_cast<std::streamsize>(tensor.values.size() * sizeof(float)));
    }
  });
}

}  // namespace attnscope::model
