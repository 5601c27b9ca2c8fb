#include "registry/verified_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <future>
#include <vector>

#include "core/part_digest_cache.h"
#include "core/sha256_chunked.h"
#include "core/sha256_lanes.h"
#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "storage/s3/clients.h"

namespace quilt {

namespace {

// Stream an S3 object (the version the key names, if any) through the verifier into the sink.
void copy_verified_s3(const ManifestEntry& entry,
                      const std::function<void(std::span<const uint8_t>)>& sink) {
  const PhysicalKey& key = entry.physical_key;
  std::shared_ptr<s3::Client> client = s3::client_for_bucket(key.bucket());
  EntryVerifier verifier(entry, key.str());
  s3::GetOptions options;
  options.version_id = key.version_id();
  s3::BodySink hashing = [&](std::span<const uint8_t> bytes) {
    verifier.update(bytes);
    sink(bytes);
  };
  client->get_object(key.bucket(), key.s3_key(), options, hashing);
  verifier.finish();
}

[[noreturn]] void throw_wrong_length(const ManifestEntry& entry, const std::string& source) {
  throw Corrupt("'" + entry.logical_key + "' does not match its entry: " + source + " is not " +
                std::to_string(entry.size) + " bytes long");
}

[[noreturn]] void throw_wrong_hash(const ManifestEntry& entry, const Hash& actual,
                                   const std::string& source) {
  throw Corrupt("'" + entry.logical_key + "' does not match its hash: expected " +
                entry.hash.value + ", got " + actual.value + " from " + source);
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
  if (copied != entry.size) throw_wrong_length(entry, source);
  Hash actual = hasher.finish();
  if (actual != entry.hash) throw_wrong_hash(entry, actual, source);
}

namespace {

// Reads and hashes the chunk after the one being sent on another thread, so the upload does
// not wait for the disk or the hash between chunks.
class VerifiedFileChunks final : public s3::ChunkSource {
 public:
  // `check_hash` false: the entry has no hash yet, and finish() remembers the one computed.
  VerifiedFileChunks(const ManifestEntry& entry, bool server_checks_chunks, bool check_hash)
      : entry_(entry),
        check_hash_(check_hash),
        path_(entry.physical_key.local_path()),
        fd_(UniqueFd::open(path_, O_RDONLY)),
        part_size_(detail::kChunkedBasePartSize),
        buffers_(thread_buffers) {
    while (detail::chunked_part_count(entry.size, part_size_) > detail::kChunkedMaxParts) {
      part_size_ *= 2;
    }
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) throw_io_error("cannot stat", path_, errno);
    identity_ = detail::identity_of(st);
    opened_ns_ = detail::wall_clock_ns();
    // This process hashed the file as it still is, to the entry's hash: sign with those
    // digests rather than hash again. The server checks every chunk against its signature,
    // and finish() that the file was not written to meanwhile.
    if (server_checks_chunks) {
      std::optional<std::vector<detail::Sha256Digest>> known = detail::recall_part_digests(identity_);
      if (known && identity_.size == entry.size &&
          detail::chunked_part_count(entry.size, part_size_) == known->size() &&
          Hash{HashType::kSha2256Chunked, detail::chunked_value(*known)} == entry.hash) {
        known_ = std::move(*known);
      }
    }
    // The buffers are the thread's, kept: fresh memory costs its page faults on every file.
    size_t size = static_cast<size_t>(std::min<uint64_t>(part_size_, entry.size));
    for (std::vector<uint8_t>& buffer : buffers_) {
      if (buffer.size() < size) buffer.resize(size);
    }
  }

  ~VerifiedFileChunks() override { settle(); }

  uint64_t chunk_size() const override { return part_size_; }

  void rewind() override {
    settle();
    offset_ = 0;
    slot_ = 0;
    group_ = {};
    served_ = 0;
    digests_.clear();
  }

