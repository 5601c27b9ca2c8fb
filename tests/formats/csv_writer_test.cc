// CSV writer: the bytes pandas 1.5 (Debian's python3-pandas) writes with
// DataFrame.to_csv(index=False) for the same values, plus quoting rules,
// options, threads and sink behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "formats/csv_internal.h"
#include "formats/csv_test_util.h"
#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/json.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::to_csv;

// Run `frame_code` (Python that sets `df`) and return df.to_csv(index=False, KWARGS).
std::string pandas_csv(const std::string& frame_code, const std::string& kwargs = "",
                       const std::string& input = "") {
  const std::string script = "import sys, datetime\nimport numpy as np\nimport pandas as pd\n" +
                             frame_code + "\nsys.stdout.buffer.write(df.to_csv(index=False" +
                             (kwargs.empty() ? "" : ", " + kwargs) + ").encode('utf-8'))\n";
  return test::run_python(script, input);
}

TEST(CsvWriter, MatchesPandasForNumbersBoolsAndNulls) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  Table t = Table::make({
      Column::from_values<int64_t>("i", {kMin, -1, 0, 42, kMax, 7}),
      Column::from_values<double>("f", {0.1, -0.0, 1e16, 5e-324, NAN, 123456789.0}),
      Column::from_values<double>("g", {INFINITY, -INFINITY, 1e-5, 1.5e300, 2.5, 1e15}),
      Column::from_bools("b", {true, false, true, true, false, false}),
      Column::from_optional<int32_t>("n", {1, std::nullopt, -3, 4, std::nullopt, 6}),
      Column::from_values<uint64_t>("u", {0, 1, 18446744073709551615ull, 5, 6, 7}),
      Column::from_values<float>("f32", {0.1f, 1e20f, 3.4028235e38f, -1.5f, 1e-7f, 16777216.0f}),
  });
  const std::string py = R"(
df = pd.DataFrame({
  'i': np.array([-2**63, -1, 0, 42, 2**63 - 1, 7], dtype=np.int64),
  'f': [0.1, -0.0, 1e16, 5e-324, np.nan, 123456789.0],
  'g': [np.inf, -np.inf, 1e-5, 1.5e300, 2.5, 1e15],
  'b': [True, False, True, True, False, False],
  'n': pd.array([1, None, -3, 4, None, 6], dtype='Int32'),
  'u': np.array([0, 1, 2**64 - 1, 5, 6, 7], dtype=np.uint64),
  'f32': np.array([0.1, 1e20, 3.4028235e38, -1.5, 1e-7, 16777216.0], dtype=np.float32),
}))";
  EXPECT_EQ(to_csv(t), pandas_csv(py));
  CsvWriteOptions na;
  na.null_value = "NULL";
  EXPECT_EQ(to_csv(t, na), pandas_csv(py, "na_rep='NULL'"));
}

TEST(CsvWriter, FloatsMatchPandasOnRandomBitPatterns) {
  std::mt19937_64 rng(1234);
  std::vector<double> d;
  std::vector<float> f;
  std::string input;
  while (d.size() < 20000) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, 8);
    if (!std::isfinite(v)) continue;
    // Mix in the ranges that print positionally.
    if (d.size() % 3 == 0)
      v = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80));
    // And decimals with few digits, as measured data has (the short path).
    if (d.size() % 3 == 1) {
      const double scale = std::pow(10.0, static_cast<double>(rng() % 12));
      v = static_cast<double>(static_cast<int64_t>(rng() % 100000000000000) - 50000000000000) /
          scale;
    }
    uint32_t fbits = static_cast<uint32_t>(rng());
    float fv;
    std::memcpy(&fv, &fbits, 4);
    if (!std::isfinite(fv)) fv = 1.25f;
    d.push_back(v);
    f.push_back(fv);
    char line[64];
    std::snprintf(line, sizeof line, "%a %a\n", v, static_cast<double>(fv));
    input += line;
  }
  Table t = Table::make({Column::from_values<double>("d", d), Column::from_values<float>("f", f)});
  const std::string py = R"(
rows = [l.split() for l in sys.stdin.read().splitlines()]
df = pd.DataFrame({'d': [float.fromhex(a) for a, b in rows],
                   'f': np.array([float.fromhex(b) for a, b in rows], dtype=np.float32)}))";
  const std::string ours = to_csv(t);
  EXPECT_EQ(ours, pandas_csv(py, "", input));
  // And the doubles are exactly quilt::append_python_float's spelling.
  std::string expected = "d\n";
  for (double v : d) {
    append_python_float(expected, v);
    expected += '\n';
  }
  EXPECT_EQ(to_csv(Table::make({Column::from_values<double>("d", d)})), expected);
}

