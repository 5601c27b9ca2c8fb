// PackageBuilder::set(key, object) and deserialize(entry): entries complete
// when set returns, manifest lines as quilt3 writes them, hashes checked on
// read, and nothing left behind by a failed set. Tests needing the csv and
// parquet codecs are named FormatsTable*.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "parquet_oracle.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::error_of;
using test::contains;

namespace fs = std::filesystem;

// Every regular file below `dir` (none when it does not exist).
std::vector<std::string> files_below(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  return out;
}

// The manifest line of `key`.
std::string manifest_line(const Package& pkg, const std::string& key) {
  std::string text = pkg.manifest_text();
  std::string needle = "{\"logical_key\": \"" + key + "\"";
  size_t start = text.find(needle);
  EXPECT_NE(start, std::string::npos) << text;
  if (start == std::string::npos) return {};
  return text.substr(start, text.find('\n', start) - start);
}

// A format that writes `before` bytes, then throws: a serializer failing midway.
class FailingFormat final : public Format {
 public:
  explicit FailingFormat(size_t before) : before_(before) {}
  std::string_view name() const noexcept override { return "failing"; }
  std::vector<std::string_view> extensions() const override { return {"fail"}; }
  bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kBytes; }
  Json make_meta(const SerializeContext&) const override { return Json::object(); }
  void write(const Object&, const Json&, const ByteSink& sink, ThreadPool*) const override {
    std::vector<uint8_t> chunk(4096, 'x');
    for (size_t done = 0; done < before_; done += chunk.size()) sink(chunk);
    throw IoError("serializer failed midway");
  }
  Object read(const Buffer& b, const Json&, std::string_view, std::string_view,
              ThreadPool*) const override {
    return Bytes(b);
  }

 private:
  size_t before_;
};

class SetObjectTest : public ::testing::Test {
 protected:
  SetObjectOptions store_options() const {
    SetObjectOptions o;
    o.data_dir = (dir_.path() / "data").string();
    o.pool = const_cast<ThreadPool*>(&pool_);
    return o;
  }
  std::string objects_dir() const { return (dir_.path() / "data" / "objects").string(); }

  test::TempDir dir_;
  ThreadPool pool_{2};
};

TEST_F(SetObjectTest, JsonEntryLineIsQuilt3s) {
  PackageBuilder b;
  SetObjectOptions options = store_options();
  options.meta = Json::parse(R"({"by": "test"})");
  b.set("data/x.json", Json::parse(R"({"é": [1, 2.5]})"), options);
  Package pkg = b.build(pool_);
  const ManifestEntry* e = pkg.find("data/x.json");
  ASSERT_NE(e, nullptr);
  std::string path = e->physical_key.local_path();
  EXPECT_EQ(path.rfind(objects_dir() + "/sha2-256-chunked/", 0), 0u) << path;
  EXPECT_EQ(test::read_file(path), R"({"\u00e9": [1, 2.5]})");
  FileHash independent = hash_file(path, HashType::kSha2256Chunked, pool_);
  EXPECT_EQ(manifest_line(pkg, "data/x.json"),
            R"({"logical_key": "data/x.json", "physical_keys": [")" + e->physical_key.str() +
                R"("], "size": )" + std::to_string(independent.size) +
                R"(, "hash": {"type": "sha2-256-chunked", "value": ")" + independent.hash.value +
                R"("}, "meta": {"format": {"name": "json"}, "target": "json", )"
                R"("user_meta": {"by": "test"}}})");
}

TEST_F(SetObjectTest, EntryIsCompleteWhenSetReturns) {
  PackageBuilder b;
  b.set("t.txt", Text("hello\n"), store_options());
  Package pkg = b.build(pool_);
  const ManifestEntry* e = pkg.find("t.txt");
  ASSERT_NE(e, nullptr);
  std::string path = e->physical_key.local_path();
  FileHash independent = hash_file(path, HashType::kSha2256Chunked, pool_);
  EXPECT_EQ(e->hash, independent.hash);
  EXPECT_EQ(e->size, 6u);

  // build() takes the hash from set: a stored file changed afterwards (which
  // a re-hash would notice) leaves the entry as set made it.
  PackageBuilder again;
  again.set("u.txt", Text("other bytes\n"), store_options());
  std::string stored = again.build(pool_).find("u.txt")->physical_key.local_path();
  Hash at_set = again.build(pool_).find("u.txt")->hash;
  ::chmod(stored.c_str(), 0644);
  test::TempDir scratch;
  fs::copy_file(scratch.write("x", "OTHER BYTES\n"), stored, fs::copy_options::overwrite_existing);
  EXPECT_EQ(again.build(pool_).find("u.txt")->hash, at_set);
}

