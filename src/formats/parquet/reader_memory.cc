#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>

#include "formats/parquet/reader.h"
#include "quilt/errors.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace quilt::parquet {
namespace {

// Below this a buffer comes from the heap: a mapping costs a system call and a whole page.
constexpr size_t kMapThreshold = size_t{64} << 10;
// GrowingData prefaults ahead of what it has written by as much as it holds, within these
// bounds: small columns stay cheap, large ones take few system calls.
constexpr size_t kMinPrefault = size_t{256} << 10;
constexpr size_t kMaxPrefault = size_t{16} << 20;
constexpr size_t kHugePage = size_t{2} << 20;

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Ask for transparent huge pages over a mapping of `size` bytes at `data`: a
// 2 MiB page is one fault and one TLB entry where 4 KiB pages are 512. Where
// THP is in "madvise" mode (the default of Debian's kernels, and here) a
// mapping gets them only when asked. Reading the founding table's Parquet file
// (140 MB of columns) took 78-89 ms with them against 150-170 without. Small
// mappings are left alone: a huge page would round them up to 2 MiB.
void advise_huge_pages(void* data, size_t size) {
  if (size >= kHugePage) madvise(data, size, MADV_HUGEPAGE);  // failure only costs speed
}

// Fault in [data, data + size) now, in one call: on this machine first-touch faults taken one
// page at a time run at about 0.3 GB/s, populated in bulk at about 1.4 GB/s. Failure (an old
// kernel) only costs speed.
void prefault(uint8_t* data, size_t size) {
  if (size > 0) madvise(data, size, MADV_POPULATE_WRITE);
}

struct Mapping {
  void* data;
  size_t size;
  Mapping(void* d, size_t s) : data(d), size(s) {}
  ~Mapping() { munmap(data, size); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
};

}  // namespace

void Scratch::grow(size_t size) {
  // Free the old memory first: its pages can serve the new buffer.
  owner_.reset();
  capacity_ = std::max(size, capacity_ + capacity_ / 2);
  OutputBuffer buffer = allocate_output(capacity_, true, "scratch buffer");
  data_ = buffer.data;
  owner_ = std::move(buffer.owner);
}

OutputBuffer allocate_output(size_t size, bool prefault_now, const std::string& what) {
  OutputBuffer out;
  out.size = size;
  if (size < kMapThreshold) {
    auto words = std::make_shared<std::vector<uint64_t>>((size + 7) / 8 + 8);
    // Align to 64 bytes inside the vector, as Arrow recommends.
    auto address = reinterpret_cast<uintptr_t>(words->data());
    out.data = reinterpret_cast<uint8_t*>(words->data()) + (round_up(address, 64) - address);
    out.owner = std::move(words);
    return out;
  }
  size_t mapped = round_up(size, page_size());
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw Corrupt(what + ": cannot allocate " + std::to_string(size) + " bytes for its values (" +
                  std::strerror(errno) + ")");
  }
  auto mapping = std::make_shared<Mapping>(p, mapped);
  out.data = static_cast<uint8_t*>(p);
  advise_huge_pages(p, mapped);
  if (prefault_now) prefault(out.data, mapped);
  out.owner = std::move(mapping);
  return out;
}

GrowingData::GrowingData(bool prefault, std::string what)
    : prefault_(prefault), what_(std::move(what)) {
  limit_ = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  reserved_ = round_up(limit_, page_size());
  // Address space only (MAP_NORESERVE): pages become memory as they are written.
  void* p = mmap(nullptr, reserved_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw Error(what_ + ": cannot reserve address space for string data (" + std::strerror(errno) +
                ")");
  }
  base_ = static_cast<uint8_t*>(p);
  advise_huge_pages(p, reserved_);
}

GrowingData::~GrowingData() {
  if (base_ != nullptr) munmap(base_, reserved_);
}

void GrowingData::fail_too_large(size_t bytes) const {
  throw InvalidArgument(what_ + ": the column holds more than 2 GiB of string/binary data (" +
                        std::to_string(size_) + " bytes read, " + std::to_string(bytes) +
                        " more), beyond what int32 offsets address; large strings are not "
                        "supported");
}

void GrowingData::prefault_to(size_t size) {
  size_t ahead = std::clamp(size, kMinPrefault, kMaxPrefault);
  size_t end = std::min(reserved_, round_up(size + ahead, page_size()));
  if (prefault_) prefault(base_ + prefaulted_, end - prefaulted_);
  prefaulted_ = end;
}

Buffer GrowingData::finish() {
  size_t kept = std::max(round_up(size_, page_size()), page_size());
  if (kept < reserved_) munmap(base_ + kept, reserved_ - kept);
  auto mapping = std::make_shared<Mapping>(base_, kept);
  base_ = nullptr;
  return Buffer(mapping->data, size_, mapping);
}

}  // namespace quilt::parquet
