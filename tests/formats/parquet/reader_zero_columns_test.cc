// A table without columns keeps its row count in the footer only (no row
// group can hold rows without a column chunk): the reader must take it from
// there, as pyarrow does, not refuse the file.
#include <gtest/gtest.h>

#include "quilt/parquet.h"
#include "test_util.h"

namespace quilt {
namespace {

TEST(ParquetReaderZeroColumns, RowCountFromTheFooter) {
  test::TempDir dir;
  for (int64_t rows : {0, 1, 5, 3000000}) {
    // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "t" + to_string(...).
    std::string name = "t";
    name += std::to_string(rows);
    name += ".parquet";
    std::string path = (dir.path() / name).string();
    write_parquet_file(Table::make({}, {}, rows), path);
    Table back = read_parquet_file(path);
    EXPECT_EQ(back.num_columns(), 0);
    EXPECT_EQ(back.num_rows(), rows);
  }
}

}  // namespace
}  // namespace quilt
