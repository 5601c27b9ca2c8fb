// The Arrow C Data Interface: export -> import round trips (zero-copy by
// pointer identity, release counted), the specification's own examples built
// by hand as an independent C producer would (malloc'd buffers, its own release
// callbacks), an imported table written as Parquet and read by the oracle's
// independent readers, and bad input (always an error naming field and format,
// never a leak).
#include "quilt/arrow_c.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "parquet_oracle.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "test_util.h"

namespace quilt::test {
namespace {

// ---------------------------------------------------------------------------
// An independent producer, written in C style against the specification only:
// every string, buffer, pointer array and child struct is malloc'd, and the
// release callbacks free them. Each struct carries a malloc'd token in
// private_data; `live` holds the tokens not yet released, so a leak or a
// double release shows.

struct Tally {
  int schema_releases = 0;
  int array_releases = 0;
  std::set<void*> live;
};
Tally g_tally;

void* new_token() {
  void* token = std::malloc(1);
  g_tally.live.insert(token);
  return token;
}

void drop_token(void* token) {
  EXPECT_EQ(g_tally.live.erase(token), 1u) << "released twice, or never produced";
  std::free(token);
}

char* c_string(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

void c_release_schema(ArrowSchema* s) {
  ASSERT_NE(s->release, nullptr);
  for (int64_t i = 0; i < s->n_children; ++i) {
    if (s->children[i]->release != nullptr) s->children[i]->release(s->children[i]);
    std::free(s->children[i]);
  }
  std::free(s->children);
  if (s->dictionary != nullptr) {
    if (s->dictionary->release != nullptr) s->dictionary->release(s->dictionary);
    std::free(s->dictionary);
  }
  std::free(const_cast<char*>(s->format));
  std::free(const_cast<char*>(s->name));
  std::free(const_cast<char*>(s->metadata));
  drop_token(s->private_data);
  s->release = nullptr;
  ++g_tally.schema_releases;
}

void c_release_array(ArrowArray* a) {
  ASSERT_NE(a->release, nullptr);
  for (int64_t i = 0; i < a->n_children; ++i) {
    if (a->children[i]->release != nullptr) a->children[i]->release(a->children[i]);
    std::free(a->children[i]);
  }
  std::free(a->children);
  if (a->dictionary != nullptr) {
    if (a->dictionary->release != nullptr) a->dictionary->release(a->dictionary);
    std::free(a->dictionary);
  }
  for (int64_t i = 0; i < a->n_buffers; ++i) std::free(const_cast<void*>(a->buffers[i]));
  std::free(a->buffers);
  drop_token(a->private_data);
  a->release = nullptr;
  ++g_tally.array_releases;
}

template <class T>
T* c_heap(const T& value) {
  T* p = static_cast<T*>(std::malloc(sizeof(T)));
  *p = value;
  return p;
}

ArrowSchema c_schema(const std::string& format, const std::string& name,
                     int64_t flags = ARROW_FLAG_NULLABLE, std::vector<ArrowSchema> children = {},
                     std::optional<ArrowSchema> dictionary = {}, const std::string& metadata = {}) {
  ArrowSchema s{};
  s.format = c_string(format);
  s.name = c_string(name);
  if (!metadata.empty()) {
    char* m = static_cast<char*>(std::malloc(metadata.size()));
    std::memcpy(m, metadata.data(), metadata.size());
    s.metadata = m;
  }
  s.flags = flags;
  s.n_children = static_cast<int64_t>(children.size());
  if (!children.empty()) {
    s.children = static_cast<ArrowSchema**>(std::malloc(sizeof(ArrowSchema*) * children.size()));
    for (size_t i = 0; i < children.size(); ++i) s.children[i] = c_heap(children[i]);
  }
  if (dictionary) s.dictionary = c_heap(*dictionary);
  s.release = c_release_schema;
  s.private_data = new_token();
  return s;
}

// A buffer's bytes, or std::nullopt for a null pointer.
using CBuffer = std::optional<std::string>;

ArrowArray c_array(int64_t length, int64_t null_count, int64_t offset,
                   const std::vector<CBuffer>& buffers, std::vector<ArrowArray> children = {},
                   std::optional<ArrowArray> dictionary = {}) {
  ArrowArray a{};
  a.length = length;
  a.null_count = null_count;
  a.offset = offset;
  a.n_buffers = static_cast<int64_t>(buffers.size());
  a.buffers = static_cast<const void**>(std::malloc(sizeof(void*) * (buffers.size() + 1)));
  for (size_t i = 0; i < buffers.size(); ++i) {
    void* p = nullptr;
    if (buffers[i]) {
      p = std::malloc(buffers[i]->size() + 1);  // malloc aligns to 16: enough for any type
      std::memcpy(p, buffers[i]->data(), buffers[i]->size());
    }
    a.buffers[i] = p;
  }
  a.n_children = static_cast<int64_t>(children.size());
  if (!children.empty()) {
    a.children = static_cast<ArrowArray**>(std::malloc(sizeof(ArrowArray*) * children.size()));
    for (size_t i = 0; i < children.size(); ++i) a.children[i] = c_heap(children[i]);
  }
  if (dictionary) a.dictionary = c_heap(*dictionary);
  a.release = c_release_array;
  a.private_data = new_token();
  return a;
}

template <class T>
std::string bytes_of(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// A validity bitmap from "1" (valid) and "0" (null) characters, slot 0 first.
std::string bitmap(const std::string& bits) {
  std::string out((bits.size() + 7) / 8, '\0');
  for (size_t i = 0; i < bits.size(); ++i) {
    if (bits[i] == '1') out[i / 8] = static_cast<char>(out[i / 8] | (1 << (i % 8)));
  }
  return out;
}

// A record batch of the given columns (schema and array children in order).
struct CBatch {
  ArrowSchema schema;
  ArrowArray array;
};

CBatch c_batch(std::vector<ArrowSchema> fields, std::vector<ArrowArray> columns, int64_t length,
               const std::string& metadata = {}) {
  return {c_schema("+s", "", 0, std::move(fields), {}, metadata),
          c_array(length, 0, 0, {std::nullopt}, std::move(columns))};
}

// Every test starts with an empty tally and must end with nothing live.
class ArrowCTest : public ::testing::Test {
 protected:
  void SetUp() override { g_tally = Tally(); }
  void TearDown() override {
    EXPECT_TRUE(g_tally.live.empty()) << g_tally.live.size() << " leaked";
  }
};

// ---------------------------------------------------------------------------
// Tables of our own, for the export side.

template <class T>
std::vector<std::optional<T>> pattern(int n) {
  std::vector<std::optional<T>> out;
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 1) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(static_cast<T>(i * 7 - 20));
    }
  }
  return out;
}

Table every_type_table() {
  constexpr int n = 11;
  std::vector<std::optional<bool>> bools;
  std::vector<std::optional<std::string>> strings;
  std::vector<std::string> blobs;
  std::vector<int32_t> codes;
  for (int i = 0; i < n; ++i) {
    bools.push_back(i % 4 == 3 ? std::nullopt : std::optional<bool>(i % 2 == 0));
    strings.push_back(i % 5 == 2
                          ? std::nullopt
                          : std::optional<std::string>("s" + std::to_string(i) + "\xc3\xa9"));
    blobs.push_back(std::string("\0\xff", 2) + std::string(static_cast<size_t>(i), 'x'));
    codes.push_back(i % 4 == 1 ? -1 : i % 3);
  }
  std::vector<int8_t> small_codes;
  for (int i = 0; i < n; ++i) small_codes.push_back(static_cast<int8_t>(i % 2));
  ColumnBuffers int8_dictionary;
  int8_dictionary.values = Buffer::from_vector(small_codes);
  int8_dictionary.dictionary = std::make_shared<const Column>(Column::from_strings("", {"x", "y"}));
  std::vector<int32_t> days;
  for (int i = 0; i < n; ++i) days.push_back(18000 + i);
  return Table::make(
      {Column::from_optional_bools("bool", bools),
       Column::from_optional("i8", pattern<int8_t>(n)),
       Column::from_optional("i16", pattern<int16_t>(n)),
       Column::from_optional("i32", pattern<int32_t>(n)),
       Column::from_optional("i64", pattern<int64_t>(n)),
       Column::from_optional("u8", pattern<uint8_t>(n)),
       Column::from_optional("u16", pattern<uint16_t>(n)),
       Column::from_optional("u32", pattern<uint32_t>(n)),
       Column::from_optional("u64", pattern<uint64_t>(n)),
       Column::from_optional("f32", pattern<float>(n)),
       Column::from_optional("f64", pattern<double>(n)),
       Column::from_optional_strings("utf8", strings),
       Column::from_binary("binary", blobs),
       Column::from_optional_timestamps("ts_ms", pattern<int64_t>(n), TimeUnit::kMilli),
       Column::from_optional_timestamps("ts_us_utc", pattern<int64_t>(n), TimeUnit::kMicro, "UTC"),
       Column::from_optional_timestamps("ts_ns_ny", pattern<int64_t>(n), TimeUnit::kNano,
                                        "America/New_York"),
       Column::from_dates("date", days),
       Column::from_dictionary("cat", codes, {"lo", "mid", "hi"}, /*ordered=*/true),
       Column::from_dictionary("cat_unordered", codes, {"a", "b", "c"}),
       Column::make("cat_int8", DataType::dictionary(DataType::int8(), DataType::string()), n,
                    std::move(int8_dictionary))},
      {{"origin", "arrow_c_test"}, {"empty", ""}});
}

// Expect every buffer of `got` to be the very memory of `want` (no copy).
void expect_same_buffers(const Column& got, const Column& want) {
  SCOPED_TRACE(want.name());
  EXPECT_EQ(got.offset(), want.offset());
  EXPECT_EQ(got.values_buffer().data(), want.values_buffer().data());
  EXPECT_EQ(got.validity_buffer().empty(), want.validity_buffer().empty());
  if (!want.validity_buffer().empty()) {
    EXPECT_EQ(got.validity_buffer().data(), want.validity_buffer().data());
  }
  if (want.type().is_binary_like()) {
    EXPECT_EQ(got.data_buffer().data(), want.data_buffer().data());
  }
  if (want.type().id() == TypeId::kDictionary) {
    expect_same_buffers(got.dictionary(), want.dictionary());
  }
}

// A shared_ptr that counts its own destruction: the owner of viewed memory.
std::shared_ptr<const void> counting_owner(int* deaths) {
  return std::shared_ptr<const void>(static_cast<const void*>(nullptr),
                                     [deaths](const void*) { ++*deaths; });
}

// ---------------------------------------------------------------------------
// Export and round trips.

TEST_F(ArrowCTest, ExportDescribesEveryTypeAsTheSpecSpellsIt) {
  Table table = every_type_table();
  ArrowSchema schema;
  ArrowArray array;
  export_arrow_table(table, &schema, &array);
  EXPECT_STREQ(schema.format, "+s");
  EXPECT_EQ(schema.flags, 0);
  ASSERT_EQ(schema.n_children, table.num_columns());
  const std::vector<std::string> formats = {
      "b",   "c", "s", "i", "l", "C",    "S",       "I",
      "L",   "f", "g", "u", "z", "tsm:", "tsu:UTC", "tsn:America/New_York",
      "tdD", "i", "i", "c"};
  for (int i = 0; i < table.num_columns(); ++i) {
    const ArrowSchema& child = *schema.children[i];
    SCOPED_TRACE(table.column(i).name());
    EXPECT_EQ(std::string(child.format), formats[static_cast<size_t>(i)]);
    EXPECT_EQ(std::string(child.name), table.column(i).name());
    const bool is_dictionary = table.column(i).type().id() == TypeId::kDictionary;
    EXPECT_EQ(child.dictionary != nullptr, is_dictionary);
    EXPECT_EQ(child.flags & ARROW_FLAG_NULLABLE, ARROW_FLAG_NULLABLE);
    EXPECT_EQ((child.flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0, i == 17);
    const ArrowArray& a = *array.children[i];
    EXPECT_EQ(a.length, 11);
    EXPECT_EQ(a.null_count, table.column(i).null_count());
    EXPECT_EQ(a.n_buffers, table.column(i).type().is_binary_like() ? 3 : 2);
    EXPECT_EQ(a.buffers[1], table.column(i).values_buffer().data());
    if (table.column(i).null_count() == 0) {
      EXPECT_EQ(a.buffers[0], nullptr);
    }
  }
  EXPECT_STREQ(schema.children[17]->dictionary->format, "u");
  EXPECT_EQ(array.children[17]->dictionary->length, 3);
  // The spec's metadata encoding, native (little-endian) integers.
  const std::string expected_metadata =
      std::string("\x02\0\0\0\x06\0\0\0origin\x0c\0\0\0arrow_c_test", 30) +
      std::string("\x05\0\0\0empty\0\0\0\0", 13);
  EXPECT_EQ(std::string(schema.metadata, expected_metadata.size()), expected_metadata);
  EXPECT_EQ(array.length, 11);
  EXPECT_EQ(array.n_buffers, 1);
  EXPECT_EQ(array.buffers[0], nullptr);
  array.release(&array);
  schema.release(&schema);
  EXPECT_EQ(array.release, nullptr);
  EXPECT_EQ(schema.release, nullptr);
}

TEST_F(ArrowCTest, RoundTripOfEveryTypeIsZeroCopy) {
  Table table = every_type_table();
  ArrowSchema schema;
  ArrowArray array;
  export_arrow_table(table, &schema, &array);
  Table back = import_arrow_table(&schema, &array);
  EXPECT_EQ(schema.release, nullptr);  // moved, as the spec asks of a consumer
  EXPECT_EQ(array.release, nullptr);
  EXPECT_TRUE(back.equals(table, {.nans_equal = false, .check_metadata = true}));
  for (int i = 0; i < table.num_columns(); ++i) {
    EXPECT_EQ(back.column(i).type(), table.column(i).type()) << table.column(i).name();
    expect_same_buffers(back.column(i), table.column(i));
  }
  EXPECT_TRUE(back.column(17).type().ordered());
  EXPECT_FALSE(back.column(18).type().ordered());
}

TEST_F(ArrowCTest, ExportKeepsBuffersAliveUntilTheConsumerReleases) {
  int deaths = 0;
  auto values = std::make_shared<std::vector<int64_t>>(std::vector<int64_t>{1, 2, 3});
  ArrowSchema schema;
  ArrowArray array;
  {
    std::shared_ptr<const void> owner = counting_owner(&deaths);
    Column c = Column::view("v", DataType::int64(), 3, values->data(), nullptr, owner);
    export_arrow_table(Table::make({c}), &schema, &array);
  }
  EXPECT_EQ(deaths, 0);  // the Table is gone; the exported array still holds the buffers
  EXPECT_EQ(static_cast<const int64_t*>(array.children[0]->buffers[1])[2], 3);
  schema.release(&schema);
  EXPECT_EQ(deaths, 0);
  array.release(&array);
  EXPECT_EQ(deaths, 1);
  EXPECT_EQ(array.release, nullptr);
}

TEST_F(ArrowCTest, ConsumerMayMoveAChildOutAndReleaseItLater) {
  int deaths_a = 0;
  int deaths_b = 0;
  std::vector<int32_t> a_values = {1, 2};
  std::vector<int32_t> b_values = {3, 4};
  ArrowSchema schema;
  ArrowArray array;
  export_arrow_table(Table::make({Column::view("a", DataType::int32(), 2, a_values.data(), nullptr,
                                               counting_owner(&deaths_a)),
                                  Column::view("b", DataType::int32(), 2, b_values.data(), nullptr,
                                               counting_owner(&deaths_b))}),
                     &schema, &array);
  ArrowArray moved = *array.children[1];
  array.children[1]->release = nullptr;
  array.release(&array);
  EXPECT_EQ(deaths_a, 1);
  EXPECT_EQ(deaths_b, 0);
  ArrowSchema moved_schema = *schema.children[1];
  schema.children[1]->release = nullptr;
  schema.release(&schema);
  // The moved child is a column of its own: import it.
  Column b = import_arrow_column(&moved_schema, &moved);
  EXPECT_EQ(b.name(), "b");
  EXPECT_EQ(b.values<int32_t>()[1], 4);
  EXPECT_EQ(b.values_buffer().data(), reinterpret_cast<const uint8_t*>(b_values.data()));
  EXPECT_EQ(deaths_b, 0);
  b = Column::from_values<int32_t>("other", {});
  EXPECT_EQ(deaths_b, 1);
}

TEST_F(ArrowCTest, ReleaseRunsOnceWhenTheLastViewDiesEarlyOrLate) {
  std::vector<double> values = {0.5, 1.5, 2.5, 3.5};
  for (bool keep_slice : {false, true}) {
    SCOPED_TRACE(keep_slice ? "late" : "early");
    int deaths = 0;
    ArrowSchema schema;
    ArrowArray array;
    export_arrow_table(Table::make({Column::view("d", DataType::float64(), 4, values.data(),
                                                 nullptr, counting_owner(&deaths))}),
                       &schema, &array);
    std::optional<Table> slice;
    {
      Table imported = import_arrow_table(&schema, &array);
      if (keep_slice) slice = imported.slice(2, 2);
    }
    EXPECT_EQ(deaths, keep_slice ? 0 : 1);
    if (keep_slice) {
      EXPECT_EQ(slice->column(0).values<double>()[1], 3.5);
      slice.reset();
      EXPECT_EQ(deaths, 1);
    }
  }
}

TEST_F(ArrowCTest, EmptyTablesRoundTrip) {
  for (const Table& table : {Table(), Table::make({}, {}, 5), every_type_table().slice(11, 0),
                             every_type_table().slice(0, 0)}) {
    ArrowSchema schema;
    ArrowArray array;
    export_arrow_table(table, &schema, &array);
    EXPECT_EQ(array.length, table.num_rows());
    for (int64_t i = 0; i < array.n_children; ++i) {
      for (int64_t b = 1; b < array.children[i]->n_buffers; ++b) {
        EXPECT_NE(array.children[i]->buffers[b], nullptr);  // readable, even when empty
      }
    }
    Table back = import_arrow_table(&schema, &array);
    EXPECT_EQ(back.num_rows(), table.num_rows());
    EXPECT_EQ(back.num_columns(), table.num_columns());
    EXPECT_TRUE(back.equals(table));
  }
}

TEST_F(ArrowCTest, SlicesExportAsOffsetsIntoTheSameBuffers) {
  Table full = every_type_table();
  Table table = full.slice(3, 6);
  ArrowSchema schema;
  ArrowArray array;
  export_arrow_table(table, &schema, &array);
  for (int i = 0; i < table.num_columns(); ++i) {
    EXPECT_EQ(array.children[i]->offset, 3) << table.column(i).name();
    EXPECT_EQ(array.children[i]->length, 6);
    EXPECT_EQ(array.children[i]->buffers[1], full.column(i).values_buffer().data());
  }
  Table back = import_arrow_table(&schema, &array);
  EXPECT_TRUE(back.equals(table));
  for (int i = 0; i < table.num_columns(); ++i)
    expect_same_buffers(back.column(i), table.column(i));
}

// ---------------------------------------------------------------------------
// The specification's examples, built by hand.

// "Exporting a simple int32 array": static type description with a trivial
// release, a malloc'd array whose release frees the data and the buffer list.
int g_int32_type_releases = 0;
int g_int32_array_releases = 0;

void spec_release_int32_type(ArrowSchema* schema) {
  schema->release = nullptr;
  ++g_int32_type_releases;
}

void spec_release_int32_array(ArrowArray* array) {
  std::free(const_cast<void*>(array->buffers[1]));
  std::free(array->buffers);
  array->release = nullptr;
  ++g_int32_array_releases;
}

TEST_F(ArrowCTest, SpecExampleInt32Array) {
  g_int32_type_releases = 0;
  g_int32_array_releases = 0;
  ArrowSchema schema{};
  schema.format = "i";
  schema.name = "";
  schema.release = spec_release_int32_type;
  auto* data = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * 4));
  for (int i = 0; i < 4; ++i) data[i] = (i + 1) * 100;
  ArrowArray array{};
  array.length = 4;
  array.n_buffers = 2;
  array.buffers = static_cast<const void**>(std::malloc(sizeof(void*) * 2));
  array.buffers[0] = nullptr;  // no nulls
  array.buffers[1] = data;
  array.release = spec_release_int32_array;
  {
    Column c = import_arrow_column(&schema, &array);
    EXPECT_EQ(g_int32_type_releases, 1);  // the type is not needed after import
    EXPECT_EQ(g_int32_array_releases, 0);
    EXPECT_EQ(c.type(), DataType::int32());
    EXPECT_EQ(c.null_count(), 0);
    EXPECT_EQ(c.values_buffer().data(), reinterpret_cast<const uint8_t*>(data));
    EXPECT_EQ(std::vector<int32_t>(c.values<int32_t>().begin(), c.values<int32_t>().end()),
              (std::vector<int32_t>{100, 200, 300, 400}));
  }
  EXPECT_EQ(g_int32_array_releases, 1);
}

