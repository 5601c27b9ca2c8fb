// The reader's output memory: string data that would pass what int32 offsets address is refused
// with an error naming the column, and buffers come back zeroed and aligned.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "formats/parquet/reader.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

TEST(ParquetReaderMemory, StringDataOver2GiBIsRefusedNamingTheColumn) {
  GrowingData data(false, "big.parquet: column 's'");
  uint8_t* p = data.room(1000);
  std::memset(p, 'x', 1000);
  data.advance(1000);
  try {
    data.room(size_t{1} << 31);
    FAIL() << "accepted more than 2 GiB";
  } catch (const InvalidArgument& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("big.parquet: column 's'"), std::string::npos) << what;
    EXPECT_NE(what.find("2 GiB"), std::string::npos) << what;
  }
  Buffer b = data.finish();
  ASSERT_EQ(b.size(), 1000u);
  EXPECT_EQ(b.data()[999], 'x');
}

TEST(ParquetReaderMemory, OutputBuffersAreZeroedAndAligned) {
  for (size_t size : {size_t{0}, size_t{100}, size_t{5} << 20}) {
    OutputBuffer out = allocate_output(size, true, "x");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(out.data) % 64, 0u);
    for (size_t i = 0; i < size; i += 4096) ASSERT_EQ(out.data[i], 0) << i;
  }
}

// The transparent-huge-page mode of this kernel ("always", "madvise" or
// "never"), or "" when it has none.
std::string huge_page_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  std::getline(in, text);
  const size_t open = text.find('[');
  const size_t close = text.find(']');
  return open == std::string::npos || close == std::string::npos
             ? ""
             : text.substr(open + 1, close - open - 1);
}

// The kB of huge pages backing the mapping of this process that holds `p`.
long huge_kib_at(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto address = reinterpret_cast<uintptr_t>(p);
  bool inside = false;
  std::string line;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0;
    uintptr_t end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= address && address < end;
    } else if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::stol(line.substr(14));
    }
  }
  return -1;
}

// Column buffers of 2 MiB or more ask for huge pages (a fault per 2 MiB, not
// per 4 KiB: reading took half the time): where the kernel gives them on
// request, they are there.
TEST(ParquetReaderMemory, LargeOutputBuffersGetHugePages) {
  if (huge_page_mode() != "madvise" && huge_page_mode() != "always") {
    GTEST_SKIP() << "no transparent huge pages on request here";
  }
  OutputBuffer out = allocate_output(size_t{16} << 20, true, "x");
  EXPECT_GT(huge_kib_at(out.data + (size_t{8} << 20)), 0);
  GrowingData data(true, "s");
  uint8_t* p = data.room(size_t{12} << 20);
  std::memset(p, 'y', size_t{12} << 20);
  data.advance(size_t{12} << 20);
  Buffer strings = data.finish();
  EXPECT_GT(huge_kib_at(strings.data() + (size_t{4} << 20)), 0);
}

}  // namespace
}  // namespace quilt::parquet
