#include "quilt/compact_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "quilt/errors.h"

namespace quilt {
namespace {

class RandomJson {
 public:
  explicit RandomJson(uint32_t seed) : rng_(seed) {}

  Json value(int depth = 0) {
    switch (pick(depth < 4 ? 9 : 6)) {
      case 0: return Json();
      case 1: return Json(pick(2) == 0);
      case 2: return Json::integer(pick(2) ? "-18446744073709551617" : std::to_string(pick(100000)));
      case 3: return Json(number());
      case 4:
      case 5: return Json(text());
      case 6: {
        Json::Array a;
        for (int i = pick(4); i > 0; --i) a.push_back(value(depth + 1));
        return Json(std::move(a));
      }
      default: {
        Json o = Json::object();
        for (int i = pick(5); i > 0; --i) o.set(text(), value(depth + 1));
        return o;
      }
    }
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  double number() {
    const double specials[] = {0.0, -0.0, 1e16, 1e-5, 0.1, 5e-324, 1.5e300,
                               std::numeric_limits<double>::quiet_NaN(),
                               std::numeric_limits<double>::infinity(), -2.5};
    if (pick(2) == 0) return specials[pick(10)];
    return std::ldexp(static_cast<double>(rng_()), pick(200) - 100);
  }

  std::string text() {
    // Pieces that exercise every escaping rule of both encodings.
    const char* pieces[] = {"a", "Z", "_", " ", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f",
                            "é", "中", "😀", "\u2028", "\xed\xa0\x80" /* lone surrogate */, "/", "0"};
    std::string s;
    for (int i = pick(6); i > 0; --i) s += pieces[pick(18)];
    return s;
  }

  std::mt19937 rng_;
};

TEST(CompactJson, EmptyObjectIsEmptyText) {
  CompactJson empty;
  EXPECT_TRUE(empty.is_empty_object());
  EXPECT_TRUE(CompactJson(Json::object()).is_empty_object());
  std::string out;
  empty.dump_manifest(out);
  empty.dump_canonical(out);
  EXPECT_EQ(out, "{}{}");
  EXPECT_EQ(empty.value(), Json::object());
}

TEST(CompactJson, KeepsInsertionOrderAndWritesManifestForm) {
  Json v = Json::object();
  v.set("b", Json(1));
  v.set("a", Json("é"));
  CompactJson c(v);
  EXPECT_EQ(c.text(), "{\"b\": 1, \"a\": \"é\"}");
  std::string canonical;
  c.dump_canonical(canonical);
  EXPECT_EQ(canonical, "{\"a\":\"\\u00e9\",\"b\":1}");
}

TEST(CompactJson, NanIsKeptButNotWritten) {
  Json v = Json::object();
  v.set("x", Json(std::numeric_limits<double>::quiet_NaN()));
  CompactJson c(v);
  std::string canonical;
  c.dump_canonical(canonical);
  EXPECT_EQ(canonical, "{\"x\":NaN}");
  std::string manifest;
  EXPECT_THROW(c.dump_manifest(manifest), InvalidArgument);
  // A string that merely mentions NaN is written.
  CompactJson text_only(Json::parse("{\"note\": \"NaN and Infinity\"}"));
  manifest.clear();
  text_only.dump_manifest(manifest);
  EXPECT_EQ(manifest, "{\"note\": \"NaN and Infinity\"}");
}

// The tree-free canonical transcoder must agree with the tree encoder on
// every value, whatever its keys, strings and numbers.
TEST(CompactJson, CanonicalAgreesWithTreeEncoder) {
  RandomJson gen(12345);
  for (int i = 0; i < 5000; ++i) {
    Json v = gen.value();
    CompactJson c(v);
    std::string got;
    c.dump_canonical(got);
    ASSERT_EQ(got, v.canonical()) << "compact text: " << c.text();
    ASSERT_TRUE(c.value() == v || c.text().find("NaN") != std::string::npos);
  }
}

// Whatever form JSON text comes in, from_json_text keeps the value exactly as
// parsing and re-encoding would; text already compact is kept byte for byte.
TEST(CompactJson, FromJsonTextEqualsParseThenEncode) {
  RandomJson gen(777);
  std::mt19937 rng(99);
  const char* edits[][2] = {{", ", ","}, {": ", ":"}, {"1", "1E0"}, {"0", "0.0"}, {"é", "\\u00e9"},
                            {"\"a\"", "\"\\u0061\""}, {"{", "{ "}, {"1.", "01."}, {"-0", "-0"}};
  for (int i = 0; i < 4000; ++i) {
    Json v = gen.value();
    if (!v.is_object()) continue;
    std::string text;
    v.dump_manifest(text, /*allow_nan=*/true);
    CompactJson direct = CompactJson::from_json_text(text);
    ASSERT_EQ(direct.text(), CompactJson(v).text()) << text;
    // An edited variant: maybe still JSON, maybe not; both paths must agree.
    std::string edited = text;
    const auto& edit = edits[rng() % 9];
    size_t at = edited.find(edit[0]);
    if (at != std::string::npos) edited.replace(at, std::strlen(edit[0]), edit[1]);
    std::string want;
    try {
      want = CompactJson(Json::parse(edited)).text();
    } catch (const Corrupt&) {
      EXPECT_THROW(CompactJson::from_json_text(edited), Corrupt) << edited;
      continue;
    }
    ASSERT_EQ(CompactJson::from_json_text(edited).text(), want) << edited;
  }
  // Duplicate keys: the first position, the last value.
  EXPECT_EQ(CompactJson::from_json_text("{\"a\": 1, \"b\": 2, \"a\": 3}").text(),
            "{\"a\": 3, \"b\": 2}");
  EXPECT_EQ(CompactJson::from_json_text("{\"x\": 1E5, \"y\": -0}").text(), "{\"x\": 100000.0, \"y\": 0}");
  EXPECT_TRUE(CompactJson::from_json_text("{}").is_empty_object());
}

}  // namespace
}  // namespace quilt