TEST_F(ArrowCTest, SpecExampleInt32ArrayWithNullsAndUnknownNullCount) {
  CBatch batch =
      c_batch({c_schema("i", "ints")},
              {c_array(5, -1, 0, {bitmap("10110"), bytes_of<int32_t>({7, 0, -9, 11, 0})})}, 5);
  const void* values = batch.array.children[0]->buffers[1];
  Table t = import_arrow_table(&batch.schema, &batch.array);
  EXPECT_EQ(g_tally.schema_releases, 2);  // the struct and its child, by the producer's walk
  EXPECT_EQ(g_tally.array_releases, 0);
  const Column& c = t.column(0);
  EXPECT_EQ(c.null_count(), 2);  // counted from the bitmap
  EXPECT_TRUE(c.is_valid(0) && c.is_null(1) && c.is_valid(2) && c.is_valid(3) && c.is_null(4));
  EXPECT_EQ(c.values<int32_t>()[3], 11);
  EXPECT_EQ(c.values_buffer().data(), values);
  t = Table();
  EXPECT_EQ(g_tally.array_releases, 2);
}

TEST_F(ArrowCTest, SpecExampleStructOfFloat32AndUtf8) {
  // "Exporting a struct<float32, utf8> array": children with null_count -1.
  CBatch batch =
      c_batch({c_schema("f", "floats"), c_schema("u", "strings")},
              {c_array(3, -1, 0, {bitmap("101"), bytes_of<float>({1.5f, 0.0f, -2.25f})}),
               c_array(3, -1, 0,
                       {bitmap("011"), bytes_of<int32_t>({0, 0, 5, 9}), std::string("helloworl")})},
              3);
  const void* data = batch.array.children[1]->buffers[2];
  Table t = import_arrow_table(&batch.schema, &batch.array);
  ASSERT_EQ(t.num_columns(), 2);
  EXPECT_EQ(t.column(0).name(), "floats");
  EXPECT_EQ(t.column(1).name(), "strings");
  EXPECT_EQ(t.column(0).type(), DataType::float32());
  EXPECT_TRUE(t.column(0).is_null(1));
  EXPECT_EQ(t.column(0).values<float>()[2], -2.25f);
  EXPECT_TRUE(t.column(1).is_null(0));
  EXPECT_EQ(t.column(1).string_at(1), "hello");
  EXPECT_EQ(t.column(1).string_at(2), "worl");
  EXPECT_EQ(t.column(1).data_buffer().data(), data);
}