TEST_F(SetObjectTest, RoundTripsThroughBuildAndDeserialize) {
  NDArray array = NDArray::from_vector(DType::kFloat64, std::vector<double>{1.5, -2, 1e300}, {3});
  Json json = Json::parse(R"({"a": [1, null, "x"], "b": {"c": true}})");
  PackageBuilder b;
  b.set("a.npy", array, store_options());
  b.set("dir/b.json", json, store_options());
  b.set("c.md", Text("# Title\n\nré\n"), store_options());
  b.set("d.bin", Bytes(std::string("\0\1\2\xff", 4)), store_options());
  b.set("e", Text("no extension: utf-8"), store_options());
  Package pkg = b.build(pool_);
  EXPECT_TRUE(std::get<NDArray>(deserialize(*pkg.find("a.npy"))).equals(array));
  EXPECT_EQ(std::get<Json>(deserialize(*pkg.find("dir/b.json"))), json);
  EXPECT_EQ(std::get<Text>(deserialize(*pkg.find("c.md"))).str(), "# Title\n\nré\n");
  EXPECT_EQ(std::get<Bytes>(deserialize(*pkg.find("d.bin"))).view(), std::string("\0\1\2\xff", 4));
  EXPECT_EQ(
      std::get<Text>(deserialize(*pkg.find("e"), {.registry = nullptr, .pool = &pool_})).str(),
      "no extension: utf-8");
  EXPECT_EQ(pkg.find("a.npy")->meta.value(),
            Json::parse(R"({"format": {"name": "numpy"}, "target": "numpy"})"));
  EXPECT_EQ(pkg.find("c.md")->meta.value(),
            Json::parse(R"({"format": {"name": "utf-8"}, "target": "utf-8"})"));
  // The npy bytes are numpy's: numpy reads them back.
  std::string py = test::run_python(
      "import numpy, sys\n"
      "a = numpy.load(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline().strip())\n"
      "print(a.dtype, a.tolist())\n",
      pkg.find("a.npy")->physical_key.local_path() + "\n");
  EXPECT_EQ(py, "float64 [1.5, -2.0, 1e+300]\n");
}

TEST_F(SetObjectTest, ReusesTheStoredObjectForEqualBytes) {
  PackageBuilder b;
  b.set("a.txt", Text("same"), store_options());
  b.set("b.txt", Text("same"), store_options());
  Package pkg = b.build(pool_);
  EXPECT_EQ(pkg.find("a.txt")->physical_key, pkg.find("b.txt")->physical_key);
  EXPECT_EQ(files_below(objects_dir()).size(), 1u);
}

TEST_F(SetObjectTest, WritesToALocation) {
  std::string location = (dir_.path() / "out" / "sub" / "obj.json").string();
  PackageBuilder b;
  SetObjectOptions options = store_options();
  options.location = location;
  b.set("k/obj.json", Json::parse("[1, 2]"), options);
  Package pkg = b.build(pool_);
  const ManifestEntry* e = pkg.find("k/obj.json");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->physical_key, PhysicalKey::from_local_path(location));
  EXPECT_EQ(test::read_file(location), "[1, 2]");
  EXPECT_EQ(e->hash, hash_file(location, HashType::kSha2256Chunked, pool_).hash);
  EXPECT_EQ(files_below(dir_.path() / "out"), std::vector<std::string>{location});
  EXPECT_TRUE(files_below(objects_dir()).empty());
  // Setting again replaces the file whole.
  options.location = "file://" + location;
  b.set("k/obj.json", Json::parse("[3]"), options);
  EXPECT_EQ(test::read_file(location), "[3]");
  EXPECT_EQ(std::get<Json>(deserialize(*b.build(pool_).find("k/obj.json"))), Json::parse("[3]"));
}

TEST_F(SetObjectTest, RelativeDataDirGivesAnAbsolutePhysicalKey) {
  // A physical key is a file:// URL, so a data dir given relative to the
  // current directory must be resolved before the key is made.
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  SetObjectOptions options;
  options.data_dir = "relative-data";
  PackageBuilder b;
  try {
    b.set("x.txt", Text("hello"), options);
  } catch (...) {
    std::filesystem::current_path(cwd);
    throw;
  }
  std::filesystem::current_path(cwd);
  Package pkg = b.build(pool_);
  std::string path = pkg.find("x.txt")->physical_key.local_path();
  EXPECT_EQ(path.rfind((dir_.path() / "relative-data" / "objects").string(), 0), 0u) << path;
  EXPECT_EQ(test::read_file(path), "hello");
}