TEST(CsvWriter, ShortDecimalPathSpellsFloatsAsPythonRepr) {
  // Millions of values through the fast path for few-digit decimals (and its
  // fallbacks), against append_python_float's general shortest-digits path.
  std::mt19937_64 rng(7);
  char buf[detail::kMaxFloatChars];
  for (int i = 0; i < 2000000; ++i) {
    const int digits = static_cast<int>(rng() % 17);
    const double scale = std::pow(10.0, static_cast<double>(rng() % 20));
    const auto mantissa =
        static_cast<int64_t>(rng() % static_cast<uint64_t>(std::pow(10.0, digits) + 1));
    double v = static_cast<double>(i % 2 == 0 ? mantissa : -mantissa) / scale;
    if (i % 5 == 0) v = std::nextafter(v, INFINITY);
    if (v == 0 || !std::isfinite(v)) continue;
    std::string expected;
    append_python_float(expected, v);
    const std::string ours(buf, detail::write_python_float(buf, v));
    ASSERT_EQ(ours, expected) << std::hexfloat << v;
  }
}

TEST(CsvWriter, StringsQuoteLikePandas) {
  const std::vector<std::string> values = {
      "plain",      "a,b",
      "say \"hi\"", "line\nbreak",
      " lead",      "trail ",
      "tab\there",  "",
      "\"",         "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
      ",",          "x;y"};
  Table t =
      Table::make({Column::from_strings("s", values),
                   Column::from_values<int64_t>("k", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})});
  std::string py = "df = pd.DataFrame({'s': [";
  for (const std::string& v : values) {
    py += "bytes.fromhex('";
    for (unsigned char c : v) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", c);
      py += hex;
    }
    py += "').decode('utf-8'), ";
  }
  py += "], 'k': range(1, 13)})";
  EXPECT_EQ(to_csv(t), pandas_csv(py));
  CsvWriteOptions tsv;
  tsv.delimiter = '\t';
  EXPECT_EQ(to_csv(t, tsv), pandas_csv(py, "sep='\\t'"));
  CsvWriteOptions semi;
  semi.delimiter = ';';
  semi.line_terminator = "\r\n";
  EXPECT_EQ(to_csv(t, semi), pandas_csv(py, "sep=';', lineterminator='\\r\\n'"));
}

TEST(CsvWriter, QuotesCarriageReturnsWhichPandasLeavesBare) {
  // Python's csv module quotes only bytes of the line terminator, so pandas
  // writes "r\rs" bare with "\n" rows, and its own reader splits the row there.
  // We quote it: the one place we differ from pandas, on purpose.
  Table t = Table::make({Column::from_strings("s", {"r\rs"})});
  EXPECT_EQ(to_csv(t), "s\n\"r\rs\"\n");
  EXPECT_EQ(pandas_csv("df = pd.DataFrame({'s': ['r\\rs']})"), "s\nr\rs\n");
}

TEST(CsvWriter, OneEmptyFieldIsWrittenQuotedLikePythonCsv) {
  Table one = Table::make({Column::from_optional_strings("a", {"", std::nullopt, "x"})});
  EXPECT_EQ(to_csv(one), pandas_csv("df = pd.DataFrame({'a': ['', None, 'x']})"));
  Table two = Table::make({Column::from_optional_strings("a", {"", std::nullopt}),
                           Column::from_strings("b", {"", ""})});
  EXPECT_EQ(to_csv(two), pandas_csv("df = pd.DataFrame({'a': ['', None], 'b': ['', '']})"));
  Table nameless = Table::make({Column::from_values<int64_t>("", {1})});
  EXPECT_EQ(to_csv(nameless), pandas_csv("df = pd.DataFrame({'': [1]})"));
  EXPECT_EQ(to_csv(Table::make({}, {}, 3)), pandas_csv("df = pd.DataFrame(index=range(3))"));
  EXPECT_EQ(to_csv(Table::make({Column::from_values<int64_t>("a", {})})),
            pandas_csv("df = pd.DataFrame({'a': np.array([], dtype=np.int64)})"));
}

