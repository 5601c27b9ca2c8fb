// CSV reader: parsing rules, type inference, round trips through write_csv,
// values equal to pandas 1.5's read_csv of the same text, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "formats/csv_test_util.h"
#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/json.h"
#include "test_util.h"

namespace quilt {
namespace {

Buffer buffer_of(const std::string& s) {
  auto owned = std::make_shared<const std::string>(s);
  return Buffer(owned->data(), owned->size(), owned);
}

Table parse(const std::string& text, const CsvReadOptions& options = {}) {
  return read_csv(buffer_of(text), "test.csv", options);
}

using test::to_csv;

// Expect read_csv to throw Corrupt with a message holding every part.
void expect_corrupt(const std::string& text, const std::vector<std::string>& parts,
                    const CsvReadOptions& options = {}) {
  try {
    parse(text, options);
    ADD_FAILURE() << "no error for " << text;
  } catch (const Corrupt& e) {
    for (const std::string& p : parts) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
    }
  }
}

TEST(CsvReader, SplitsQuotedFieldsWithDelimitersQuotesAndLineBreaks) {
  Table t = parse("a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\", sp \n\"\"\"\",\r\n");
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column(0).string_at(0), "x,y");
  EXPECT_EQ(t.column(1).string_at(0), "say \"hi\"");
  EXPECT_EQ(t.column(0).string_at(1), "two\nlines");
  EXPECT_EQ(t.column(1).string_at(1), " sp ");
  EXPECT_EQ(t.column(0).string_at(2), "\"");
  EXPECT_TRUE(t.column(1).is_null(2));
}

TEST(CsvReader, SkipsBomAndBlankLinesAndKeepsLoneCarriageReturns) {
  Table t = parse("\xEF\xBB\xBFname,v\n\nx\ry,1\n\r\nz,2");
  ASSERT_EQ(t.num_columns(), 2);
  EXPECT_EQ(t.column(0).name(), "name");
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(0).string_at(0), "x\ry");
  EXPECT_EQ(t.column(1).values<int64_t>()[1], 2);
}

TEST(CsvReader, WithoutHeaderNamesColumnsByPosition) {
  CsvReadOptions o;
  o.header = false;
  Table t = parse("1,a\n2,b\n", o);
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(0).name(), "0");
  EXPECT_EQ(t.column(1).name(), "1");
  EXPECT_EQ(t.column(0).type(), DataType::int64());
  CsvReadOptions tsv;
  tsv.delimiter = '\t';
  Table u = parse("a\tb\n1,5\t\"q\tr\"\n", tsv);
  EXPECT_EQ(u.column(0).string_at(0), "1,5");
  EXPECT_EQ(u.column(1).string_at(0), "q\tr");
}

