#include "registry/verified_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "storage/s3/clients.h"

namespace quilt {

namespace {

// Stream an S3 object (the version the key names, if any) through the hasher into the sink.
void copy_verified_s3(const ManifestEntry& entry,
                      const std::function<void(std::span<const uint8_t>)>& sink) {
  const PhysicalKey& key = entry.physical_key;
  std::shared_ptr<s3::Client> client = s3::client_for_bucket(key.bucket());
  StreamHasher hasher(entry.hash.type, entry.size);
  uint64_t copied = 0;
  s3::GetOptions options;
  options.version_id = key.version_id();
  s3::BodySink hashing = [&](std::span<const uint8_t> bytes) {
    copied += bytes.size();
    if (copied > entry.size) {
      throw Corrupt("'" + entry.logical_key + "' does not match its entry: " + key.str() +
                    " is longer than " + std::to_string(entry.size) + " bytes");
    }
    hasher.update(bytes);
    sink(bytes);
  };
  client->get_object(key.bucket(), key.s3_key(), options, hashing);
  if (copied != entry.size) {
    throw Corrupt("'" + entry.logical_key + "' does not match its entry: " + key.str() +
                  " is " + std::to_string(copied) + " bytes, not " + std::to_string(entry.size));
  }
  Hash actual = hasher.finish();
  if (actual != entry.hash) {
    throw Corrupt("'" + entry.logical_key + "' does not match its hash: expected " +
                  entry.hash.value + ", got " + actual.value + " from " + key.str());
  }
}

}  // namespace

void copy_verified(const ManifestEntry& entry,
                   const std::function<void(std::span<const uint8_t>)>& sink) {
  if (entry.physical_key.is_s3()) return copy_verified_s3(entry, sink);
  if (!entry.physical_key.is_local()) {
    throw InvalidArgument("'" + entry.logical_key + "' lives at " + entry.physical_key.str() +
                          ": only local files and s3:// objects can be read");
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
