// libpng writing and reading. libpng reports errors by longjmp: every libpng call sits in a function whose only
// non-trivial locals are set up before setjmp, and the caller turns failure into FileError.
#include "app/render/png_io.h"

#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope::render {
namespace {

struct PngErrorMessage {
  char text[256] = "unknown libpng error";
};

void onPngError(png_structp png, png_const_charp message) {
  auto* error = static_cast<PngErrorMessage*>(png_get_error_ptr(png));
  std::snprintf(error->text, sizeof error->text, "%s", message);
  png_longjmp(png, 1);
}

void onPngWarning(png_structp, png_const_charp) {}

/// Everything libpng needs, prepared before setjmp so the function that calls setjmp has only trivial locals
/// (a longjmp must not skip destructors or leave clobbered non-volatile variables).
struct EncodeJob {
  png_uint_32 width = 0, height = 0;
  int colourType = PNG_COLOR_TYPE_RGB;
  png_bytep* rows = nullptr;
  png_text* text = nullptr;
  int textCount = 0;
};

bool runEncode(std::FILE* file, const EncodeJob& job, PngErrorMessage& error) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, onPngError, onPngWarning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, job.width, job.height, 8, job.colourType, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (job.textCount > 0) png_set_text(png, info, job.text, job.textCount);
  png_write_info(png, info);
  png_write_image(png, job.rows);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

/// Returns false (with `error` filled) when libpng failed.
bool encode(std::FILE* file, const Image& image, const PngWriteOptions& options, PngErrorMessage& error) {
  std::vector<std::string> keys, values;
  for (const auto& [key, value] : options.text) {
    keys.push_back(key.substr(0, 79));  // PNG keywords are 1..79 bytes
    values.push_back(value);
  }
  std::vector<png_text> chunks(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    chunks[i] = png_text{};
    chunks[i].compression = PNG_ITXT_COMPRESSION_NONE;
    chunks[i].key = keys[i].data();
    chunks[i].text = values[i].data();
    chunks[i].itxt_length = values[i].size();
  }
  std::vector<std::uint8_t> rgb;
  const int channels = options.keepAlpha ? 4 : 3;
  if (!options.keepAlpha) {
    rgb.resize(static_cast<std::size_t>(image.width) * image.height * 3);
    for (std::size_t p = 0, n = static_cast<std::size_t>(image.width) * image.height; p < n; ++p)
      std::memcpy(&rgb[p * 3], &image.rgba[p * 4], 3);
  }
  std::uint8_t* base = options.keepAlpha ? const_cast<std::uint8_t*>(image.rgba.data()) : rgb.data();
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) rows[y] = base + static_cast<std::size_t>(y) * image.width * channels;
  EncodeJob job;
  job.width = static_cast<png_uint_32>(image.width);
  job.height = static_cast<png_uint_32>(image.height);
  job.colourType = options.keepAlpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB;
  job.rows = rows.data();
  job.text = chunks.data();
  job.textCount = static_cast<int>(chunks.size());
  return runEncode(file, job, error);
}

/// Reads into `out`. The image buffer is sized inside the setjmp scope through a plain pointer only after the header
/// is known, so no C++ object with a destructor lives in this frame across libpng calls. Returns false when the
/// allocation fails (no exception may leave decode() with libpng's structures still allocated).
bool prepareImage(PngFile& out, png_uint_32 width, png_uint_32 height) {
  try {
    out.image.width = static_cast<int>(width);
    out.image.height = static_cast<int>(height);
    out.image.rgba.assign(static_cast<std::size_t>(width) * height * 4, 0);
    out.rowPointers.resize(height);
  } catch (const std::bad_alloc&) {
    return false;
  }
  for (png_uint_32 y = 0; y < height; ++y)
    out.rowPointers[y] = out.image.rgba.data() + static_cast<std::size_t>(y) * width * 4;
  return true;
}

void copyText(PngFile& out, png_textp text, int count) {
  for (int i = 0; i < count; ++i) {
    const std::size_t length =
        text[i].compression >= PNG_ITXT_COMPRESSION_NONE ? text[i].itxt_length : text[i].text_length;
    out.text[text[i].key] = std::string(text[i].text, length);
  }
}

