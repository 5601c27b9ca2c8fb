#include "core/mapped_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "quilt/errors.h"

namespace quilt {

MappedFile::~MappedFile() { unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_length_(std::exchange(other.mapped_length_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      length_(std::exchange(other.length_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    base_ = std::exchange(other.base_, nullptr);
    mapped_length_ = std::exchange(other.mapped_length_, 0);
    data_ = std::exchange(other.data_, nullptr);
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

MappedFile MappedFile::map(int fd, uint64_t offset, size_t length, const std::string& path,
                           Options options) {
  MappedFile file;
  if (length == 0) return file;
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t aligned = offset - offset % page;
  size_t lead = static_cast<size_t>(offset - aligned);
  int flags = MAP_SHARED | (options.populate ? MAP_POPULATE : 0);
  void* base = ::mmap(nullptr, length + lead, PROT_READ, flags, fd, static_cast<off_t>(aligned));
  if (base == MAP_FAILED) throw_io_error("cannot map", path, errno);
  file.base_ = base;
  file.mapped_length_ = length + lead;
  file.data_ = static_cast<const uint8_t*>(base) + lead;
  file.length_ = length;
  // Advice only: a refusal changes nothing that matters.
  if (options.sequential) ::madvise(base, file.mapped_length_, MADV_SEQUENTIAL);
  return file;
}

void MappedFile::unmap() noexcept {
  if (base_ != nullptr) ::munmap(base_, mapped_length_);
  base_ = nullptr;
  mapped_length_ = 0;
  data_ = nullptr;
  length_ = 0;
}

}  // namespace quilt