TEST(CsvReader, InfersTypesFromEveryRow) {
  Table t = parse(
      "b,i,u,f,s,t,z,n,e\n"
      "True,1,1,1,x,2020-01-01 00:00:00,2020-01-01T00:00:00Z,,\n"
      "false,-9223372036854775808,18446744073709551615,1.5e300,1,2020-01-01T12:30:00.123456789,"
      "2020-01-01 01:00:00+01:00,NA,\n"
      "TRUE,9223372036854775807,0,-inf,2.5,2020-03-01,2020-01-01 00:00:00.5-0130,nan,\n");
  EXPECT_EQ(t.column(0).type(), DataType::boolean());
  EXPECT_EQ(t.column(1).type(), DataType::int64());
  EXPECT_EQ(t.column(2).type(), DataType::uint64());
  EXPECT_EQ(t.column(3).type(), DataType::float64());
  EXPECT_EQ(t.column(4).type(), DataType::string());
  EXPECT_EQ(t.column(5).type(), DataType::timestamp(TimeUnit::kNano));
  EXPECT_EQ(t.column(6).type(), DataType::timestamp(TimeUnit::kNano, "UTC"));
  EXPECT_EQ(t.column(7).type(), DataType::float64());  // nulls only, as pandas
  EXPECT_EQ(t.column(7).null_count(), 3);
  EXPECT_EQ(t.column(1).values<int64_t>()[1], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(t.column(2).values<uint64_t>()[1], std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(t.column(3).values<double>()[2], -INFINITY);
  EXPECT_EQ(t.column(5).values<int64_t>()[1], 1577881800123456789);
  EXPECT_EQ(t.column(5).values<int64_t>()[2], 1583020800000000000);
  const auto z = t.column(6).values<int64_t>();
  EXPECT_EQ(z[0], 1577836800000000000);
  EXPECT_EQ(z[1], 1577836800000000000);
  EXPECT_EQ(z[2], 1577836800000000000 + 500000000 + 5400000000000);
  // Mixed naive and zoned, or a bad day, is text.
  EXPECT_EQ(parse("t\n2020-01-01 00:00:00\n2020-01-01 00:00:00Z\n").column(0).type(),
            DataType::string());
  EXPECT_EQ(parse("t\n2021-02-29\n").column(0).type(), DataType::string());
  EXPECT_EQ(parse("t\n2020-02-29\n").column(0).type(), DataType::timestamp(TimeUnit::kNano));
  // Bool with nulls stays bool (pandas would make it object).
  Table b = parse("b\nTrue\n\nNA\nFalse\n");
  EXPECT_EQ(b.column(0).type(), DataType::boolean());
  EXPECT_EQ(b.num_rows(), 3);
  EXPECT_EQ(b.column(0).null_count(), 1);
  // Integers that fit neither int64 nor uint64 are text, as in pandas; with
  // a non-integer among them they are floats.
  EXPECT_EQ(parse("i\n18446744073709551616\n").column(0).type(), DataType::string());
  EXPECT_EQ(parse("i\n-1\n9223372036854775808\n").column(0).type(), DataType::string());
  EXPECT_EQ(parse("i\n1.5\n99999999999999999999\n").column(0).type(), DataType::float64());
  EXPECT_EQ(parse("a\n").column(0).type(), DataType::string());
}

TEST(CsvReader, NullValuesDefaultToPandasListAndCanBeSet) {
  Table t = parse("s\n#N/A\nNULL\n<NA>\nnull\n-1.#IND\nx\n\"\"\n");
  EXPECT_EQ(t.column(0).null_count(), 6);
  EXPECT_EQ(t.column(0).string_at(5), "x");
  CsvReadOptions o;
  o.null_values = std::vector<std::string>{"-"};
  Table u = parse("s,f\nNA,1.5\n-,nan\n,-\n", o);
  EXPECT_EQ(u.column(0).type(), DataType::string());
  EXPECT_EQ(u.column(0).string_at(0), "NA");
  EXPECT_TRUE(u.column(0).is_null(1));
  EXPECT_EQ(u.column(0).string_at(2), "");
  EXPECT_EQ(u.column(1).type(), DataType::float64());
  EXPECT_TRUE(std::isnan(u.column(1).values<double>()[1]));  // a NaN value, not a null
  EXPECT_TRUE(u.column(1).is_null(2));
  CsvReadOptions raw;
  raw.infer_types = false;
  Table r = parse("a,b\n1,True\n,x\n", raw);
  EXPECT_EQ(r.column(0).type(), DataType::string());
  EXPECT_TRUE(r.column(0).is_null(1));
}

Table every_type_table() {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  return Table::make({
      Column::from_optional<int64_t>("int", {kMin, kMax, 0, std::nullopt, -1}),
      Column::from_optional<double>("float",
                                    {4.9406564584124654e-324, -0.0, 1e16, std::nullopt, 0.1}),
      Column::from_values<double>("inf", {INFINITY, -INFINITY, 2.2250738585072014e-308,
                                          1.7976931348623157e308, 123456.789}),
      Column::from_optional_bools("bool", {true, false, std::nullopt, true, false}),
      Column::from_optional_strings("str", {"a,b", "q\"uote\"", "line\nbreak\r\nx", std::nullopt,
                                            " \xE2\x82\xAC\xF0\x9F\x98\x80 \t"}),
      Column::from_optional_timestamps(
          "ts", {1577836800123456789, -1, 0, std::nullopt, 4102444800000000000}, TimeUnit::kNano),
      Column::from_optional_timestamps(
          "tz", {1577836800500000000, 7, 0, std::nullopt, -86400000000000}, TimeUnit::kNano, "UTC"),
      Column::from_timestamps("midnight", {0, 86400000000000, -86400000000000, 0, 0},
                              TimeUnit::kNano),
  });
}

TEST(CsvReader, RoundTripsEveryTypeThroughWriteCsv) {
  const Table t = every_type_table();
  for (char delimiter : {',', '\t'}) {
    for (const char* terminator : {"\n", "\r\n"}) {
      CsvWriteOptions w;
      w.delimiter = delimiter;
      w.line_terminator = terminator;
      CsvReadOptions r;
      r.delimiter = delimiter;
      const Table back = parse(to_csv(t, w), r);
      EXPECT_TRUE(back.equals(t)) << to_csv(t, w);
      for (int i = 0; i < t.num_columns(); ++i) {
        EXPECT_EQ(back.column(i).type(), t.column(i).type()) << t.column(i).name();
        EXPECT_TRUE(back.column(i).equals(t.column(i))) << t.column(i).name();
      }
    }
  }
  CsvWriteOptions no_header;
  no_header.header = false;
  CsvReadOptions r;
  r.header = false;
  const Table back = parse(to_csv(t, no_header), r);
  EXPECT_EQ(back.column(0).name(), "0");
  EXPECT_TRUE(back.column(2).rename("inf").equals(t.column(2)));
}

TEST(CsvReader, LargeFilesRoundTripOnThreads) {
  // Enough rows for the writer's pool and the reader's parallel typing.
  const int64_t n = 120000;
  std::vector<std::optional<int64_t>> ints(n);
  std::vector<double> floats(n);
  std::vector<std::optional<std::string>> strings(n);
  std::vector<int64_t> times(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i % 11 != 0) ints[i] = i * 1000003 - 7;
    floats[i] = static_cast<double>(i) / 3.0 - 100.0;
    // Appended, not "s" + ...: GCC 12 warns falsely (-Wrestrict) on the latter.
    std::string s = i % 5 == 0 ? "with \"quote\", comma" : "s";
    if (i % 5 != 0) s += std::to_string(i);
    if (i % 13 != 0) strings[i] = s;
    times[i] = 1577836800000000000 + i * 1000001;
  }
  const Table t = Table::make({Column::from_optional<int64_t>("i", ints),
                               Column::from_values<double>("f", floats),
                               Column::from_optional_strings("s", strings),
                               Column::from_timestamps("t", times, TimeUnit::kNano)});
  const std::string text = to_csv(t);
  for (size_t threads : {size_t{1}, size_t{4}}) {
    CsvReadOptions o;
    o.threads = threads;
    EXPECT_TRUE(parse(text, o).equals(t)) << threads;
  }
}

TEST(CsvReader, EmptyStringsReadBackAsNulls) {
  // pandas writes "" and null alike; the difference is lost (documented).
  Table t = Table::make(
      {Column::from_strings("s", {"", "x"}), Column::from_values<int64_t>("i", {1, 2})});
  const Table back = parse(to_csv(t));
  EXPECT_TRUE(back.column(0).is_null(0));
  EXPECT_EQ(back.column(0).string_at(1), "x");
}

TEST(CsvReader, ValuesEqualPandasReadCsvOfTheSameText) {
  const std::string text =
      "i,f,s,b\n"
      "1,1.5,x,True\n"
      " 2 ,-inf,\"a,b\",false\n"
      "+3,1e-310,NA,TRUE\n"
      "4,.5,\"q\"\"x\",False\n"
      "5,,n/a,True\n"
      "6,2.2250738585072011e-308,,True\n";
  const Table t = parse(text);
  // Each column as its dtype, then a value per line: "null", an int, the repr
  // of a float or bool, or the hex of a string's UTF-8.
  const std::string py = R"(
import io, sys, math, pandas as pd
df = pd.read_csv(io.StringIO(sys.stdin.read()))
for c in df.columns:
    print(c, df[c].dtype)
    for v in df[c].tolist():
        if isinstance(v, float) and math.isnan(v): print('null')
        elif isinstance(v, str): print(v.encode().hex())
        else: print(repr(v))
)";
  std::string ours;
  const char* pandas_dtype[] = {"int64", "float64", "object", "bool"};
  for (int c = 0; c < t.num_columns(); ++c) {
    const Column& col = t.column(c);
    ours += col.name() + " " + pandas_dtype[c] + "\n";
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      if (col.is_null(r)) {
        ours += "null";
      } else if (col.type() == DataType::int64()) {
        ours += std::to_string(col.values<int64_t>()[r]);
      } else if (col.type() == DataType::float64()) {
        const double d = col.values<double>()[r];
        if (std::isinf(d)) {
          ours += d > 0 ? "inf" : "-inf";
        } else {
          append_python_float(ours, d);
        }
      } else if (col.type() == DataType::boolean()) {
        ours += col.bool_at(r) ? "True" : "False";
      } else {
        for (unsigned char ch : col.string_at(r)) {
          char hex[3];
          std::snprintf(hex, sizeof hex, "%02x", ch);
          ours += hex;
        }
      }
      ours += "\n";
    }
  }
  EXPECT_EQ(ours, test::run_python(py, text));
}

