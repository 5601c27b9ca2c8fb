#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

namespace quilt::test {

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// Write `bytes` to `relative` (creating parents) and return its full path.
  std::string write(const std::string& relative, const std::string& bytes) const;

 private:
  std::filesystem::path path_;
};

/// Return the bytes of a file; fails the test (throws) when it cannot be read.
std::string read_file(const std::string& path);

/// The path of a file under tests/data.
std::string data_path(const std::string& relative);

/// Run `script` with Debian's /usr/bin/python3 (never another python3),
/// feeding `input` on stdin; return stdout. Throws when python exits non-zero.
std::string run_python(const std::string& script, const std::string& input = "");

/// Result of a child process.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Run the quiltcpp CLI built beside the tests with `args`, `input` on stdin.
RunResult run_cli(const std::vector<std::string>& args, const std::string& input = "");

/// Start the quiltcpp CLI with `args` in a child process (output discarded)
/// and return its pid, for tests that race or kill it.
int spawn_cli(const std::vector<std::string>& args);

/// Run an executable with arguments (no shell), `input` on stdin.
RunResult run_program(const std::vector<std::string>& argv, const std::string& input = "");

/// Run `fn`, expect it to throw E, and return the message (a test failure
/// when it throws something else or nothing).
template <typename E, typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no exception";
  return {};
}

/// True when `needle` occurs in `haystack`.
inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// UTF-8 bytes of a code point.
std::string utf8_encode(uint32_t cp);

/// Set (or, with std::nullopt, unset) an environment variable for a scope; the old value comes
/// back on destruction. Children started meanwhile (run_cli) inherit it. Not for tests that run
/// threads reading the environment.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace quilt::test
