// FormatRegistry and the built-in formats: the meta each records (byte for
// byte as quilt3 writes it), how a format is chosen, and what each writes and
// reads. Tests that need the csv and parquet codecs are named FormatsTable*.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "quilt/errors.h"
#include "quilt/formats.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::error_of;

// quilt3's default na_values, as its csv handler lists them.
constexpr char kNaValues[] =
    R"(["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", )"
    R"("1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"])";

// The csv meta quilt3 records with no user options, for a field separator
// given as JSON text ("" for none).
std::string csv_meta(const std::string& fieldsep_json) {
  std::string opts = R"({"encoding": "utf-8", "index_names_are_keys": false, "na_values": )" +
                     std::string(kNaValues) +
                     R"(, "use_header": true, "use_index": false, "linesep": "\n")";
  if (!fieldsep_json.empty()) opts += R"(, "fieldsep": )" + fieldsep_json;
  return R"({"format": {"opts": )" + opts + R"(}, "name": "csv"}, "target": "csv"})";
}

const FormatRegistry& registry() { return FormatRegistry::builtin(); }

std::string meta_text(std::string_view format, std::string_view ext, Json options = Json()) {
  const Format* f = registry().find_name(format);
  EXPECT_NE(f, nullptr) << format;
  return f->make_meta({.ext = std::string(ext), .options = std::move(options), .pool = nullptr})
      .manifest_text();
}

// Serialize into memory.
std::string serialize(const Format& format, const Object& object, std::string_view ext,
                      Json options = Json(), Json* meta = nullptr) {
  std::string out;
  Json m = format.serialize(
      object, {.ext = std::string(ext), .options = std::move(options), .pool = nullptr},
      [&](std::span<const uint8_t> b) {
        out.append(reinterpret_cast<const char*>(b.data()), b.size());
      });
  if (meta != nullptr) *meta = m;
  return out;
}

Buffer buffer_of(const std::string& s) {
  return Buffer::from_vector(std::vector<uint8_t>(s.begin(), s.end()));
}

TEST(FormatRegistry, MetaOfFormatsWithoutOptionsIsQuilt3s) {
  for (const char* name : {"bytes", "json", "utf-8", "numpy"}) {
    EXPECT_EQ(meta_text(name, ""), std::string(R"({"format": {"name": ")") + name +
                                       R"("}, "target": ")" + name + R"("})");
  }
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("json", "", Json::parse(R"({"indent": 2})"));
            }).find("takes no options"),
            std::string::npos);
}

TEST(FormatRegistry, CsvMetaIsQuilt3sForEachExtension) {
  EXPECT_EQ(meta_text("csv", "csv"), csv_meta(R"(",")"));
  EXPECT_EQ(meta_text("csv", "tsv"), csv_meta(R"("\t")"));
  EXPECT_EQ(meta_text("csv", "ssv"), csv_meta(R"(";")"));
  EXPECT_EQ(meta_text("csv", ""), csv_meta(""));
}

TEST(FormatRegistry, CsvUserOptionsUpdateDefaultsInPlace) {
  // quilt3: dict.update replaces use_header where it stands; a user fieldsep
  // suppresses the extension's and lands after linesep; new keys are appended.
  std::string meta = meta_text(
      "csv", "tsv", Json::parse(R"({"use_header": false, "fieldsep": "|", "na_values": ["NA"]})"));
  EXPECT_EQ(meta,
            R"({"format": {"opts": {"encoding": "utf-8", "index_names_are_keys": false, )"
            R"("na_values": ["NA"], "use_header": false, "use_index": false, "linesep": "\n", )"
            R"("fieldsep": "|"}, "name": "csv"}, "target": "csv"})");
}

TEST(FormatRegistry, CsvRefusesUnknownAndUnsupportedOptions) {
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("csv", "csv", Json::parse(R"({"sep": ";"})"));
            }).find("'sep'"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("csv", "csv", Json::parse(R"({"use_index": true})"));
            }).find("no index"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("csv", "csv", Json::parse(R"({"fieldsep": "::"})"));
            }).find("fieldsep"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("csv", "csv", Json::parse(R"({"encoding": "latin-1"})"));
            }).find("utf-8"),
            std::string::npos);
}