/// Walks the chunk headers after the signature (file positioned just after it) and returns a message for the first
/// chunk whose declared length runs past the end of the file, or "" if there is none. libpng allocates a text chunk's
/// buffer from its declared length before reading it, so a 300-byte file declaring a 1 GiB tEXt chunk made it
/// allocate 1 GiB (found by fuzzing png_scene; Debian's libpng ignores png_set_chunk_malloc_max for this). Reading
/// stops at IEND or at the end of the file; a truncated header is left for libpng to report. `imageDataBytes` receives
/// the total length of the IDAT chunks seen (the compressed pixels, checked against the header's size in decode()).
std::string chunkLongerThanFile(std::FILE* file, std::uint64_t& imageDataBytes) {
  imageDataBytes = 0;
  if (std::fseek(file, 0, SEEK_END) != 0) return {};
  const long size = std::ftell(file);
  long offset = 8;
  while (offset + 8 <= size) {
    unsigned char header[8];
    if (std::fseek(file, offset, SEEK_SET) != 0 || std::fread(header, 1, 8, file) != 8) return {};
    const std::uint32_t length = (std::uint32_t(header[0]) << 24) | (std::uint32_t(header[1]) << 16) |
                                 (std::uint32_t(header[2]) << 8) | std::uint32_t(header[3]);
    const long remaining = size - offset - 12;  // after the length, type and CRC fields
    if (static_cast<long long>(length) > remaining) {
      char type[5] = {};
      for (int i = 0; i < 4; ++i) type[i] = std::isprint(header[4 + i]) ? char(header[4 + i]) : '?';
      return "chunk " + std::string(type) + " at byte " + std::to_string(offset) + " declares " +
             std::to_string(length) + " bytes but only " + std::to_string(std::max(0L, remaining)) +
             " remain in the file (truncated or corrupt)";
    }
    if (std::memcmp(header + 4, "IEND", 4) == 0) return {};
    if (std::memcmp(header + 4, "IDAT", 4) == 0) imageDataBytes += length;
    offset += 12 + static_cast<long>(length);
  }
  return {};
}

enum class Decoded { Ok, Failed, TooLarge };

/// Deflate's largest expansion (one 258-byte match per 2 bits; zlib's technical notes): the pixels a PNG can hold are
/// bounded by its IDAT bytes, whatever its header says.
constexpr double kDeflateMaximumRatio = 1032.0;

/// `maxBytes`: the RGBA8 buffer the header asks for is checked against it before anything is allocated, because a
/// 100-byte PNG can claim 30000 x 30000 pixels (3.4 GiB). On TooLarge, out.image.width/height hold the header's size.
/// Without `keepPixels` only one row is allocated and every row (of every interlace pass) is decoded into it, which
/// still walks the image data up to the text chunks that may follow it.
/// `imageDataBytes`: the IDAT total from chunkLongerThanFile. Before any row buffer exists, the header's image must
/// fit in what those bytes can inflate to (validate, then allocate): a 68-byte PNG claiming 1000000 x 1 pixels made
/// libpng and the row buffer take megabytes before the missing data was noticed.
Decoded decode(std::FILE* file, PngFile& out, double maxBytes, bool keepPixels, std::uint64_t imageDataBytes,
               PngErrorMessage& error) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, onPngError, onPngWarning);
  if (png == nullptr) return Decoded::Failed;
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Decoded::Failed;
  }
  png_init_io(png, file);
  png_read_info(png, info);
  // Both checks come before png_read_update_info, which allocates libpng's row buffers (8 bytes per pixel of a row).
  const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  if (static_cast<double>(width) * (keepPixels ? height : 1) * 4 > maxBytes) {
    out.image.width = static_cast<int>(width);
    out.image.height = static_cast<int>(height);
    png_destroy_read_struct(&png, &info, nullptr);
    return Decoded::TooLarge;
  }
  // The file's own pixel format, before the transforms below: a lower bound on the inflated image data (without the
  // filter byte of each row, so that it holds for interlaced images too).
  const double storedBytes =
      std::ceil(static_cast<double>(width) * height * png_get_channels(png, info) * png_get_bit_depth(png, info) / 8.0);
  if (storedBytes > kDeflateMaximumRatio * (static_cast<double>(imageDataBytes) + 1)) {
    std::snprintf(error.text, sizeof error.text,
                  "the %u x %u pixels need at least %.0f bytes of image data, more than its %llu bytes of IDAT "
                  "chunks can hold (truncated or corrupt)",
                  width, height, storedBytes, static_cast<unsigned long long>(imageDataBytes));
    png_destroy_read_struct(&png, &info, nullptr);
    return Decoded::Failed;
  }
  // Normalise every colour type and depth to 8-bit RGBA (the size stays width x height).
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_gray_to_rgb(png);
  png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (!prepareImage(out, width, keepPixels ? height : 1)) {
    std::snprintf(error.text, sizeof error.text, "out of memory for %u x %u pixels", width, height);
    png_destroy_read_struct(&png, &info, nullptr);
    return Decoded::Failed;
  }
  if (keepPixels) {
    png_read_image(png, out.rowPointers.data());
  } else {
    for (int pass = 0; pass < passes; ++pass)
      for (png_uint_32 y = 0; y < height; ++y) png_read_row(png, out.rowPointers[0], nullptr);
  }
  png_read_end(png, info);
  png_textp text = nullptr;
  const int count = png_get_text(png, info, &text, nullptr);
  copyText(out, text, count);
  png_destroy_read_struct(&png, &info, nullptr);
  return Decoded::Ok;
}

}  // namespace