TEST(CsvWriter, NullTextIsQuotedWhenItHoldsTheDelimiter) {
  Table t = Table::make({Column::from_optional<double>("a", {1.0, std::nullopt}),
                         Column::from_values<int64_t>("b", {1, 2})});
  CsvWriteOptions o;
  o.null_value = "a,b";
  EXPECT_EQ(to_csv(t, o),
            pandas_csv("df = pd.DataFrame({'a': [1.0, np.nan], 'b': [1, 2]})", "na_rep='a,b'"));
}

TEST(CsvWriter, NaiveTimestampsUseOneLayoutPerColumnLikePandas) {
  const int64_t day = 86400LL * 1000000000;
  const int64_t t0 = 1577836800LL * 1000000000;  // 2020-01-01
  Table t = Table::make({
      Column::from_timestamps("midnights", {t0, t0 + day, -day * 365}, TimeUnit::kNano),
      Column::from_optional_timestamps("with_null", {t0, std::nullopt, t0 + 3 * day},
                                       TimeUnit::kNano),
      Column::from_timestamps("seconds", {t0 + 1000000000, t0, t0 + day}, TimeUnit::kNano),
      Column::from_timestamps("millis", {t0 + 500000000, t0, -1000000}, TimeUnit::kNano),
      Column::from_timestamps("micros", {t0 + 1000, t0 + 500000000, t0}, TimeUnit::kNano),
      Column::from_timestamps("nanos", {t0 + 123456789, t0 + 100000000, -1}, TimeUnit::kNano),
      Column::from_timestamps("ms_unit", {1577836800001, 1577836800000, -1}, TimeUnit::kMilli),
      Column::from_timestamps("us_unit", {1577836800000001, 0, -1}, TimeUnit::kMicro),
  });
  const std::string py = R"(
t0 = pd.Timestamp('2020-01-01')
D = pd.Timedelta(days=1)
ns = lambda n: pd.Timedelta(n, unit='ns')
df = pd.DataFrame({
  'midnights': [t0, t0 + D, pd.Timestamp(0) - 365 * D],
  'with_null': [t0, pd.NaT, t0 + 3 * D],
  'seconds': [t0 + ns(10**9), t0, t0 + D],
  'millis': [t0 + ns(5 * 10**8), t0, pd.Timestamp(0) - ns(10**6)],
  'micros': [t0 + ns(1000), t0 + ns(5 * 10**8), t0],
  'nanos': [t0 + ns(123456789), t0 + ns(10**8), pd.Timestamp(-1)],
  'ms_unit': np.array([1577836800001, 1577836800000, -1], dtype='datetime64[ms]'),
  'us_unit': np.array([1577836800000001, 0, -1], dtype='datetime64[us]'),
}))";
  EXPECT_EQ(to_csv(t), pandas_csv(py));
}

TEST(CsvWriter, ZonedTimestampsPrintValueByValueWithTheOffset) {
  const int64_t t0 = 1577836800LL * 1000000000;
  Table t = Table::make({
      Column::from_optional_timestamps("utc", {t0 + 500000000, t0 + 7, t0, std::nullopt},
                                       TimeUnit::kNano, "UTC"),
      Column::from_optional_timestamps("india", {t0 + 500000000, t0 + 7, t0, std::nullopt},
                                       TimeUnit::kNano, "+05:30"),
  });
  const std::string py = R"(
t = pd.to_datetime([1577836800500000000, 1577836800000000007, 1577836800000000000, None])
df = pd.DataFrame({'utc': t.tz_localize('UTC'),
                   'india': t.tz_localize('UTC').tz_convert('+05:30')}))";
  EXPECT_EQ(to_csv(t), pandas_csv(py));
  // A named zone needs a tz database we do not have: it prints as UTC.
  Table ny =
      Table::make({Column::from_timestamps("ny", {t0}, TimeUnit::kNano, "America/New_York")});
  EXPECT_EQ(to_csv(ny), "ny\n2020-01-01 00:00:00+00:00\n");
}