TEST_F(SetObjectTest, LocationExtensionMustMatchTheKey) {
  PackageBuilder b;
  SetObjectOptions options = store_options();
  options.location = (dir_.path() / "new" / "obj.txt").string();
  std::string message =
      error_of<InvalidArgument>([&] { b.set("obj.json", Json::parse("{}"), options); });
  EXPECT_TRUE(contains(message, "different file extensions")) << message;
  EXPECT_FALSE(fs::exists(dir_.path() / "new"));
  EXPECT_EQ(b.size(), 0u);
}

TEST_F(SetObjectTest, UnknownPairAndBadKeyChangeNothing) {
  PackageBuilder b;
  std::string message =
      error_of<InvalidArgument>([&] { b.set("a.xyz", Text("t"), store_options()); });
  EXPECT_EQ(message.rfind("quiltcpp does not know how to serialize a Text as a 'xyz' file", 0), 0u)
      << message;
  error_of<InvalidArgument>([&] { b.set("a/../b.txt", Text("t"), store_options()); });
  b.set("f.txt", Text("file"), store_options());
  message = error_of<InvalidArgument>([&] { b.set("f.txt/x.txt", Text("t"), store_options()); });
  EXPECT_TRUE(contains(message, "'f.txt' is a file")) << message;
  EXPECT_EQ(b.size(), 1u);
}

TEST_F(SetObjectTest, FailingSerializerLeavesNothingBehind) {
  for (size_t before : {size_t{0}, size_t{100} << 10, size_t{1} << 20}) {
    FormatRegistry registry;
    registry.add(std::make_shared<FailingFormat>(before));
    PackageBuilder b;
    b.set("keep.fail", Bytes(std::string("old")), [&] {
      SetObjectOptions o = store_options();
      o.format = "bytes";
      return o;
    }());
    std::string before_text = b.build(pool_).manifest_text();
    std::vector<std::string> stored_before = files_below(objects_dir());

    SetObjectOptions options = store_options();
    options.registry = &registry;
    std::string message =
        error_of<IoError>([&] { b.set("keep.fail", Bytes(std::string("new")), options); });
    EXPECT_TRUE(contains(message, "midway")) << message;
    EXPECT_EQ(files_below(objects_dir()), stored_before) << before;
    EXPECT_EQ(b.build(pool_).manifest_text(), before_text);

    options.location = (dir_.path() / "loc" / "deeper" / "x.fail").string();
    error_of<IoError>([&] { b.set("other.fail", Bytes(std::string("new")), options); });
    EXPECT_FALSE(fs::exists(dir_.path() / "loc")) << "directories made for the location remain";
    EXPECT_FALSE(b.contains("other.fail"));

    // An existing location file stays as it was.
    std::string existing = dir_.write("there/y.fail", "original");
    options.location = existing;
    error_of<IoError>([&] { b.set("y.fail", Bytes(std::string("new")), options); });
    EXPECT_EQ(test::read_file(existing), "original");
    EXPECT_EQ(files_below(dir_.path() / "there"), std::vector<std::string>{existing});
  }
}

TEST_F(SetObjectTest, DeserializeDetectsATamperedObject) {
  PackageBuilder b;
  SetObjectOptions options = store_options();
  options.location = (dir_.path() / "t.json").string();
  b.set("t.json", Json::parse(R"({"n": 1})"), options);
  Package pkg = b.build(pool_);
  const ManifestEntry& e = *pkg.find("t.json");
  dir_.write("t.json", R"({"n": 2})");  // same size, other bytes
  Hash actual = hash_file(options.location, HashType::kSha2256Chunked, pool_).hash;
  std::string message = error_of<Corrupt>([&] { deserialize(e); });
  EXPECT_TRUE(contains(message, "'t.json'")) << message;
  EXPECT_TRUE(contains(message, e.hash.value)) << message;
  EXPECT_TRUE(contains(message, actual.value)) << message;

  dir_.write("t.json", R"({"n": 10})");
  message = error_of<Corrupt>([&] { deserialize(e); });
  EXPECT_TRUE(contains(message, "size")) << message;
}

