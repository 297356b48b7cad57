// Typed errors of the core. The core never prints: it throws these with a message a user can act on
// (which file, which offset or shape, what was expected), and the CLI or the app shows it.
#pragma once

#include <stdexcept>
#include <string>

namespace attnscope {

/// Base of every error the core reports.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An argument is legal C++ but not acceptable input: wrong shape, NaN/Inf values, out-of-range option.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are malformed. The message names the file.
class FileError : public Error {
 public:
  using Error::Error;
};

/// A request would need more memory than the configured budget; refused before allocating.
class ResourceError : public Error {
 public:
  using Error::Error;
};

}  // namespace attnscope