TEST(CsvWriter, DatesCategoricalsAndBinary) {
  Table t = Table::make({
      Column::from_dates("d", {18262, -1, 0}),
      Column::from_dictionary("c", {1, -1, 0}, {"x,y", "z"}),
  });
  const std::string py = R"(
D = datetime.date
df = pd.DataFrame({'d': [D(2020, 1, 1), D(1969, 12, 31), D(1970, 1, 1)],
                   'c': pd.Categorical.from_codes([1, -1, 0], ['x,y', 'z'])}))";
  EXPECT_EQ(to_csv(t), pandas_csv(py));
  // Unsigned dictionary indices (Arrow allows them; pandas has none).
  auto dict = std::make_shared<const Column>(Column::from_strings("", {"a", "b"}));
  ColumnBuffers buffers;
  buffers.values = Buffer::from_vector(std::vector<uint8_t>{1, 0, 1});
  buffers.dictionary = dict;
  const Column u8 =
      Column::make("u", DataType::dictionary(DataType::uint8(), DataType::string()), 3, buffers);
  EXPECT_EQ(to_csv(Table::make({u8})), "u\nb\na\nb\n");
  // Binary is written as its bytes (pandas would write Python's b'...' repr).
  Table b = Table::make({Column::from_binary("b", {std::string("a\0b", 3), "c,d"})});
  EXPECT_EQ(to_csv(b), std::string("b\na\0b\n\"c,d\"\n", 12));
}

TEST(CsvWriter, SlicedColumnsHonourTheirOffset) {
  Table t = Table::make({Column::from_optional<int64_t>("i", {1, std::nullopt, 3, 4}),
                         Column::from_optional_strings("s", {"a", "b", std::nullopt, "d"}),
                         Column::from_optional_bools("b", {true, false, std::nullopt, true})});
  EXPECT_EQ(to_csv(t.slice(1, 3)), "i,s,b\n,b,False\n3,,\n4,d,True\n");
}

TEST(CsvWriter, ThreadsWriteTheSameBytesInPiecesOfAtMostOneMiB) {
  const int64_t n = 300000;
  std::vector<int64_t> ints(n);
  std::vector<double> floats(n);
  std::vector<std::string> strings(n);
  std::vector<int64_t> times(n);
  for (int64_t i = 0; i < n; ++i) {
    ints[i] = i * 7919 - n;
    floats[i] = static_cast<double>(i) / 7.0;
    strings[i] = i % 97 == 0 ? "q\"uote" : "key_" + std::to_string(i % 1000);
    times[i] = 1577836800000000000 + i * 1000001;
  }
  Table t = Table::make(
      {Column::from_values<int64_t>("i", ints), Column::from_values<double>("f", floats),
       Column::from_strings("s", strings), Column::from_timestamps("t", times, TimeUnit::kNano)});
  CsvWriteOptions one;
  one.threads = 1;
  CsvWriteOptions four;
  four.threads = 4;
  size_t largest = 0;
  std::string parallel;
  write_csv(
      t,
      [&](std::span<const uint8_t> b) {
        largest = std::max(largest, b.size());
        parallel.append(reinterpret_cast<const char*>(b.data()), b.size());
      },
      four);
  EXPECT_EQ(parallel, to_csv(t, one));
  EXPECT_LE(largest, size_t{1} << 20);
  EXPECT_GT(parallel.size(), size_t{10} << 20);
}

TEST(CsvWriter, SinkErrorsReachTheCaller) {
  std::vector<int64_t> ints(200000, 5);
  Table t = Table::make({Column::from_values<int64_t>("i", ints)});
  for (size_t threads : {size_t{1}, size_t{3}}) {
    CsvWriteOptions o;
    o.threads = threads;
    int calls = 0;
    EXPECT_THROW(write_csv(
                     t,
                     [&](std::span<const uint8_t>) {
                       if (++calls == 2) throw IoError("disk full");
                     },
                     o),
                 IoError);
  }
}

TEST(CsvWriter, RejectsDelimitersThatCannotBeQuoted) {
  Table t = Table::make({Column::from_values<int64_t>("i", {1})});
  for (char d : {'"', '\n', '\r'}) {
    CsvWriteOptions o;
    o.delimiter = d;
    EXPECT_THROW(to_csv(t, o), InvalidArgument);
  }
  CsvWriteOptions empty;
  empty.line_terminator = "";
  EXPECT_THROW(to_csv(t, empty), InvalidArgument);
}

TEST(CsvWriter, DelimiterInsideNumbersQuotesThemLikePandas) {
  Table t = Table::make({Column::from_values<double>("a", {1.5, 2.0}),
                         Column::from_timestamps("t", {1577836800000, 0}, TimeUnit::kMilli)});
  CsvWriteOptions o;
  o.delimiter = '.';
  EXPECT_EQ(to_csv(t, o), pandas_csv("df = pd.DataFrame({'a': [1.5, 2.0], 't': "
                                     "pd.to_datetime([1577836800000, 0], unit='ms')})",
                                     "sep='.'"));
}

}  // namespace
}  // namespace quilt