void writePngAtomic(const std::string& path, const Image& image, const PngWriteOptions& options) {
  if (image.width < 1 || image.height < 1 ||
      image.rgba.size() != static_cast<std::size_t>(image.width) * image.height * 4)
    throw InputError("cannot write " + path + ": the image is empty or its pixel buffer does not match its size");
  // libpng writes through stdio: a duplicate of the temporary's descriptor, so closing the FILE leaves the original
  // open for the fsync and rename of writeFileThroughDescriptor.
  writeFileThroughDescriptor(path, [&](int descriptor) -> std::string {
    const int duplicate = dup(descriptor);
    // Owned from here on: encode() may throw (std::bad_alloc for its row buffer) and the FILE must still close.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(duplicate < 0 ? nullptr : fdopen(duplicate, "wb"),
                                                         &std::fclose);
    if (!file) {
      const std::string reason = std::strerror(errno);
      if (duplicate >= 0) close(duplicate);
      return reason;
    }
    PngErrorMessage error;
    errno = 0;
    bool ok = encode(file.get(), image, options, error);
    ok = std::fflush(file.get()) == 0 && ok;
    const std::string reason = errno != 0 ? std::strerror(errno) : error.text;
    ok = std::fclose(file.release()) == 0 && ok;
    return ok ? std::string() : reason.empty() ? std::string("write failed") : reason;
  });
}

namespace {

PngFile readPngFile(const std::string& path, bool keepPixels) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw FileError("cannot open " + path + ": " + std::strerror(errno));
  unsigned char signature[8] = {};
  const bool isPng = std::fread(signature, 1, 8, file) == 8 && png_sig_cmp(signature, 0, 8) == 0;
  if (!isPng) {
    std::fclose(file);
    throw FileError(path + " is not a PNG file (bad signature)");
  }
  std::uint64_t imageDataBytes = 0;
  if (const std::string lie = chunkLongerThanFile(file, imageDataBytes); !lie.empty()) {
    std::fclose(file);
    throw FileError("cannot read PNG " + path + ": " + lie);
  }
  std::rewind(file);
  PngFile result;
  PngErrorMessage error;
  double budget = 0;
  try {
    budget = static_cast<double>(memoryBudgetBytes());
  } catch (...) {
    std::fclose(file);
    throw;
  }
  const Decoded decoded = decode(file, result, budget, keepPixels, imageDataBytes, error);
  std::fclose(file);
  if (decoded == Decoded::TooLarge)
    requireWithinBudget(static_cast<double>(result.image.width) * result.image.height * 4,
                        "the " + std::to_string(result.image.width) + " x " + std::to_string(result.image.height) +
                            " pixels of PNG " + path);
  if (decoded != Decoded::Ok) throw FileError("cannot read PNG " + path + ": " + error.text);
  if (!keepPixels) {
    result.image = Image{};
    result.rowPointers.clear();
  }
  return result;
}

}  // namespace

PngFile readPng(const std::string& path) {
  return readPngFile(path, true);
}

PngFile readPngText(const std::string& path) {
  return readPngFile(path, false);
}

}  // namespace attnscope::render
