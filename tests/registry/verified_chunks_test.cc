// The chunks a push uploads a large local file in (verified_file_chunks): each with the SHA-256
// of its bytes, checked against the entry at the end; and, when the upload signs every chunk,
// the part digests this process computed while hashing the file, trusted only while the file
// is not written to.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/part_digest_cache.h"
#include "core/sha256.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/manifest.h"
#include "quilt/physical_key.h"
#include "quilt/thread_pool.h"
#include "registry/verified_copy.h"
#include "test_util.h"

namespace quilt::test {
namespace {

constexpr size_t kPart = size_t{8} << 20;

class VerifiedChunksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bytes(2 * kPart + 4321, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    path_ = tmp_.write("big.bin", bytes);
    // A file changed within the last moments is not remembered (part_digest_cache.h).
    std::this_thread::sleep_for(std::chrono::nanoseconds(2 * detail::kRacyNs));
    FileHash hashed = hash_file(path_, HashType::kSha2256Chunked, pool_);  // remembers the parts
    entry_.logical_key = "big.bin";
    entry_.physical_key = PhysicalKey::from_local_path(path_);
    entry_.size = hashed.size;
    entry_.hash = hashed.hash;
  }

  // Take every chunk, checking each digest against its bytes; the bytes of all of them.
  std::string drain(s3::ChunkSource& source) {
    source.rewind();
    std::string all;
    while (all.size() < entry_.size) {
      s3::ChunkSource::Chunk chunk = source.next();
      EXPECT_EQ(chunk.sha256_hex, detail::to_hex(detail::sha256(chunk.bytes)));
      all.append(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size());
    }
    return all;
  }

  // Overwrite one byte in place, keeping the size (and, as a careful tool might, the mtime).
  void flip_byte(uint64_t offset) {
    struct stat before;
    ASSERT_EQ(::stat(path_.c_str(), &before), 0);
    int fd = ::open(path_.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char c = 0;
    ASSERT_EQ(::pread(fd, &c, 1, static_cast<off_t>(offset)), 1);
    c = static_cast<char>(c ^ 1);
    ASSERT_EQ(::pwrite(fd, &c, 1, static_cast<off_t>(offset)), 1);
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::futimens(fd, times), 0);
    ::close(fd);
  }

  TempDir tmp_;
  ThreadPool pool_{2};
  std::string path_;
  ManifestEntry entry_;
};

TEST_F(VerifiedChunksTest, ChunksAreThePartsOfTheHashWithTheirDigests) {
  for (bool signed_upload : {false, true}) {
    SCOPED_TRACE(signed_upload);
    std::unique_ptr<s3::ChunkSource> source = verified_file_chunks(entry_, signed_upload);
    EXPECT_EQ(source->chunk_size(), kPart);
    EXPECT_EQ(drain(*source), read_file(path_));
    EXPECT_NO_THROW(source->finish());
    // Again from the start, as a retry does.
    EXPECT_EQ(drain(*source), read_file(path_));
    EXPECT_NO_THROW(source->finish());
  }
}

TEST_F(VerifiedChunksTest, AFileChangedSinceItWasHashedFailsAtTheEnd) {
  flip_byte(kPart + 17);
  for (bool signed_upload : {false, true}) {
    SCOPED_TRACE(signed_upload);
    // The change moved the file's identity: nothing remembered applies, every chunk is hashed.
    std::unique_ptr<s3::ChunkSource> source = verified_file_chunks(entry_, signed_upload);
    drain(*source);
    std::string message = error_of<Corrupt>([&] { source->finish(); });
    EXPECT_TRUE(contains(message, "'big.bin' does not match its hash")) << message;
    EXPECT_TRUE(contains(message, path_)) << message;
  }
}

TEST_F(VerifiedChunksTest, AWriteDuringASignedUploadFailsAtTheEnd) {
  std::unique_ptr<s3::ChunkSource> source = verified_file_chunks(entry_, true);
  source->rewind();
  source->next();
  flip_byte(2 * kPart + 5);  // in the last chunk, not yet read
  source->next();
  source->next();
  std::string message = error_of<Corrupt>([&] { source->finish(); });
  EXPECT_TRUE(contains(message, "written to while it was being uploaded")) << message;
}

TEST_F(VerifiedChunksTest, ALongerOrShorterFileFailsByName) {
  tmp_.write("big.bin", read_file(path_) + "x");
  std::unique_ptr<s3::ChunkSource> longer = verified_file_chunks(entry_, true);
  drain(*longer);
  std::string message = error_of<Corrupt>([&] { longer->finish(); });
  EXPECT_TRUE(contains(message, "is not " + std::to_string(entry_.size) + " bytes")) << message;
  tmp_.write("big.bin", read_file(path_).substr(0, kPart + 3));
  std::unique_ptr<s3::ChunkSource> shorter = verified_file_chunks(entry_, true);
  shorter->rewind();
  // The short chunk is found when it is read (chunks are read ahead, two at a time).
  message = error_of<Corrupt>([&] {
    shorter->next();
    shorter->next();
  });
  EXPECT_TRUE(contains(message, "'big.bin'")) << message;
}

TEST(PartDigestCache, DigestsComeBackOnlyForTheSameIdentity) {
  detail::FileIdentity id{1, 2, 3, 4, 5};
  const int64_t later = 5 + detail::kRacyNs + 1;
  detail::remember_part_digests(id, later, {detail::Sha256Digest{}, detail::Sha256Digest{}});
  ASSERT_TRUE(detail::recall_part_digests(id));
  EXPECT_EQ(detail::recall_part_digests(id)->size(), 2u);
  for (auto moved : {detail::FileIdentity{1, 2, 4, 4, 5}, detail::FileIdentity{1, 2, 3, 9, 5},
                     detail::FileIdentity{1, 2, 3, 4, 9}, detail::FileIdentity{1, 7, 3, 4, 5}}) {
    EXPECT_FALSE(detail::recall_part_digests(moved));
  }
  // Changed just before it was read: not remembered.
  detail::FileIdentity racy{1, 3, 3, 4, 5};
  detail::remember_part_digests(racy, later - 2, {detail::Sha256Digest{}, detail::Sha256Digest{}});
  EXPECT_FALSE(detail::recall_part_digests(racy));
}

}  // namespace
}  // namespace quilt::test
