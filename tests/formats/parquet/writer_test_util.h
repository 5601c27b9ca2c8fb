#pragma once

// Helpers shared by the Parquet writer tests (writer_*_test.cc).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>
#include <stdexcept>
#include <string>

#include "formats/parquet/metadata.h"
#include "parquet_oracle.h"
#include "quilt/json.h"
#include "quilt/parquet.h"
#include "test_util.h"

namespace quilt::test {

using parquet::FileMetaData;

// Write `table` to dir/name and return the path.
inline std::string write(const TempDir& dir, const std::string& name, const Table& table,
                         const ParquetWriteOptions& options = {}) {
  std::string path = (dir.path() / name).string();
  write_parquet_file(table, path, options);
  return path;
}

// Run the oracle (three readers, statistics check) and require no problem.
inline Json check(const std::string& path) {
  OracleReport report = check_parquet(path);
  EXPECT_EQ(report.exit_code, 0) << path << "\n" << report.problems();
  return report.summary;
}

inline const Json& find_named(const Json& list, const std::string& name) {
  for (const Json& item : list.as_array()) {
    if (item.find("name")->as_string() == name) return item;
  }
  throw std::runtime_error("no entry named " + name);
}

inline const Json& summary_column(const Json& summary, const std::string& name) {
  return find_named(*summary.find("columns"), name);
}

inline const Json& summary_schema(const Json& summary, const std::string& name) {
  return find_named(*summary.find("schema"), name);
}

inline std::string text(const Json& object, const std::string& key) {
  const Json* v = object.find(key);
  if (v == nullptr || v->is_null()) return "<absent>";
  if (v->is_string()) return v->as_string();
  return v->canonical();
}

// Read the footer with our own decoder (the metadata building block).
inline FileMetaData footer_of(const std::string& path) {
  std::string bytes = read_file(path);
  uint32_t length;
  std::memcpy(&length, bytes.data() + bytes.size() - 8, 4);
  return parquet::read_file_metadata(
      {reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size() - 8 - length, length},
      "footer of " + path);
}

// Walk the pages of every column chunk with our page-header decoder and
// check the offsets and sizes the footer gives; return what each column's
// chunks hold (summed over row groups).
struct ChunkPages {
  int data_pages = 0;
  int dictionary_pages = 0;
  int64_t largest_dictionary_page = 0;  // uncompressed bytes
  std::set<parquet::Encoding> data_page_encodings;
};

inline std::vector<ChunkPages> walk_pages(const std::string& path) {
  std::string file = read_file(path);
  const auto* bytes = reinterpret_cast<const uint8_t*>(file.data());
  FileMetaData footer = footer_of(path);
  std::vector<ChunkPages> pages(footer.schema.size() - 1);
  int64_t rows = 0;
  for (const parquet::RowGroup& group : footer.row_groups) {
    rows += group.num_rows;
    for (size_t c = 0; c < group.columns.size(); ++c) {
      const parquet::ColumnMetaData& m = *group.columns[c].meta_data;
      int64_t pos = m.dictionary_page_offset.value_or(m.data_page_offset);
      EXPECT_EQ(group.columns[c].file_offset, pos);
      const int64_t chunk_end = pos + m.total_compressed_size;
      int64_t uncompressed = 0;
      int64_t values = 0;
      bool first = true;
      while (pos < chunk_end) {
        parquet::CompactReader reader({bytes + pos, static_cast<size_t>(chunk_end - pos)},
                                      "page header");
        parquet::PageHeader h = parquet::read_page_header(reader);
        if (h.type == parquet::PageType::kDictionaryPage) {
          EXPECT_TRUE(first) << "dictionary page after a data page";
          EXPECT_EQ(m.dictionary_page_offset, pos);
          ++pages[c].dictionary_pages;
          pages[c].largest_dictionary_page =
              std::max<int64_t>(pages[c].largest_dictionary_page, h.uncompressed_page_size);
        } else {
          if (values == 0) {
            EXPECT_EQ(m.data_page_offset, pos);
          }
          values += h.data_page_header->num_values;
          ++pages[c].data_pages;
          pages[c].data_page_encodings.insert(h.data_page_header->encoding);
        }
        first = false;
        uncompressed += static_cast<int64_t>(reader.position()) + h.uncompressed_page_size;
        pos += static_cast<int64_t>(reader.position()) + h.compressed_page_size;
      }
      EXPECT_EQ(pos, chunk_end);
      EXPECT_EQ(uncompressed, m.total_uncompressed_size);
      EXPECT_EQ(values, group.num_rows);
      EXPECT_EQ(m.num_values, group.num_rows);
    }
  }
  EXPECT_EQ(rows, footer.num_rows);
  return pages;
}

// Return the statistics of column `c` in row group `g`.
inline parquet::Statistics stats_of(const FileMetaData& footer, size_t c, size_t g = 0) {
  return footer.row_groups.at(g).columns.at(c).meta_data->statistics.value();
}

// Return the bytes of `value` as PLAIN encodes it.
template <class T>
std::string plain(T value) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

}  // namespace quilt::test