  Chunk next() override {
    if (served_ == group_.count) {
      // The next group: read ahead already, or read now; then start on the one after.
      group_ = ahead_.valid() ? ahead_.get() : prepare_group(offset_, slot_);
      served_ = 0;
      serving_slot_ = slot_;
      slot_ = 1 - slot_;
      uint64_t after = offset_;
      for (size_t j = 0; j < group_.count; ++j) after += group_.chunks[j].size;
      if (after < entry_.size) {
        ahead_ = std::async(std::launch::async, [this, after, slot = slot_] {
          return prepare_group(after, slot);
        });
      }
    }
    const Prepared& chunk = group_.chunks[served_];
    std::span<const uint8_t> bytes(buffers_[serving_slot_ * kLanes + served_].data(), chunk.size);
    ++served_;
    digests_.push_back(chunk.digest);
    offset_ += chunk.size;
    return {bytes, detail::to_hex(chunk.digest)};
  }

  void finish() override {
    settle();
    if (!known_.empty()) {
      check_unchanged("'" + entry_.logical_key + "' does not match its entry: ");
      return;
    }
    // Not a byte more than the entry says.
    uint8_t extra = 0;
    if (offset_ != entry_.size || read_at(offset_, {&extra, 1}) != 0) {
      throw_wrong_length(entry_, path_);
    }
    if (!check_hash_) {
      // Hashed on the way up: kept for the hashing of the same, unchanged file that follows.
      check_unchanged("'" + entry_.logical_key + "': ");
      if (digests_.size() > 1) detail::remember_part_digests(identity_, opened_ns_, digests_);
      return;
    }
    Hash actual{HashType::kSha2256Chunked, detail::chunked_value(digests_)};
    if (actual != entry_.hash) throw_wrong_hash(entry_, actual, path_);
  }

 private:
  // Chunks read and hashed together, and the groups of buffers (one served, one read ahead).
  static constexpr size_t kLanes = 2;

  struct Prepared {
    size_t size = 0;
    detail::Sha256Digest digest{};
  };
  struct Group {
    size_t count = 0;
    std::array<Prepared, kLanes> chunks;
  };

  // Read the (up to kLanes) chunks from `offset` into the buffers of group `slot`, and hash
  // them together: SHA-NI runs several independent messages faster than one.
  Group prepare_group(uint64_t offset, int slot) const {
    Group out;
    std::array<std::span<const uint8_t>, kLanes> pieces;
    for (; out.count < kLanes && offset < entry_.size; ++out.count) {
      size_t size = static_cast<size_t>(std::min<uint64_t>(part_size_, entry_.size - offset));
      std::span<uint8_t> buffer(buffers_[static_cast<size_t>(slot) * kLanes + out.count].data(), size);
      if (read_at(offset, buffer) != size) throw_wrong_length(entry_, path_);
      out.chunks[out.count].size = size;
      pieces[out.count] = buffer;
      if (!known_.empty()) out.chunks[out.count].digest = known_[offset / part_size_];
      offset += size;
    }
    if (known_.empty()) {
      detail::Sha256Lanes sha(out.count);
      sha.update(std::span(pieces).first(out.count));
      std::vector<detail::Sha256Digest> digests = sha.finish();
      for (size_t j = 0; j < out.count; ++j) out.chunks[j].digest = digests[j];
    }
    return out;
  }

  // Corrupt (`lead` + the path + why) when the file was written to since it was opened.
  void check_unchanged(const std::string& lead) const {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) throw_io_error("cannot stat", path_, errno);
    if (detail::identity_of(st) != identity_) {
      throw Corrupt(lead + path_ + " was written to while it was being uploaded");
    }
  }

  // Wait for a chunk read ahead that will not be used (its error does not matter).
  void settle() {
    if (!ahead_.valid()) return;
    try {
      ahead_.get();
    } catch (...) {
    }
  }

