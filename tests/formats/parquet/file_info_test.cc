// read_parquet_info and ParquetByteSource: the footer alone describes the file, and a read of
// some row groups through a byte source touches only those row groups' bytes and the footer.

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "parquet_oracle.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "test_util.h"

namespace quilt::test {
namespace {

// A byte source over a file's bytes in memory that records every range asked for.
struct RecordingSource {
  std::string bytes;
  std::mutex mu;
  std::vector<std::pair<uint64_t, uint64_t>> reads;  // [begin, end)
  ParquetByteSource source;

  explicit RecordingSource(const std::string& path) : bytes(read_file(path)) {
    source.name = path;
    source.size = bytes.size();
    source.read_at = [this](uint64_t offset, std::span<uint8_t> out) {
      ASSERT_LE(offset + out.size(), bytes.size());
      std::copy_n(bytes.data() + offset, out.size(), out.data());
      std::lock_guard lock(mu);
      reads.emplace_back(offset, offset + out.size());
    };
  }
};

Table numbers(int64_t rows) {
  std::vector<int64_t> a;
  std::vector<std::string> s;
  for (int64_t i = 0; i < rows; ++i) {
    a.push_back(i * 3);
    s.push_back(std::string("s").append(std::to_string(i % 11)));
  }
  return Table::make({Column::from_values("a", a), Column::from_strings("s", s)});
}

TEST(HeadSchemaInfo, FooterDescribesOurFile) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  ParquetWriteOptions options;
  options.row_group_size = 300;
  options.compression = ParquetCompression::kZstd;
  write_parquet_file(numbers(1000), path, options);
  ParquetFileInfo info = read_parquet_info_file(path);
  EXPECT_EQ(info.num_rows, 1000);
  ASSERT_EQ(info.row_groups.size(), 4u);
  EXPECT_EQ(info.row_groups[3].num_rows, 100);
  EXPECT_EQ(info.row_groups[0].codecs, std::vector<std::string>{"ZSTD"});
  ASSERT_EQ(info.columns.size(), 2u);
  EXPECT_EQ(info.columns[0].name, "a");
  EXPECT_EQ(*info.columns[0].type, DataType::int64());
  EXPECT_EQ(info.columns[0].physical_type, "INT64");
  EXPECT_EQ(info.columns[1].logical_type, "STRING");
  EXPECT_TRUE(info.columns[1].nullable);  // every column OPTIONAL, as pyarrow writes them
  EXPECT_EQ(info.metadata_keys, std::vector<std::string>{"pandas"});
  ASSERT_TRUE(info.created_by);
  EXPECT_TRUE(contains(*info.created_by, "quiltcpp")) << *info.created_by;
  EXPECT_EQ(info.file_size, std::filesystem::file_size(path));
  // Row groups follow each other and sum to the file's data.
  for (size_t g = 1; g < info.row_groups.size(); ++g) {
    EXPECT_LE(info.row_groups[g - 1].end_byte, info.row_groups[g].first_byte);
  }
}

TEST(HeadSchemaInfo, ByteSourceReadsOnlyTheFooterAndTheChosenRowGroups) {
  TempDir dir;
  std::string path = (dir.path() / "d.parquet").string();
  duckdb_sql("COPY (SELECT range AS a, 'v' || (range % 7) AS s FROM range(10000)) TO '" + path +
             "' (FORMAT parquet, ROW_GROUP_SIZE 2048)");
  RecordingSource recorder(path);
  ParquetFileInfo info = read_parquet_info(recorder.source);
  ASSERT_EQ(info.row_groups.size(), 5u);
  uint64_t footer_start = info.row_groups.back().end_byte;
  // The magic at the front, the tail, the footer: nothing of the column chunks.
  EXPECT_EQ(recorder.reads.size(), 3u);
  for (auto [begin, end] : recorder.reads) {
    EXPECT_TRUE(end <= 4 || begin >= footer_start) << begin << ".." << end;
  }
  recorder.reads.clear();
  Table t = read_parquet(recorder.source, {.row_groups = std::vector<int>{1}});
  ASSERT_EQ(t.num_rows(), 2048);
  EXPECT_EQ(t.column(0).values<int64_t>()[0], 2048);
  const ParquetRowGroupInfo& wanted = info.row_groups[1];
  for (auto [begin, end] : recorder.reads) {
    bool in_group = begin >= wanted.first_byte && end <= wanted.end_byte;
    bool in_footer = begin >= footer_start || end <= 4;
    EXPECT_TRUE(in_group || in_footer) << begin << ".." << end;
  }
  EXPECT_TRUE(t.equals(read_parquet_file(path, {.row_groups = std::vector<int>{1}})));
}

TEST(HeadSchemaInfo, BadFilesAreCorruptNamingThem) {
  TempDir dir;
  std::string junk = dir.write("junk.parquet", "PAR1 not a footer PAR1");
  std::string message = error_of<Corrupt>([&] { read_parquet_info_file(junk); });
  EXPECT_TRUE(contains(message, junk)) << message;
  std::string path = (dir.path() / "x.parquet").string();
  write_parquet_file(numbers(10), path);
  std::string bytes = read_file(path);
  // A damaged end magic (a truncated file looks like this).
  std::string cut = dir.write("cut.parquet", bytes.substr(0, bytes.size() - 3) + "PAR");
  EXPECT_THROW(read_parquet_info_file(cut), Corrupt);
  EXPECT_THROW(read_parquet_info_file((dir.path() / "none.parquet").string()), IoError);
}

}  // namespace
}  // namespace quilt::test
