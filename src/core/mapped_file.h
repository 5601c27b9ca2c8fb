#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace quilt {

/// A read-only memory mapping of a range of a file; unmapped on destruction.
/// Move-only. The bytes may be read from many threads at once.
///
/// Caveat of every mapping: if another process truncates the file while it is
/// mapped, reading the lost pages raises SIGBUS. Map files you own, or ones
/// nobody truncates while they are read.
class MappedFile {
 public:
  struct Options {
    /// Fault the whole range in up front (MAP_POPULATE): one call instead of a
    /// page fault per few pages, done on the thread that maps.
    bool populate = false;
    /// Tell the kernel the range will be read front to back.
    bool sequential = false;
  };

  MappedFile() noexcept = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// Map `length` bytes of the file open as `fd` from `offset` (any offset; the
  /// mapping is page-aligned underneath). `path` names the file in errors.
  /// A zero length maps nothing and succeeds. Throws IoError "cannot map".
  static MappedFile map(int fd, uint64_t offset, size_t length, const std::string& path,
                        Options options);
  static MappedFile map(int fd, uint64_t offset, size_t length, const std::string& path) {
    return map(fd, offset, length, path, Options{});
  }

  std::span<const uint8_t> bytes() const noexcept { return {data_, length_}; }
  size_t size() const noexcept { return length_; }

 private:
  void unmap() noexcept;

  void* base_ = nullptr;  // start of the page-aligned mapping
  size_t mapped_length_ = 0;
  const uint8_t* data_ = nullptr;
  size_t length_ = 0;
};

}  // namespace quilt