TEST_F(ArrowCTest, SpecExampleMetadataEncoding) {
  // The spec's example: [('key1', 'value1')] on a little-endian machine.
  const std::string encoded("\x01\0\0\0\x04\0\0\0key1\x06\0\0\0value1", 22);
  CBatch batch =
      c_batch({c_schema("b", "flag")}, {c_array(1, 0, 0, {std::nullopt, "\x01"})}, 1, encoded);
  Table t = import_arrow_table(&batch.schema, &batch.array);
  EXPECT_EQ(t.metadata(), (KeyValueMetadata{{"key1", "value1"}}));
  EXPECT_TRUE(t.column(0).bool_at(0));
  ArrowSchema schema;
  ArrowArray array;
  export_arrow_table(t, &schema, &array);
  EXPECT_EQ(std::string(schema.metadata, encoded.size()), encoded);
  schema.release(&schema);
  array.release(&array);
}

TEST_F(ArrowCTest, SpecFormatStringsOfEveryPrimitiveType) {
  struct Case {
    std::string format;
    DataType type;
    std::string bytes;  // two values
  };
  const std::vector<Case> cases = {
      {"b", DataType::boolean(), "\x02"},
      {"c", DataType::int8(), bytes_of<int8_t>({-1, 2})},
      {"s", DataType::int16(), bytes_of<int16_t>({-1, 2})},
      {"i", DataType::int32(), bytes_of<int32_t>({-1, 2})},
      {"l", DataType::int64(), bytes_of<int64_t>({-1, 2})},
      {"C", DataType::uint8(), bytes_of<uint8_t>({255, 2})},
      {"S", DataType::uint16(), bytes_of<uint16_t>({65535, 2})},
      {"I", DataType::uint32(), bytes_of<uint32_t>({4294967295u, 2})},
      {"L", DataType::uint64(), bytes_of<uint64_t>({~0ull, 2})},
      {"f", DataType::float32(), bytes_of<float>({-1.0f, 2.0f})},
      {"g", DataType::float64(), bytes_of<double>({-1.0, 2.0})},
      {"tdD", DataType::date32(), bytes_of<int32_t>({-1, 2})},
      {"tsm:", DataType::timestamp(TimeUnit::kMilli), bytes_of<int64_t>({-1, 2})},
      {"tsu:", DataType::timestamp(TimeUnit::kMicro), bytes_of<int64_t>({-1, 2})},
      {"tsn:Europe/Paris", DataType::timestamp(TimeUnit::kNano, "Europe/Paris"),
       bytes_of<int64_t>({-1, 2})},
      {"tsu:+07:30", DataType::timestamp(TimeUnit::kMicro, "+07:30"), bytes_of<int64_t>({-1, 2})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.format);
    ArrowSchema schema = c_schema(c.format, "x");
    ArrowArray array = c_array(2, 0, 0, {std::nullopt, c.bytes});
    const void* values = array.buffers[1];
    Column col = import_arrow_column(&schema, &array);
    EXPECT_EQ(col.type(), c.type);
    EXPECT_EQ(col.values_buffer().data(), values);
    EXPECT_EQ(arrow_format(col.type()), c.format);
    if (c.type.id() == TypeId::kBool) {
      EXPECT_FALSE(col.bool_at(0));
      EXPECT_TRUE(col.bool_at(1));
    }
  }
}

