#pragma once

#include <stdexcept>
#include <string>

namespace quilt {

/// Root of every error quiltcpp throws. The message names the thing at fault
/// (key, URL, line, expected vs actual hash). See DESIGN.md for how each class
/// maps to a CLI exit code and a Python exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A bad key, name, URL, option or argument. CLI exit 2.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A package, version, hash prefix or object that does not exist. CLI exit 3.
class NotFound : public Error {
 public:
  using Error::Error;
};

/// Corrupt input (a manifest, a file) or a hash mismatch. CLI exit 4.
class Corrupt : public Error {
 public:
  using Error::Error;
};

/// The registry moved under us (`latest` is not the revision we started from). CLI exit 5.
class Conflict : public Error {
 public:
  using Error::Error;
};

/// A local I/O failure; the message names the path and the OS error. CLI exit 6.
class IoError : public Error {
 public:
  IoError(const std::string& message, int error_number = 0)
      : Error(message), error_number_(error_number) {}
  /// Return the errno value behind the failure, or 0 when there was none.
  int error_number() const noexcept { return error_number_; }

 private:
  int error_number_;
};

/// A remote (HTTP/S3) failure: status, S3 code, request id. CLI exit 7.
class RemoteError : public Error {
 public:
  using Error::Error;
};

/// Throw IoError for `what` on `path` with the message of `error_number` (errno).
[[noreturn]] void throw_io_error(const std::string& what, const std::string& path,
                                 int error_number);

}  // namespace quilt