TEST(CsvReader, RaggedRowsNameTheSourceAndLine) {
  expect_corrupt("a,b\n1,2\n3,4,5\n", {"test.csv", "line 3", "expected 2 fields, saw 3"});
  expect_corrupt("a,b\n1,2\n\"x\ny\"\n", {"test.csv", "line 3", "expected 2 fields, saw 1"});
  CsvReadOptions o;
  o.header = false;
  expect_corrupt("1,2\n3\n", {"line 2", "saw 1"}, o);
}

TEST(CsvReader, BrokenQuotingNamesTheLine) {
  expect_corrupt("a,b\n1,2\n3,\"open\n\n", {"test.csv", "line 3", "unterminated"});
  expect_corrupt("a,b\n1,\"x\"y\n", {"test.csv", "line 2", "after the closing quote"});
}

TEST(CsvReader, InvalidUtf8NamesTheLine) {
  expect_corrupt("a\nok\nbad\xC3(\n", {"test.csv", "line 3", "UTF-8"});
  expect_corrupt("a\n\xED\xA0\x80\n", {"line 2", "UTF-8"});  // an encoded surrogate
}

TEST(CsvReader, EmptyInputIsAnEmptyTable) {
  EXPECT_EQ(parse("").num_columns(), 0);
  EXPECT_EQ(parse("\xEF\xBB\xBF\n\n").num_columns(), 0);
}