TEST(FormatRegistry, ChoosesByExtensionOfKeyInAnyCase) {
  struct Case {
    ObjectKind kind;
    const char* key;
    const char* format;
    const char* ext;
  };
  for (const Case& c : {Case{ObjectKind::kTable, "a/data.TSV", "csv", "tsv"},
                        Case{ObjectKind::kTable, "data.ssv", "csv", "ssv"},
                        Case{ObjectKind::kTable, "data.csv", "csv", "csv"},
                        Case{ObjectKind::kTable, "x.y/data.parquet", "parquet", "parquet"},
                        Case{ObjectKind::kNDArray, "a.npy", "numpy", "npy"},
                        Case{ObjectKind::kJson, "a.json", "json", "json"},
                        Case{ObjectKind::kText, "README.md", "utf-8", "md"},
                        Case{ObjectKind::kText, "notes.rst", "utf-8", "rst"},
                        Case{ObjectKind::kText, "a.json", "json", "json"},
                        Case{ObjectKind::kBytes, "a.BIN", "bytes", "bin"}}) {
    FormatChoice choice =
        registry().for_object(c.kind, {.format = "", .logical_key = c.key, .location = ""});
    EXPECT_EQ(choice.format->name(), c.format) << c.key;
    EXPECT_EQ(choice.ext, c.ext) << c.key;
  }
}

TEST(FormatRegistry, DefaultsWithoutExtension) {
  struct Case {
    ObjectKind kind;
    const char* format;
    const char* ext;
  };
  for (const Case& c :
       {Case{ObjectKind::kTable, "parquet", "parquet"}, Case{ObjectKind::kNDArray, "numpy", "npy"},
        Case{ObjectKind::kJson, "json", "json"}, Case{ObjectKind::kText, "utf-8", "txt"},
        Case{ObjectKind::kBytes, "bytes", "bin"}}) {
    FormatChoice choice =
        registry().for_object(c.kind, {.format = "", .logical_key = "dir.d/data", .location = ""});
    EXPECT_EQ(choice.format->name(), c.format);
    EXPECT_EQ(choice.ext, c.ext);
  }
}

TEST(FormatRegistry, UnknownPairHasQuilt3sMessage) {
  std::string message = error_of<InvalidArgument>([] {
    registry().for_object(ObjectKind::kTable,
                          {.format = "", .logical_key = "a/b.xyz", .location = ""});
  });
  EXPECT_EQ(message.rfind("quiltcpp does not know how to serialize a Table as a 'xyz' file", 0), 0u)
      << message;
  EXPECT_NE(message.find("parquet, csv, tsv, ssv"), std::string::npos) << message;
  message = error_of<InvalidArgument>([] {
    registry().for_object(ObjectKind::kNDArray,
                          {.format = "", .logical_key = "a.csv", .location = ""});
  });
  EXPECT_EQ(message.rfind("quiltcpp does not know how to serialize a NDArray as a 'csv' file", 0),
            0u)
      << message;
}

TEST(FormatRegistry, KeyAndLocationMustShareTheExtension) {
  std::string message = error_of<InvalidArgument>([] {
    registry().for_object(ObjectKind::kJson,
                          {.format = "", .logical_key = "a.json", .location = "/tmp/x/a.txt"});
  });
  EXPECT_NE(message.find("The logical_key and the serialization_location have different file "
                         "extensions"),
            std::string::npos)
      << message;
  // One without an extension takes the other's.
  FormatChoice choice = registry().for_object(
      ObjectKind::kTable, {.format = "", .logical_key = "table", .location = "/tmp/t.TSV"});
  EXPECT_EQ(choice.format->name(), "csv");
  EXPECT_EQ(choice.ext, "tsv");
}