TEST_F(ArrowCTest, SpecFormatStringsOfBinaryTypes) {
  const std::string offsets32 = bytes_of<int32_t>({0, 3, 3, 7});
  const std::string offsets64 = bytes_of<int64_t>({0, 3, 3, 7});
  for (const char* format : {"u", "z", "U", "Z"}) {
    SCOPED_TRACE(format);
    const bool large = format[0] == 'U' || format[0] == 'Z';
    ArrowSchema schema = c_schema(format, "s");
    ArrowArray array = c_array(
        3, 1, 0, {bitmap("101"), large ? offsets64 : offsets32, std::string("abc\xe2\x82\xac!")});
    const void* data = array.buffers[2];
    const void* offsets = array.buffers[1];
    Column col = import_arrow_column(&schema, &array);
    EXPECT_EQ(col.type(),
              (format[0] == 'u' || format[0] == 'U') ? DataType::string() : DataType::binary());
    EXPECT_EQ(col.string_at(0), "abc");
    EXPECT_TRUE(col.is_null(1));
    EXPECT_EQ(col.string_at(2), "\xe2\x82\xac!");
    EXPECT_EQ(col.data_buffer().data(), data);  // the bytes are never copied
    // 32-bit offsets are viewed; 64-bit ones are narrowed into a copy.
    EXPECT_EQ(col.values_buffer().data() == offsets, !large);
  }
}

