// PNG files with text metadata (the scene JSON travels inside every exported image), written atomically.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "app/render/image.h"

namespace attnscope::render {

struct PngWriteOptions {
  /// Key -> UTF-8 text chunks (written as iTXt, uncompressed, so `strings` and other tools can read them).
  std::map<std::string, std::string> text;
  /// Keep the alpha channel; otherwise write RGB (smaller, and viewers do not show a checkerboard).
  bool keepAlpha = false;
};

/// Writes `image` to `path` through a temporary file in the same folder, renamed over `path` only after libpng
/// finished and the data was flushed: a failure or a kill never leaves a truncated PNG or destroys an existing file.
/// Throws FileError naming the path (missing folder, read-only folder, disk full).
void writePngAtomic(const std::string& path, const Image& image, const PngWriteOptions& options = {});

struct PngFile {
  Image image;  ///< RGBA8, top row first
  std::map<std::string, std::string> text;
  std::vector<unsigned char*> rowPointers;  ///< decoding scratch: row starts inside image.rgba
};

/// Reads a PNG (any bit depth / colour type, converted to RGBA8) and its tEXt/zTXt/iTXt chunks.
/// Throws FileError naming the path when it cannot be read or is not a valid PNG, ResourceError when the pixels
/// would exceed the memory budget (a 70-byte file can claim 30000 x 30000 pixels).
PngFile readPng(const std::string& path);

/// Only the text chunks (image left empty): the pixels are decoded one row at a time into a single row buffer, so
/// reading the scene out of an exported PNG needs no memory for the image, however large its header says it is.
/// Throws like readPng.
PngFile readPngText(const std::string& path);

}  // namespace attnscope::render
