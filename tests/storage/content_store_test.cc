#include "storage/content_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

constexpr char kEmptyChunked[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
constexpr char kEmptySha256Hex[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::vector<std::string> files_below(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string() + (e.is_directory() ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string pattern(size_t size, int seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i * 31 + seed + (i >> 13));
  return s;
}

class ContentStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ContentStore store_{(dir_.path() / "data").string()};
  ThreadPool pool_{2};
  fs::path objects_ = dir_.path() / "data" / "objects";
};

TEST_F(ContentStoreTest, PathLayoutIsTypeThenHexFanOut) {
  EXPECT_EQ(store_.objects_dir(), objects_.string());
  std::string hex = kEmptySha256Hex;
  std::string tail = hex.substr(0, 2) + "/" + hex.substr(2);
  EXPECT_EQ(store_.path_for({HashType::kSha2256Chunked, kEmptyChunked}),
            (objects_ / "sha2-256-chunked").string() + "/" + tail);
  // SHA256 values are hex already; uppercase hex names the same object.
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(store_.path_for({HashType::kSha256, upper}),
            (objects_ / "SHA256").string() + "/" + tail);
  // CRC-64/NVME of "123456789" is 0xae8b14860a799888.
  EXPECT_EQ(store_.path_for({HashType::kCrc64Nvme, "rosUhgp5mIg="}),
            (objects_ / "CRC64NVME" / "ae" / "8b14860a799888").string());
}

TEST_F(ContentStoreTest, MalformedHashValuesAreRefused) {
  for (const Hash& bad : std::vector<Hash>{
           {HashType::kSha2256Chunked, "not base64!"},
           {HashType::kSha2256Chunked, "rosUhgp5mIg="},  // 8 bytes, not 32
           {HashType::kSha2256Chunked, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV="},  // bits
           {HashType::kSha2256Chunked, ""},
           {HashType::kSha256, "e3b0"},
           {HashType::kSha256, std::string(64, 'g')},
           {HashType::kSha256, "../" + std::string(61, 'a')},
           {HashType::kCrc64Nvme, "rosUhgp5mIg"},
       }) {
    SCOPED_TRACE(bad.value);
    EXPECT_THROW(store_.path_for(bad), InvalidArgument);
    EXPECT_THROW(store_.path_of(bad), InvalidArgument);
  }
}

TEST_F(ContentStoreTest, PutFileStoresAVerifiedReadOnlyCopy) {
  std::string bytes = pattern(100000, 1);
  std::string src = dir_.write("src.bin", bytes);
  Hash hash = hash_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  EXPECT_EQ(store_.path_of(hash), std::nullopt);
  std::string path = store_.put_file(src, hash, pool_);
  EXPECT_EQ(path, store_.path_for(hash));
  EXPECT_EQ(store_.path_of(hash), path);
  EXPECT_EQ(read_file(path), bytes);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u);
  // Storing it again is a no-op returning the same path.
  EXPECT_EQ(store_.put_file(src, hash, pool_), path);
  EXPECT_EQ(files_below(objects_).size(), 3u);  // type dir, fan-out dir, object: no temp file
}

TEST_F(ContentStoreTest, PutFileHandlesEveryHashType) {
  std::string src = dir_.write("nine", "123456789");
  for (HashType type : {HashType::kSha256, HashType::kSha2256Chunked, HashType::kCrc64Nvme}) {
    Hash hash = hash_file(src, type, pool_).hash;
    std::string path = store_.put_file(src, hash, pool_);
    EXPECT_EQ(read_file(path), "123456789");
    EXPECT_NE(path.find(std::string(hash_type_name(type))), std::string::npos);
  }
  EXPECT_EQ(store_.path_of({HashType::kCrc64Nvme, "rosUhgp5mIg="}),
            (objects_ / "CRC64NVME" / "ae" / "8b14860a799888").string());
}

TEST_F(ContentStoreTest, PutFileOfManyPartsHashesOnThePool) {
  std::string bytes = pattern((size_t{8} << 20) * 2 + 12345, 2);
  std::string src = dir_.write("big.bin", bytes);
  Hash hash = hash_file(src, HashType::kSha2256Chunked, pool_).hash;
  std::string path = store_.put_file(src, hash, pool_);
  EXPECT_EQ(read_file(path), bytes);
}

TEST_F(ContentStoreTest, MismatchIsCorruptAndStoresNothing) {
  std::string src = dir_.write("src.txt", "actual bytes");
  Hash wrong{HashType::kSha2256Chunked, kEmptyChunked};
  Hash actual = hash_file(src, HashType::kSha2256Chunked, pool_).hash;
  try {
    store_.put_file(src, wrong, pool_);
    FAIL() << "no Corrupt";
  } catch (const Corrupt& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(src), std::string::npos) << what;
    EXPECT_NE(what.find(kEmptyChunked), std::string::npos) << what;
    EXPECT_NE(what.find(actual.value), std::string::npos) << what;
  }
  EXPECT_EQ(store_.path_of(wrong), std::nullopt);
  EXPECT_EQ(store_.path_of(actual), std::nullopt);
  EXPECT_TRUE(files_below(objects_).empty()) << ::testing::PrintToString(files_below(objects_));
}

TEST_F(ContentStoreTest, MissingSourceIsAnIoErrorNamingIt) {
  std::string src = (dir_.path() / "nope").string();
  try {
    store_.put_file(src, {HashType::kSha2256Chunked, kEmptyChunked}, pool_);
    FAIL() << "no throw";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(src), std::string::npos) << e.what();
  }
}