TEST(FormatRegistry, ExplicitFormatByNameOrExtension) {
  FormatChoice c = registry().for_object(
      ObjectKind::kTable, {.format = ".TSV", .logical_key = "a.csv", .location = ""});
  EXPECT_EQ(c.format->name(), "csv");
  EXPECT_EQ(c.ext, "tsv");
  c = registry().for_object(ObjectKind::kTable,
                            {.format = "csv", .logical_key = "a.tsv", .location = ""});
  EXPECT_EQ(c.ext, "csv");  // "csv" is an extension before it is a name
  c = registry().for_object(ObjectKind::kText,
                            {.format = "utf-8", .logical_key = "a", .location = ""});
  EXPECT_EQ(c.format->name(), "utf-8");
  EXPECT_EQ(c.ext, "txt");
  c = registry().for_object(ObjectKind::kText,
                            {.format = "unicode", .logical_key = "a.md", .location = ""});
  EXPECT_EQ(c.format->name(), "utf-8");
  EXPECT_EQ(c.ext, "md");
  c = registry().for_object(ObjectKind::kNDArray,
                            {.format = "numpy", .logical_key = "a.dat", .location = ""});
  EXPECT_EQ(c.format->name(), "numpy");
  EXPECT_EQ(c.ext, "npy");
  EXPECT_NE(error_of<InvalidArgument>([] {
              registry().for_object(ObjectKind::kTable,
                                    {.format = "numpy", .logical_key = "a", .location = ""});
            }).find("cannot serialize a Table"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([] {
              registry().for_object(ObjectKind::kTable,
                                    {.format = "feather", .logical_key = "a", .location = ""});
            }).find("unknown format 'feather'"),
            std::string::npos);
}

TEST(FormatRegistry, MetaNameThenTargetThenExtension) {
  auto name_for = [](const char* meta, std::string_view ext) {
    return std::string(registry().for_meta(Json::parse(meta), ext).name());
  };
  EXPECT_EQ(name_for(R"({"format": {"name": "csv"}, "target": "json"})", "bin"), "csv");
  EXPECT_EQ(name_for(R"({"format": {}, "target": "pyarrow"})", ""), "parquet");
  EXPECT_EQ(name_for(R"({"target": "unicode"})", "json"), "utf-8");
  EXPECT_EQ(name_for(R"({"target": "numpy"})", ""), "numpy");
  EXPECT_EQ(name_for(R"({"user_meta": {"format": "x"}})", "TSV"), "csv");
  EXPECT_EQ(name_for("{}", "md"), "utf-8");
  EXPECT_EQ(name_for("{}", "parquet"), "parquet");
  EXPECT_NE(error_of<InvalidArgument>([&] {
              name_for(R"({"target": "pandas"})", "csv");
            }).find("'pandas'"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([&] { name_for("{}", "gz"); }).find("'gz'"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([&] { name_for("{}", ""); }).find("no extension"),
            std::string::npos);
}

TEST(FormatRegistry, ExtensionOfTakesTheLastSuffix) {
  EXPECT_EQ(extension_of("a/b.TSV"), "tsv");
  EXPECT_EQ(extension_of("a.tar.gz"), "gz");
  EXPECT_EQ(extension_of("a.b/c"), "");
  EXPECT_EQ(extension_of(".env"), "");
  EXPECT_EQ(extension_of("..x"), "");
  EXPECT_EQ(extension_of("a."), "");
  EXPECT_EQ(extension_of("/tmp/x/data.Parquet"), "parquet");
}

TEST(FormatRegistry, JsonWritesWhatPythonJsonDumpsWrites) {
  const char* text =
      R"({"b": [1, 2.5, -0.0, 1e300, 12345678901234567890123, null, true], "a": "caf\u00e9 )"
      R"(\ud83d\ude00 \"q\" \\ \n", "nan": NaN, "inf": -Infinity, "nested": {"z": {}, "y": []}})";
  Json value = Json::parse(text);
  std::string ours = serialize(*registry().find_name("json"), value, "json");
  std::string python = test::run_python(
      "import json, sys\n"
      "sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))\n",
      text);
  EXPECT_EQ(ours, python);
  EXPECT_EQ(ours.find("é"), std::string::npos);  // ensure_ascii
}

