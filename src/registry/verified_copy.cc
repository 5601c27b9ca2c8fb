#include "registry/verified_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"

namespace quilt {

void copy_verified(const ManifestEntry& entry,
                   const std::function<void(std::span<const uint8_t>)>& sink) {
  if (!entry.physical_key.is_local()) {
    throw InvalidArgument("'" + entry.logical_key + "' lives at " + entry.physical_key.str() +
                          ": remote data needs S3 support, which is not there yet");
  }
  std::string source = entry.physical_key.local_path();
  UniqueFd fd = UniqueFd::open(source, O_RDONLY);
  StreamHasher hasher(entry.hash.type, entry.size);
  std::vector<uint8_t> buffer(1 << 20);
  uint64_t copied = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", source, errno);
    if (n == 0) break;
    copied += static_cast<uint64_t>(n);
    if (copied > entry.size) break;  // longer than recorded: fails below
    std::span<const uint8_t> bytes(buffer.data(), static_cast<size_t>(n));
    hasher.update(bytes);
    sink(bytes);
  }
  if (copied != entry.size) {
    throw Corrupt("'" + entry.logical_key + "' does not match its entry: " + source + " is not " +
                  std::to_string(entry.size) + " bytes long");
  }
  Hash actual = hasher.finish();
  if (actual != entry.hash) {
    throw Corrupt("'" + entry.logical_key + "' does not match its hash: expected " +
                  entry.hash.value + ", got " + actual.value + " from " + source);
  }
}

}  // namespace quilt