TEST_F(SetObjectTest, Quilt3WrittenMetaPicksTheReader) {
  // Entries as quilt3 writes them, over files whose extension says otherwise.
  auto entry_for = [&](const std::string& name, const std::string& bytes, const char* meta) {
    std::string path = dir_.write(name, bytes);
    ManifestEntry e;
    e.logical_key = name;
    e.physical_key = PhysicalKey::from_local_path(path);
    e.size = bytes.size();
    e.hash = hash_file(path, HashType::kSha2256Chunked, pool_).hash;
    e.meta = Json::parse(meta);
    return e;
  };
  Object o = deserialize(entry_for("a.dat", "legacy", R"({"target": "unicode"})"));
  EXPECT_EQ(std::get<Text>(o).str(), "legacy");
  o = deserialize(entry_for("b.txt", "[1]", R"({"format": {"name": "json"}, "target": "json"})"));
  EXPECT_EQ(std::get<Json>(o), Json::parse("[1]"));
  o = deserialize(entry_for("c.json", "{}", R"({"user_meta": {"x": 1}})"));
  EXPECT_EQ(std::get<Json>(o), Json::object());
  o = deserialize(entry_for("d.TXT", "by extension", "{}"));
  EXPECT_EQ(std::get<Text>(o).str(), "by extension");
  // A legacy SHA256 entry is verified with its own hash type.
  ManifestEntry legacy = entry_for("e.bin", "abc", R"({"format": {"name": "bytes"}})");
  legacy.hash = {HashType::kSha256,
                 "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"};
  EXPECT_EQ(std::get<Bytes>(deserialize(legacy)).view(), "abc");
  std::string message = error_of<InvalidArgument>(
      [&] { deserialize(entry_for("f.csv", "a\n1\n", R"({"target": "pandas"})")); });
  EXPECT_TRUE(contains(message, "'pandas'")) << message;
}

// ----------------------------------------------------- after the csv/parquet merge

Table people() {
  return Table::make({Column::from_values<int64_t>("id", {1, 2, 3}),
                      Column::from_optional_strings("name", {"ann", std::nullopt, "c\td"}),
                      Column::from_values<double>("score", {0.5, 1e-7, -3})});
}

// The same fixture under a name the pre-merge filter (-*FormatsTable*) can drop.
class FormatsTableSetObject : public SetObjectTest {};

TEST_F(FormatsTableSetObject, ParquetByDefault) {
  PackageBuilder b;
  b.set("tables/people", people(), store_options());
  b.set("tables/p2.parquet", people(), [&] {
    SetObjectOptions o = store_options();
    o.format_options = Json::parse(R"({"compression": "zstd"})");
    return o;
  }());
  Package pkg = b.build(pool_);
  const ManifestEntry& e = *pkg.find("tables/people");
  EXPECT_TRUE(contains(manifest_line(pkg, "tables/people"),
                       R"("meta": {"format": {"compression": "snappy", "name": "parquet"}, )"
                       R"("target": "parquet"}})"));
  EXPECT_TRUE(contains(manifest_line(pkg, "tables/p2.parquet"),
                       R"("meta": {"format": {"compression": "zstd", "name": "parquet"}, )"
                       R"("target": "parquet"}})"));
  EXPECT_EQ(e.hash, hash_file(e.physical_key.local_path(), HashType::kSha2256Chunked, pool_).hash);
  EXPECT_TRUE(std::get<Table>(deserialize(e)).equals(people()));
  test::OracleReport report = test::check_parquet(e.physical_key.local_path());
  EXPECT_EQ(report.exit_code, 0) << report.problems() << report.err;
}

TEST_F(FormatsTableSetObject, TsvMetaAndRoundTrip) {
  PackageBuilder b;
  b.set("people.tsv", people(), store_options());
  Package pkg = b.build(pool_);
  const ManifestEntry& e = *pkg.find("people.tsv");
  EXPECT_TRUE(contains(manifest_line(pkg, "people.tsv"),
                       R"("use_index": false, "linesep": "\n", "fieldsep": "\t"}, "name": "csv"}, )"
                       R"("target": "csv"}})"));
  EXPECT_EQ(test::read_file(e.physical_key.local_path()).substr(0, 14), "id\tname\tscore\n");
  EXPECT_TRUE(std::get<Table>(deserialize(e)).equals(people()));
}

TEST_F(FormatsTableSetObject, Quilt3CsvMetaWithTabs) {
  const std::string bytes = "a\tb\n1\t\n2\tz\n";
  std::string path = dir_.write("x.csv", bytes);
  ManifestEntry e;
  e.logical_key = "x.csv";
  e.physical_key = PhysicalKey::from_local_path(path);
  e.size = bytes.size();
  e.hash = hash_file(path, HashType::kSha2256Chunked, pool_).hash;
  e.meta =
      Json::parse(R"({"format": {"name": "csv", "opts": {"encoding": "utf-8", "fieldsep": "\t", )"
                  R"("index_names_are_keys": false, "na_values": [""], "use_header": true, )"
                  R"("use_index": false, "linesep": "\n"}}, "target": "csv"})");
  Table t = std::get<Table>(deserialize(e));
  ASSERT_EQ(t.num_columns(), 2);
  EXPECT_EQ(t.column(1).name(), "b");
  EXPECT_EQ(t.column(1).null_count(), 1);
}

}  // namespace
}  // namespace quilt