TEST_F(ArrowCTest, LargeUtf8SliceIsRebasedOntoTheSharedData) {
  // Row 1 onwards of a large_utf8 array: the narrowed offsets start at 0 and
  // the column's data starts at the producer's byte 4, not a copy of it.
  std::string data(16, '.');
  data.replace(4, 5, "hello");
  ArrowSchema schema = c_schema("U", "big");
  ArrowArray array = c_array(2, 0, 1, {std::nullopt, bytes_of<int64_t>({0, 4, 6, 9}), data});
  const auto* bytes = static_cast<const uint8_t*>(array.buffers[2]);
  Column col = import_arrow_column(&schema, &array);
  EXPECT_EQ(col.string_at(0), "he");
  EXPECT_EQ(col.string_at(1), "llo");
  EXPECT_EQ(col.data_buffer().data(), bytes + 4);
}

TEST_F(ArrowCTest, SecondsTimestampsBecomeMilliseconds) {
  ArrowSchema schema = c_schema("tss:UTC", "t");
  ArrowArray array = c_array(3, 1, 0, {bitmap("110"), bytes_of<int64_t>({1, -2, 3})});
  const void* producer_values = array.buffers[1];
  Column col = import_arrow_column(&schema, &array);
  EXPECT_EQ(col.type(), DataType::timestamp(TimeUnit::kMilli, "UTC"));
  EXPECT_NE(col.values_buffer().data(), producer_values);  // the one copying import
  EXPECT_EQ(col.values<int64_t>()[0], 1000);
  EXPECT_EQ(col.values<int64_t>()[1], -2000);
  EXPECT_TRUE(col.is_null(2));
}