TEST(FormatRegistry, SimpleFormatsRoundTrip) {
  struct Case {
    const char* format;
    Object object;
    std::string bytes;
  };
  std::vector<Case> cases;
  cases.push_back({"json", Json::parse(R"({"k": ["é", 1]})"), R"({"k": ["\u00e9", 1]})"});
  cases.push_back({"json", Text("a \"b\""), R"("a \"b\"")"});
  cases.push_back({"utf-8", Text("héllo\n"), "héllo\n"});
  cases.push_back({"bytes", Bytes(std::string("\0\xff\x01", 3)), std::string("\0\xff\x01", 3)});
  for (const Case& c : cases) {
    const Format& format = *registry().find_name(c.format);
    std::string bytes = serialize(format, c.object, "");
    EXPECT_EQ(bytes, c.bytes) << c.format;
    Object back = format.read(buffer_of(bytes), Json::object(), "", "mem", nullptr);
    if (std::holds_alternative<Text>(c.object) && std::string(c.format) == "json") {
      EXPECT_EQ(std::get<Json>(back), Json(std::get<Text>(c.object).str()));
    } else {
      EXPECT_TRUE(objects_equal(back, c.object)) << c.format;
    }
  }
}

TEST(FormatRegistry, NumpyWritesNpy) {
  NDArray array = NDArray::from_vector(DType::kInt32, std::vector<int32_t>{1, -2, 3, 4}, {2, 2});
  const Format& format = *registry().find_name("numpy");
  std::string bytes = serialize(format, array, "npy");
  std::string direct;
  write_npy(array, [&](std::span<const uint8_t> b) {
    direct.append(reinterpret_cast<const char*>(b.data()), b.size());
  });
  EXPECT_EQ(bytes, direct);
  Object back = format.read(buffer_of(bytes), Json::object(), "npy", "mem", nullptr);
  EXPECT_TRUE(std::get<NDArray>(back).equals(array));
}

TEST(FormatRegistry, BadBytesAreCorruptNamingTheSource) {
  std::string message = error_of<Corrupt>([] {
    registry().find_name("utf-8")->read(buffer_of("ok\xc3("), Json::object(), "", "dir/a.txt",
                                        nullptr);
  });
  EXPECT_NE(message.find("'dir/a.txt'"), std::string::npos) << message;
  EXPECT_NE(message.find("byte 2"), std::string::npos) << message;
  message = error_of<Corrupt>([] {
    registry().find_name("json")->read(buffer_of("{\"a\": }"), Json::object(), "", "b.json",
                                       nullptr);
  });
  EXPECT_NE(message.find("'b.json'"), std::string::npos) << message;
  message = error_of<Corrupt>([] {
    registry().find_name("numpy")->read(buffer_of("\x93NUMPX"), Json::object(), "", "c.npy",
                                        nullptr);
  });
  EXPECT_NE(message.find("c.npy"), std::string::npos) << message;
}

TEST(FormatRegistry, TextRefusesIllFormedUtf8) {
  EXPECT_NE(error_of<InvalidArgument>([] { Text t(std::string("a\xed\xa0\x80")); }).find("byte 1"),
            std::string::npos);
}

TEST(FormatRegistry, LaterAdditionsWinLookups) {
  class Mine final : public Format {
   public:
    std::string_view name() const noexcept override { return "mine"; }
    std::vector<std::string_view> extensions() const override { return {"bin", "mine"}; }
    bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kBytes; }
    Json make_meta(const SerializeContext&) const override { return Json::object(); }
    void write(const Object&, const Json&, const ByteSink&, ThreadPool*) const override {}
    Object read(const Buffer& b, const Json&, std::string_view, std::string_view,
                ThreadPool*) const override {
      return Bytes(b);
    }
  };
  FormatRegistry r = FormatRegistry::builtin();
  r.add(std::make_shared<Mine>(), {"alias"});
  EXPECT_EQ(r.find_extension(ObjectKind::kBytes, "BIN")->name(), "mine");
  EXPECT_EQ(r.default_for(ObjectKind::kBytes)->name(), "mine");
  EXPECT_EQ(r.find_name("alias")->name(), "mine");
  EXPECT_EQ(r.find_extension(ObjectKind::kTable, "csv")->name(), "csv");
  EXPECT_EQ(FormatRegistry::builtin().find_extension(ObjectKind::kBytes, "bin")->name(), "bytes");
}