TEST(CsvReader, ReadsFilesAndNamesMissingOnes) {
  test::TempDir dir;
  const Table t = every_type_table();
  const std::string path = dir.write("t.csv", to_csv(t));
  EXPECT_TRUE(read_csv_file(path).equals(t));
  EXPECT_THROW(read_csv_file((dir.path() / "missing.csv").string()), IoError);
  EXPECT_THROW(read_csv_file(dir.path().string()), IoError);
  EXPECT_EQ(read_csv_file(dir.write("empty.csv", "")).num_columns(), 0);
  try {
    read_csv_file(dir.write("bad.csv", "a,b\n1\n"));
    ADD_FAILURE();
  } catch (const Corrupt& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv: line 2"), std::string::npos) << e.what();
  }
}

TEST(CsvReader, SurvivesRandomDamage) {
  const std::string good = to_csv(every_type_table());
  std::mt19937 rng(99);
  const char alphabet[] = {',', '"', '\n', '\r',   '\t',   'x', '1',
                           '.', '-', ' ',  '\xC3', '\xFF', '\0'};
  int parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, alphabet[rng() % sizeof alphabet]);
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1);
          break;
        default:
          s.resize(at);
          break;
      }
    }
    try {
      Table t = parse(s);
      t.validate_full();
      ++parsed;
    } catch (const Corrupt&) {
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace quilt
