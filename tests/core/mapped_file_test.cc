#include "core/mapped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

namespace fs = std::filesystem;

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "quilt_mapped_file_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "data").string();
    bytes_.resize(3 * 4096 + 123);
    for (size_t i = 0; i < bytes_.size(); ++i) bytes_[i] = static_cast<uint8_t>(i * 7 + 1);
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes_.data()),
              static_cast<std::streamsize>(bytes_.size()));
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path dir_;
  std::string path_;
  std::vector<uint8_t> bytes_;
};

TEST_F(MappedFileTest, MapsAnyOffsetAndLength) {
  UniqueFd fd = UniqueFd::open(path_, O_RDONLY);
  for (uint64_t offset : {0u, 1u, 4095u, 4096u, 5000u}) {
    size_t length = bytes_.size() - offset;
    MappedFile map = MappedFile::map(fd.get(), offset, length, path_, {.populate = true});
    ASSERT_EQ(map.size(), length);
    EXPECT_TRUE(std::equal(map.bytes().begin(), map.bytes().end(), bytes_.begin() + offset))
        << "offset " << offset;
  }
}

TEST_F(MappedFileTest, ZeroLengthMapsNothing) {
  UniqueFd fd = UniqueFd::open(path_, O_RDONLY);
  MappedFile map = MappedFile::map(fd.get(), 0, 0, path_);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_TRUE(map.bytes().empty());
}

TEST_F(MappedFileTest, MoveTransfersTheMapping) {
  UniqueFd fd = UniqueFd::open(path_, O_RDONLY);
  MappedFile first = MappedFile::map(fd.get(), 10, 100, path_);
  const uint8_t* data = first.bytes().data();
  MappedFile second = std::move(first);
  EXPECT_EQ(first.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(second.bytes().data(), data);
  EXPECT_EQ(second.bytes()[0], bytes_[10]);
  second = MappedFile::map(fd.get(), 0, 5, path_);
  EXPECT_EQ(second.bytes()[4], bytes_[4]);
}

TEST_F(MappedFileTest, BadDescriptorIsIoErrorNamingThePath) {
  try {
    MappedFile::map(-1, 0, 10, "some/path");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot map 'some/path'"), std::string::npos) << e.what();
    EXPECT_EQ(e.error_number(), EBADF);
  }
}

TEST_F(MappedFileTest, UniqueFdClosesAndReleases) {
  int raw;
  {
    UniqueFd fd = UniqueFd::open(path_, O_RDONLY);
    raw = fd.get();
    EXPECT_TRUE(fd.is_valid());
    EXPECT_NE(::fcntl(raw, F_GETFD) & FD_CLOEXEC, 0);
    UniqueFd moved = std::move(fd);
    EXPECT_FALSE(fd.is_valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(moved.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed by the destructor
  UniqueFd kept = UniqueFd::open(path_, O_RDONLY);
  int released = kept.release();
  EXPECT_FALSE(kept.is_valid());
  EXPECT_NE(::fcntl(released, F_GETFD), -1);
  ::close(released);
}

TEST_F(MappedFileTest, UniqueFdOpenFailureNamesThePath) {
  std::string missing = (dir_ / "missing").string();
  try {
    UniqueFd::open(missing, O_RDONLY);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open '" + missing + "'"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.error_number(), ENOENT);
  }
}

}  // namespace
}  // namespace quilt