// ----------------------------------------------------- after the csv/parquet merge

Table sample_table() {
  return Table::make({Column::from_values<int64_t>("id", {1, 2, 3}),
                      Column::from_optional_strings("name", {"a", std::nullopt, "c,d"})});
}

TEST(FormatsTableRegistry, ParquetMetaIsQuilt3s) {
  EXPECT_EQ(meta_text("parquet", "parquet"),
            R"({"format": {"compression": "snappy", "name": "parquet"}, "target": "parquet"})");
  EXPECT_EQ(meta_text("parquet", "parquet", Json::parse(R"({"compression": "zstd"})")),
            R"({"format": {"compression": "zstd", "name": "parquet"}, "target": "parquet"})");
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("parquet", "parquet", Json::parse(R"({"compression": "lzo"})"));
            }).find("'lzo'"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidArgument>([] {
              meta_text("parquet", "parquet", Json::parse(R"({"row_group_size": 5})"));
            }).find("row_group_size"),
            std::string::npos);
}

TEST(FormatsTableRegistry, CsvWritesAsOptionsSay) {
  const Format& csv = *registry().find_name("csv");
  EXPECT_EQ(serialize(csv, sample_table(), "csv"), "id,name\n1,a\n2,\n3,\"c,d\"\n");
  EXPECT_EQ(serialize(csv, sample_table(), "tsv"), "id\tname\n1\ta\n2\t\n3\tc,d\n");
  EXPECT_EQ(
      serialize(csv, sample_table(), "csv",
                Json::parse(R"({"use_header": false, "na_values": ["NULL"], "fieldsep": ";"})")),
      "1;a\n2;NULL\n3;c,d\n");
  EXPECT_EQ(serialize(csv, sample_table(), "csv", Json::parse(R"({"header_names": ["x", "y"]})")),
            "x,y\n1,a\n2,\n3,\"c,d\"\n");
}

TEST(FormatsTableRegistry, CsvReadsQuilt3WrittenOptions) {
  const Format& csv = *registry().find_name("csv");
  // A tab-separated file under a .csv name: the recorded fieldsep wins.
  Json meta = Json::parse(R"({"format": {"name": "csv", "opts": {"fieldsep": "\t", )"
                          R"("use_header": true, "na_values": ["-"], "use_index": false}}, )"
                          R"("target": "csv"})");
  Table t =
      std::get<Table>(csv.read(buffer_of("a\tb\n1\t-\n2\tx\n"), meta, "csv", "t.csv", nullptr));
  ASSERT_EQ(t.num_columns(), 2);
  EXPECT_EQ(t.column(0).name(), "a");
  EXPECT_EQ(t.column(1).null_count(), 1);
  // No header: names from header_names.
  meta = Json::parse(R"({"format": {"name": "csv", "opts": {"use_header": false, )"
                     R"("header_names": ["p", "q"]}}, "target": "csv"})");
  t = std::get<Table>(csv.read(buffer_of("1,2\n3,4\n"), meta, "", "n.csv", nullptr));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(1).name(), "q");
  // Without meta, the extension gives the separator.
  t = std::get<Table>(csv.read(buffer_of("a;b\n1;2\n"), Json::object(), "ssv", "s.ssv", nullptr));
  EXPECT_EQ(t.num_columns(), 2);
}

TEST(FormatsTableRegistry, ParquetRoundTrip) {
  const Format& parquet = *registry().find_name("parquet");
  std::string bytes = serialize(parquet, sample_table(), "parquet");
  EXPECT_EQ(bytes.substr(0, 4), "PAR1");
  Table back = std::get<Table>(parquet.read(buffer_of(bytes), Json::object(), "", "p", nullptr));
  EXPECT_TRUE(back.equals(sample_table())) << "parquet round trip";
}

}  // namespace
}  // namespace quilt