  // Read up to out.size() bytes at `offset`; fewer only at the end of the file.
  size_t read_at(uint64_t offset, std::span<uint8_t> out) const {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,
                          static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io_error("cannot read", path_, errno);
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  static thread_local std::array<std::vector<uint8_t>, 2 * kLanes> thread_buffers;

  const ManifestEntry entry_;
  const bool check_hash_;
  std::string path_;
  UniqueFd fd_;
  uint64_t part_size_;
  std::array<std::vector<uint8_t>, 2 * kLanes>& buffers_;  // the constructing thread's
  int slot_ = 0;          // the group of buffers the next group is (or will be) read into
  int serving_slot_ = 0;  // the group of buffers next() serves from
  Group group_;           // the group being served
  size_t served_ = 0;     // its chunks handed out
  uint64_t offset_ = 0;
  std::vector<detail::Sha256Digest> digests_;
  std::future<Group> ahead_;
  detail::FileIdentity identity_;
  int64_t opened_ns_ = 0;  // the wall clock when the file was opened (before any read)
  std::vector<detail::Sha256Digest> known_;  // the part digests, when this process has them
};

thread_local std::array<std::vector<uint8_t>, 2 * VerifiedFileChunks::kLanes>
    VerifiedFileChunks::thread_buffers;

}  // namespace

std::unique_ptr<s3::ChunkSource> verified_file_chunks(const ManifestEntry& entry,
                                                      bool server_checks_chunks) {
  if (!entry.physical_key.is_local() || entry.hash.type != HashType::kSha2256Chunked) {
    throw InvalidArgument("'" + entry.logical_key + "': chunks of a local file with a " +
                          "sha2-256-chunked hash only");
  }
  return std::make_unique<VerifiedFileChunks>(entry, server_checks_chunks, true);
}

std::unique_ptr<s3::ChunkSource> hashing_file_chunks(const std::string& logical_key,
                                                     const std::string& path, uint64_t size) {
  ManifestEntry entry;
  entry.logical_key = logical_key;
  entry.physical_key = PhysicalKey::from_local_path(path);
  entry.size = size;
  entry.hash.type = HashType::kSha2256Chunked;
  return std::make_unique<VerifiedFileChunks>(entry, false, false);
}

std::vector<uint8_t> read_verified(const ManifestEntry& entry) {
  std::vector<uint8_t> out;
  if (!entry.physical_key.is_local()) {
    out.reserve(entry.size);
    copy_verified(entry, [&](std::span<const uint8_t> bytes) {
      out.insert(out.end(), bytes.begin(), bytes.end());
    });
    return out;
  }
  // Straight into the result (no bounce buffer: small files are many), one byte more than
  // the entry says so that a longer file shows.
  std::string source = entry.physical_key.local_path();
  UniqueFd fd = UniqueFd::open(source, O_RDONLY);
  out.resize(entry.size + 1);
  size_t copied = 0;
  while (copied < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + copied, out.size() - copied);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", source, errno);
    if (n == 0) break;
    copied += static_cast<size_t>(n);
  }
  if (copied != entry.size) throw_wrong_length(entry, source);
  out.resize(copied);
  StreamHasher hasher(entry.hash.type, entry.size);
  hasher.update(out);
  Hash actual = hasher.finish();
  if (actual != entry.hash) throw_wrong_hash(entry, actual, source);
  return out;
}

struct EntryVerifier::Impl {
  const ManifestEntry& entry;
  std::string source;
  StreamHasher hasher;
  uint64_t copied = 0;
};

EntryVerifier::EntryVerifier(const ManifestEntry& entry, std::string source)
    : impl_(new Impl{entry, std::move(source), StreamHasher(entry.hash.type, entry.size), 0}) {}

EntryVerifier::~EntryVerifier() = default;

void EntryVerifier::update(std::span<const uint8_t> bytes) {
  impl_->copied += bytes.size();
  if (impl_->copied > impl_->entry.size) {
    throw Corrupt("'" + impl_->entry.logical_key + "' does not match its entry: " + impl_->source +
                  " is longer than " + std::to_string(impl_->entry.size) + " bytes");
  }
  impl_->hasher.update(bytes);
}

void EntryVerifier::finish() {
  const ManifestEntry& entry = impl_->entry;
  if (impl_->copied != entry.size) {
    throw Corrupt("'" + entry.logical_key + "' does not match its entry: " + impl_->source +
                  " is " + std::to_string(impl_->copied) + " bytes, not " +
                  std::to_string(entry.size));
  }
  Hash actual = impl_->hasher.finish();
  if (actual != entry.hash) throw_wrong_hash(entry, actual, impl_->source);
}

}  // namespace quilt