TEST_F(ArrowCTest, SpecDictionaryEncodedArrayBecomesACategorical) {
  // int16 indices ("s") into a utf8 dictionary, ordered.
  ArrowSchema schema = c_schema("s", "grade", ARROW_FLAG_NULLABLE | ARROW_FLAG_DICTIONARY_ORDERED,
                                {}, c_schema("u", ""));
  ArrowArray array = c_array(
      5, 1, 0, {bitmap("11101"), bytes_of<int16_t>({2, 0, 1, 7, 2})}, {},
      c_array(3, 0, 0,
              {std::nullopt, bytes_of<int32_t>({0, 3, 9, 13}), std::string("lowmediumhigh")}));
  const void* indices = array.buffers[1];
  const void* words = array.dictionary->buffers[2];
  Column col = import_arrow_column(&schema, &array);
  EXPECT_EQ(col.type(), DataType::dictionary(DataType::int16(), DataType::string(), true));
  EXPECT_TRUE(col.type().ordered());
  EXPECT_EQ(col.values_buffer().data(), indices);
  EXPECT_EQ(col.dictionary().data_buffer().data(), words);
  EXPECT_EQ(col.dictionary().string_at(1), "medium");
  EXPECT_EQ(col.values<int16_t>()[2], 1);
  EXPECT_TRUE(col.is_null(3));  // index 7 sits under a null: never read
}

TEST_F(ArrowCTest, StructOffsetSelectsChildRows) {
  CBatch batch = c_batch(
      {c_schema("l", "n"), c_schema("u", "s")},
      {c_array(4, 0, 0, {std::nullopt, bytes_of<int64_t>({10, 11, 12, 13})}),
       c_array(4, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1, 2, 3, 4}), std::string("abcd")})},
      4);
  batch.array.offset = 1;
  batch.array.length = 2;
  Table t = import_arrow_table(&batch.schema, &batch.array);
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(0).values<int64_t>()[0], 11);
  EXPECT_EQ(t.column(0).values<int64_t>()[1], 12);
  EXPECT_EQ(t.column(1).string_at(1), "c");
}

// ---------------------------------------------------------------------------
// An imported table through our Parquet writer, read by the oracle's readers.

TEST_F(ArrowCTest, ImportedTableWritesParquetTheOracleReads) {
  ArrowSchema dict = c_schema("u", "");
  CBatch batch = c_batch(
      {c_schema("l", "id"), c_schema("g", "score"), c_schema("u", "name"),
       c_schema("tsu:UTC", "ts"), c_schema("b", "ok"), c_schema("c", "kind", 2, {}, dict)},
      {c_array(4, 0, 0, {std::nullopt, bytes_of<int64_t>({1, 2, 3, 4})}),
       c_array(4, 1, 0, {bitmap("1011"), bytes_of<double>({0.5, 0, -1.25, 1e10})}),
       c_array(4, -1, 0,
               {bitmap("1110"), bytes_of<int32_t>({0, 3, 3, 9, 9}),
                std::string("abcd\xc3\xa9\xe2\x82\xac")}),
       c_array(4, 0, 0, {std::nullopt, bytes_of<int64_t>({0, 1700000000000000, -1, 86400000000})}),
       c_array(4, 0, 0, {std::nullopt, bitmap("1001")}),
       c_array(
           4, 0, 0, {std::nullopt, bytes_of<int8_t>({1, 0, 1, 1})}, {},
           c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 3, 6}), std::string("redblu")}))},
      4);
  Table t = import_arrow_table(&batch.schema, &batch.array);
  TempDir dir;
  const std::string path = (dir.path() / "imported.parquet").string();
  write_parquet_file(t, path);
  t = Table();
  EXPECT_EQ(g_tally.array_releases, 8);  // the struct, 6 columns and 1 dictionary
  OracleReport report = check_parquet(path);
  EXPECT_EQ(report.exit_code, 0) << report.problems() << report.err;
  Json rows = duckdb_sql(
      "SELECT id::VARCHAR AS id, score::VARCHAR AS score, name, "
      "epoch_us(ts)::VARCHAR AS ts, ok::VARCHAR AS ok, kind::VARCHAR AS kind FROM '" +
      path + "' ORDER BY id");
  auto field = [](const Json& row, const char* key) {
    const Json* v = row.find(key);
    return v == nullptr || v->is_null() ? std::string("<null>") : v->as_string();
  };
  std::vector<std::string> got;
  for (const Json& row : rows.as_array()) {
    got.push_back(field(row, "id") + "|" + field(row, "score") + "|" + field(row, "name") + "|" +
                  field(row, "ts") + "|" + field(row, "ok") + "|" + field(row, "kind"));
  }
  EXPECT_EQ(
      got, (std::vector<std::string>{"1|0.5|abc|0|true|blu", "2|<null>||1700000000000000|false|red",
                                     "3|-1.25|d\xc3\xa9\xe2\x82\xac|-1|false|blu",
                                     "4|10000000000.0|<null>|86400000000|true|blu"}));
}

