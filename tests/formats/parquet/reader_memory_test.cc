// The reader's output memory: string data that would pass what int32 offsets address is refused
// with an error naming the column, and buffers come back zeroed and aligned.

#include <gtest/gtest.h>

#include <cstring>

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

}  // namespace
}  // namespace quilt::parquet