TEST_F(ContentStoreTest, PutStreamStoresUnderTheComputedHash) {
  std::string bytes = pattern(3 * 100003, 3);
  std::unique_ptr<ContentWriter> writer = store_.put_stream();
  for (size_t at = 0; at < bytes.size(); at += 100003) {
    writer->write(std::string_view(bytes).substr(at, 100003));
  }
  EXPECT_TRUE(files_below(objects_).size() == 1u);  // only the hidden temp file so far
  ContentObject object = writer->commit_object();
  Hash expected = hash_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  EXPECT_EQ(object.hash, expected);
  EXPECT_EQ(object.size, bytes.size());
  EXPECT_EQ(object.path, store_.path_for(expected));
  EXPECT_EQ(read_file(object.path), bytes);
  EXPECT_EQ(store_.path_of(expected), object.path);
  EXPECT_THROW(writer->commit_object(), Error);
}

TEST_F(ContentStoreTest, PutStreamIsAWriterSink) {
  ContentWriteOptions options;
  options.type = HashType::kSha256;
  std::unique_ptr<ContentWriter> content = store_.put_stream(options);
  Writer& sink = *content;
  sink.write("");
  ObjectInfo info = sink.commit();
  EXPECT_EQ(info.key, "SHA256/e3/" + std::string(kEmptySha256Hex).substr(2));
  EXPECT_EQ(info.size, 0u);
  EXPECT_EQ(read_file((objects_ / info.key).string()), "");
}

TEST_F(ContentStoreTest, PutStreamWithPoolAndSizeHashesLargeStreams) {
  std::string bytes = pattern((size_t{8} << 20) + 777, 4);
  std::unique_ptr<ContentWriter> writer =
      store_.put_stream({.expected_size = bytes.size(), .pool = &pool_});
  for (size_t at = 0; at < bytes.size(); at += 1 << 20) {
    writer->write(std::string_view(bytes).substr(at, 1 << 20));
  }
  ContentObject object = writer->commit_object();
  EXPECT_EQ(object.hash,
            hash_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
  EXPECT_EQ(read_file(object.path), bytes);
}

TEST_F(ContentStoreTest, UncommittedStreamLeavesNothing) {
  {
    std::unique_ptr<ContentWriter> writer = store_.put_stream();
    writer->write("never stored");
  }
  EXPECT_TRUE(files_below(objects_).empty()) << ::testing::PrintToString(files_below(objects_));
}

TEST_F(ContentStoreTest, SameBytesTwiceShareOneObject) {
  std::vector<std::thread> threads;
  std::vector<std::string> paths(6);
  std::atomic<int> errors{0};
  for (size_t i = 0; i < paths.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        std::unique_ptr<ContentWriter> w = store_.put_stream();
        w->write("same bytes");
        paths[i] = w->commit_object().path;
      } catch (...) {
        ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  for (const std::string& p : paths) EXPECT_EQ(p, paths[0]);
  EXPECT_EQ(read_file(paths[0]), "same bytes");
  EXPECT_EQ(files_below(objects_).size(), 3u);  // no temp files left
}

TEST_F(ContentStoreTest, RemoveDeletesAndIgnoresMissing) {
  std::unique_ptr<ContentWriter> w = store_.put_stream();
  w->write("to remove");
  ContentObject object = w->commit_object();
  store_.remove(object.hash);
  EXPECT_EQ(store_.path_of(object.hash), std::nullopt);
  EXPECT_NO_THROW(store_.remove(object.hash));
  EXPECT_NO_THROW(store_.remove({HashType::kSha2256Chunked, kEmptyChunked}));
}

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvVar() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultDataDir, FollowsXdgDataHome) {
  EnvVar home("HOME", "/home/someone");
  {
    EnvVar xdg("XDG_DATA_HOME", "/xdg/data");
    EXPECT_EQ(default_data_dir(), "/xdg/data/quiltcpp");
  }
  {
    EnvVar xdg("XDG_DATA_HOME", nullptr);
    EXPECT_EQ(default_data_dir(), "/home/someone/.local/share/quiltcpp");
  }
  {
    EnvVar xdg("XDG_DATA_HOME", "relative/ignored");
    EXPECT_EQ(default_data_dir(), "/home/someone/.local/share/quiltcpp");
  }
  {
    EnvVar xdg("XDG_DATA_HOME", "");
    EXPECT_EQ(default_data_dir(), "/home/someone/.local/share/quiltcpp");
  }
}

}  // namespace
}  // namespace quilt::test