// ---------------------------------------------------------------------------
// Bad input: InvalidArgument naming field and format; the input is released.

struct BadCase {
  const char* what;
  std::function<CBatch()> make;
  std::vector<std::string> message_parts;
};

const std::string kTwoInt64 = bytes_of<int64_t>({1, 2});

// A record batch of one column.
CBatch one(ArrowSchema schema, ArrowArray array, int64_t rows = 2) {
  return c_batch({schema}, {array}, rows);
}

// Import each case: InvalidArgument with every part in the message, both
// structs moved, and everything the producer made released.
void expect_rejected(const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    CBatch batch = c.make();
    const std::string message =
        error_of<InvalidArgument>([&] { import_arrow_table(&batch.schema, &batch.array); });
    for (const std::string& part : c.message_parts) {
      EXPECT_TRUE(contains(message, part)) << message << "\nlacks: " << part;
    }
    EXPECT_EQ(batch.schema.release, nullptr);  // moved in even on failure
    EXPECT_EQ(batch.array.release, nullptr);
    EXPECT_TRUE(g_tally.live.empty()) << "leaked after: " << message;
  }
}

TEST_F(ArrowCTest, UnsupportedTypesAreRejectedAndReleased) {
  expect_rejected({
      {"nested list",
       [] {
         return one(c_schema("+l", "xs", 2, {c_schema("i", "item")}),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1, 2})},
                            {c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({5, 6})})}));
       },
       {"'xs'", "'+l'", "list is not supported"}},
      {"nested struct",
       [] {
         return one(
             c_schema("+s", "inner", 2, {c_schema("l", "a")}),
             c_array(2, 0, 0, {std::nullopt}, {c_array(2, 0, 0, {std::nullopt, kTwoInt64})}));
       },
       {"'inner'", "'+s'", "nested struct"}},
      {"sparse union",
       [] {
         return one(c_schema("+us:4,5", "u", 2, {c_schema("i", "ints"), c_schema("f", "floats")}),
                    c_array(2, 0, 0, {std::string("\x04\x05")},
                            {c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({1, 2})}),
                             c_array(2, 0, 0, {std::nullopt, bytes_of<float>({1, 2})})}));
       },
       {"'u'", "'+us:4,5'", "union"}},
      {"decimal",
       [] {
         return one(c_schema("d:12,5", "price"),
                    c_array(2, 0, 0, {std::nullopt, std::string(32, '\0')}));
       },
       {"'price'", "'d:12,5'", "decimal"}},
      {"spec's dictionary of decimal128 with int16 indices",
       [] {
         return one(c_schema("s", "d", 2, {}, c_schema("d:12,5", "")),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int16_t>({0, 0})}, {},
                            c_array(1, 0, 0, {std::nullopt, std::string(16, '\0')})));
       },
       {"'d:12,5'", "decimal"}},
      {"unknown format",
       [] {
         return one(c_schema("q", "mystery"), c_array(2, 0, 0, {std::nullopt, kTwoInt64}));
       },
       {"'mystery'", "'q'", "unknown format string"}},
      {"float16",
       [] {
         return one(c_schema("e", "half"), c_array(2, 0, 0, {std::nullopt, "abcd"}));
       },
       {"'half'", "'e'", "float16"}},
  });
}

TEST_F(ArrowCTest, BrokenLayoutsAreRejectedAndReleased) {
  expect_rejected({
      {"dictionary array for a plain type",
       [] {
         return one(c_schema("c", "plain"),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int8_t>({0, 0})}, {},
                            c_array(1, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1}), "x"})));
       },
       {"'plain'", "'c'", "the array has a dictionary, the schema none"}},
      {"too few buffers",
       [] { return one(c_schema("l", "n"), c_array(2, 0, 0, {kTwoInt64})); },
       {"'n'", "'l'", "n_buffers is 1", "needs 2"}},
      {"too many buffers for utf8",
       [] {
         return one(c_schema("u", "s"),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1, 2}), "ab", "x"}));
       },
       {"'s'", "'u'", "n_buffers is 4", "needs 3"}},
      {"null values buffer",
       [] {
         return one(c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, std::nullopt}));
       },
       {"'n'", "'l'", "buffer 1 (values) is null"}},
      {"null offsets buffer",
       [] {
         return one(c_schema("u", "s"), c_array(2, 0, 0, {std::nullopt, std::nullopt, "ab"}));
       },
       {"'s'", "'u'", "buffer 1 (offsets) is null"}},
      {"null data buffer",
       [] {
         return one(c_schema("z", "b"),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1, 2}), std::nullopt}));
       },
       {"'b'", "'z'", "buffer 2 (data) is null"}},
      {"null count without a bitmap",
       [] {
         return one(c_schema("l", "n"), c_array(2, 1, 0, {std::nullopt, kTwoInt64}));
       },
       {"'n'", "'l'", "null_count is 1 but there is no validity buffer"}},
      {"64-bit offsets beyond the 32-bit range",
       [] {
         return one(
             c_schema("Z", "huge"),
             c_array(2, 0, 0, {std::nullopt, bytes_of<int64_t>({0, 1, int64_t{3} << 31}), "x"}));
       },
       {"'huge'", "'Z'", "do not fit the 32-bit offsets"}},
      {"float dictionary indices",
       [] {
         return one(c_schema("g", "cat", 2, {}, c_schema("u", "")),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<double>({0, 0})}, {},
                            c_array(1, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1}), "x"})));
       },
       {"'cat'", "'g'", "indices must be integers"}},
      {"dictionary array missing",
       [] {
         return one(c_schema("c", "cat", 2, {}, c_schema("u", "")),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int8_t>({0, 0})}));
       },
       {"'cat'", "'c'", "no dictionary"}},
      {"misaligned int64 values",
       [] {
         CBatch b = one(c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, kTwoInt64 + "x"}));
         // Point the values one byte in (the producer keeps the original pointer to free).
         ArrowArray* child = b.array.children[0];
         void* original = const_cast<void*>(child->buffers[1]);
         std::memmove(static_cast<char*>(original) + 1, original, 16);
         child->buffers[1] = static_cast<char*>(original) + 1;
         // Restore the real pointer on release so free() gets what malloc gave.
         child->release = [](ArrowArray* a) {
           a->buffers[1] = static_cast<const char*>(a->buffers[1]) - 1;
           c_release_array(a);
         };
         return b;
       },
       {"'n'", "'l'", "not aligned"}},
  });
}

TEST_F(ArrowCTest, BrokenStructsAreRejectedAndReleased) {
  expect_rejected({
      {"child shorter than the struct",
       [] {
         return one(c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, kTwoInt64}), 3);
       },
       {"'n'", "has 2 rows", "needs 3"}},
      {"null row in the struct",
       [] {
         CBatch b = one(c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, kTwoInt64}));
         b.array.release(&b.array);
         b.array = c_array(2, 1, 0, {bitmap("10")}, {c_array(2, 0, 0, {std::nullopt, kTwoInt64})});
         return b;
       },
       {"the record batch (format '+s')", "row 1 of the struct is null"}},
      {"not a struct",
       [] {
         return CBatch{c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, kTwoInt64})};
       },
       {"'l'", "must be a struct"}},
      {"children counts differ",
       [] {
         CBatch b = one(c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, kTwoInt64}));
         b.schema.release(&b.schema);
         b.schema = c_schema("+s", "", 0, {c_schema("l", "n"), c_schema("l", "m")});
         return b;
       },
       {"'+s'", "the schema has 2 children, the array 1"}},
      {"released child",
       [] {
         CBatch b = one(c_schema("l", "n"), c_array(2, 0, 0, {std::nullopt, kTwoInt64}));
         // A consumer elsewhere moved the child out; free it as its new owner would.
         ArrowArray moved = *b.array.children[0];
         b.array.children[0]->release = nullptr;
         moved.release(&moved);
         return b;
       },
       {"'n'", "'l'", "the array is released"}},
  });
}

TEST_F(ArrowCTest, InvalidValuesAreRejectedAndReleased) {
  expect_rejected({
      {"offsets not monotonic",
       [] {
         return one(c_schema("u", "s"),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 3, 2}), "abc"}));
       },
       {"'s'", "not monotonic"}},
      {"ill-formed UTF-8",
       [] {
         return one(c_schema("u", "s"),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1, 2}), "a\xff"}));
       },
       {"'s'", "ill-formed UTF-8"}},
      {"dictionary index out of range",
       [] {
         return one(c_schema("c", "cat", 2, {}, c_schema("u", "")),
                    c_array(2, 0, 0, {std::nullopt, bytes_of<int8_t>({0, 5})}, {},
                            c_array(1, 0, 0, {std::nullopt, bytes_of<int32_t>({0, 1}), "x"})));
       },
       {"'cat'", "dictionary index 5"}},
  });
}

TEST_F(ArrowCTest, ReleasedOrMissingStructsAreRejected) {
  ArrowSchema schema = c_schema("l", "n");
  ArrowArray array = c_array(2, 0, 0, {std::nullopt, bytes_of<int64_t>({1, 2})});
  ArrowArray released = array;
  released.release = nullptr;
  EXPECT_TRUE(contains(error_of<InvalidArgument>([&] { import_arrow_column(&schema, &released); }),
                       "the array is released"));
  EXPECT_EQ(schema.release, nullptr);  // the schema was taken and released regardless
  array.release(&array);

  ArrowSchema released_schema{};
  ArrowArray array2 = c_array(2, 0, 0, {std::nullopt, bytes_of<int64_t>({1, 2})});
  EXPECT_TRUE(
      contains(error_of<InvalidArgument>([&] { import_arrow_table(&released_schema, &array2); }),
               "the schema is released"));
  EXPECT_EQ(array2.release, nullptr);

  ArrowArray array3 = c_array(2, 0, 0, {std::nullopt, bytes_of<int64_t>({1, 2})});
  EXPECT_TRUE(contains(error_of<InvalidArgument>([&] { import_arrow_column(nullptr, &array3); }),
                       "pointer is null"));
  EXPECT_EQ(array3.release, nullptr);
}

}  // namespace
}  // namespace quilt::test
