// Unit tests for quilt::Json: parsing (json.loads), the canonical and manifest
// encodings (json.dumps), float printing and Python-style equality.

#include "quilt/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "quilt/errors.h"

namespace quilt {
namespace {

std::string canonical_of(std::string_view text) { return Json::parse(text).canonical(); }
std::string manifest_of(std::string_view text) { return Json::parse(text).manifest_text(); }

std::string float_text(double d) {
  std::string out;
  append_python_float(out, d);
  return out;
}

/// Return the Corrupt message for `text`, or "" when it parses.
std::string parse_error(std::string_view text) {
  try {
    Json::parse(text);
  } catch (const Corrupt& e) {
    return e.what();
  }
  return "";
}

TEST(Json, ParsesScalars) {
  EXPECT_TRUE(Json::parse("null").is_null());
  EXPECT_EQ(Json::parse("true").as_bool(), true);
  EXPECT_EQ(Json::parse("false").as_bool(), false);
  EXPECT_EQ(Json::parse("42").as_int(), 42);
  EXPECT_EQ(Json::parse("-17").as_int(), -17);
  EXPECT_EQ(Json::parse("2.5").as_double(), 2.5);
  EXPECT_EQ(Json::parse("\"hi\"").as_string(), "hi");
  EXPECT_EQ(Json::parse(" \t\r\n[1] \t\r\n").size(), 1u);
}

TEST(Json, NumbersWithFractionOrExponentAreFloats) {
  EXPECT_EQ(Json::parse("1E5").kind(), Json::Kind::kDouble);
  EXPECT_EQ(canonical_of("1E5"), "100000.0");
  EXPECT_EQ(canonical_of("1.50"), "1.5");
  EXPECT_EQ(canonical_of("1e+2"), "100.0");
  EXPECT_EQ(canonical_of("-0.0"), "-0.0");
  EXPECT_EQ(canonical_of("0e-5"), "0.0");
  EXPECT_EQ(canonical_of("12345678901234567890.0"), "1.2345678901234567e+19");
}

TEST(Json, IntegersKeepEveryDigit) {
  EXPECT_EQ(Json::parse("-0").kind(), Json::Kind::kInt);
  EXPECT_EQ(canonical_of("-0"), "0");
  EXPECT_EQ(Json::parse("9223372036854775807").kind(), Json::Kind::kInt);
  EXPECT_EQ(Json::parse("-9223372036854775808").as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Json::parse("9223372036854775808").kind(), Json::Kind::kBigInt);
  EXPECT_EQ(Json::parse("-9223372036854775809").kind(), Json::Kind::kBigInt);
  EXPECT_EQ(Json::parse("9999999999999999999").kind(), Json::Kind::kBigInt);
  EXPECT_EQ(canonical_of("18446744073709551617"), "18446744073709551617");
  EXPECT_EQ(Json::parse("-1000000000000000000000000000000").integer_text(),
            "-1000000000000000000000000000000");
}

TEST(Json, RejectsIntegersOverPythonDigitLimit) {
  const std::string ok(4300, '7');
  EXPECT_EQ(canonical_of(ok), ok);
  EXPECT_EQ(canonical_of("-" + ok), "-" + ok);
  EXPECT_NE(parse_error(ok + "7").find("4300"), std::string::npos);
  EXPECT_NE(parse_error("[-" + ok + "7]"), "");
  // A float has no such limit in Python.
  EXPECT_EQ(canonical_of(ok + ".0"), "Infinity");
}

TEST(Json, FloatOverflowAndUnderflowFollowPython) {
  EXPECT_EQ(canonical_of("1e400"), "Infinity");
  EXPECT_EQ(canonical_of("-1e400"), "-Infinity");
  EXPECT_EQ(canonical_of("1e-400"), "0.0");
  EXPECT_EQ(canonical_of("-1e-400"), "-0.0");
  EXPECT_EQ(canonical_of("1e99999999999999999999999"), "Infinity");
  EXPECT_EQ(canonical_of("-1e-99999999999999999999999"), "-0.0");
  EXPECT_EQ(canonical_of("0.000000000000000000001e330"), "Infinity");
  EXPECT_EQ(canonical_of("100000000000000000000e-344"), "0.0");
  EXPECT_EQ(canonical_of("1000000000000000000000e-344"), "1e-323");
  EXPECT_EQ(canonical_of("2.4703282292062327e-324"), "0.0");
  EXPECT_EQ(canonical_of("2.4703282292062328e-324"), "5e-324");
  EXPECT_EQ(canonical_of("1.7976931348623158e308"), "1.7976931348623157e+308");
  EXPECT_EQ(canonical_of("1.7976931348623159e308"), "Infinity");
}

TEST(Json, FloatsRoundCorrectly) {
  EXPECT_EQ(Json::parse("0.1").as_double(), 0.1);
  EXPECT_EQ(Json::parse("9007199254740993.0").as_double(), 9007199254740992.0);
  EXPECT_EQ(Json::parse("9007199254740993.0000000000000000001").as_double(), 9007199254740994.0);
  EXPECT_EQ(Json::parse("2.2250738585072011e-308").as_double(), 2.225073858507201e-308);
}

TEST(Json, AcceptsPythonNonFiniteLiterals) {
  EXPECT_TRUE(std::isnan(Json::parse("NaN").as_double()));
  EXPECT_EQ(Json::parse("Infinity").as_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Json::parse("-Infinity").as_double(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(canonical_of("[NaN,Infinity,-Infinity]"), "[NaN,Infinity,-Infinity]");
  for (const char* bad : {"nan", "infinity", "-NaN", "+Infinity", "Inf", "-Inf", "NaNa"}) {
    EXPECT_NE(parse_error(bad), "") << bad;
  }
}

TEST(Json, RejectsMalformedNumbers) {
  for (const char* bad : {"01", "-01", "00", "+1", ".5", "1.", "1.e5", "1e", "1e+", "1E-", "-",
                          "--1", "0x10", "1_000", "- 1", "1e5.0", "[1.]", "[01]", "{\"a\":-}"}) {
    EXPECT_NE(parse_error(bad), "") << bad;
  }
  EXPECT_NE(parse_error("01").find("leading zeros"), std::string::npos);
}

TEST(Json, DecodesEscapes) {
  EXPECT_EQ(Json::parse(R"("\"\\\/\b\f\n\r\t")").as_string(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(Json::parse(R"("\u0041\u00e9\u00E9\u20AC")").as_string(),
            "A\xC3\xA9\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(Json::parse(R"("\u0000")").as_string(), std::string(1, '\0'));
  EXPECT_EQ(Json::parse("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"").as_string(),
            "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(Json, CombinesSurrogatePairEscapes) {
  EXPECT_EQ(Json::parse(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Json::parse(R"("\uD83D\uDE00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Json::parse(R"("\udbff\udfff")").as_string(), "\xF4\x8F\xBF\xBF");
}

TEST(Json, KeepsLoneSurrogatesAsWtf8) {
  EXPECT_EQ(Json::parse(R"("\ud800")").as_string(), "\xED\xA0\x80");
  EXPECT_EQ(Json::parse(R"("\udfff")").as_string(), "\xED\xBF\xBF");
  EXPECT_EQ(Json::parse(R"("\ud800A")").as_string(),
            "\xED\xA0\x80"
            "A");
  EXPECT_EQ(Json::parse(R"("\ud800\u0041")").as_string(),
            "\xED\xA0\x80"
            "A");
  EXPECT_EQ(Json::parse(R"("\ud800\ud800\udc00")").as_string(), "\xED\xA0\x80\xF0\x90\x80\x80");
  EXPECT_EQ(Json::parse(R"("\udc00\ud800")").as_string(), "\xED\xB0\x80\xED\xA0\x80");
  EXPECT_EQ(Json::parse(R"("\ud800\n")").as_string(), "\xED\xA0\x80\n");
  EXPECT_EQ(canonical_of(R"("\ud800\udc00x\udc00")"), R"("\ud800\udc00x\udc00")");
}

TEST(Json, RejectsBadEscapes) {
  for (const char* bad :
       {R"("\x41")", R"("\u12")", R"("\u12G4")", R"("\U0041")", R"("\'")", R"("\0")",
        R"("\ud800\u12")", R"("\ud800\uZZZZ")", R"("\)", R"("\u)", R"("\a")", R"("\ ")"}) {
    EXPECT_NE(parse_error(bad), "") << bad;
  }
}

TEST(Json, RejectsRawControlCharactersButNotDel) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string text = std::string("\"a") + static_cast<char>(c) + "b\"";
    EXPECT_NE(parse_error(text).find("control character"), std::string::npos) << c;
  }
  EXPECT_EQ(Json::parse("\"\x7F\"").as_string(), "\x7F");
}

TEST(Json, RejectsInvalidUtf8NamingTheOffset) {
  const std::vector<std::string> bad = {
      "\xC0\x80",         "\xC1\xBF",         "\xE0\x80\x80", "\xE0\x9F\xBF",
      "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", "\xED\xA0\x80", "\xED\xBF\xBF",
      "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80",         "\xBF",
      "\xE2\x82",         "\xF0\x9F\x98",     "\xFF",         "\xFE",
      "\xC3\x28",         "\xE2\x28\xA1"};
  for (const std::string& b : bad) {
    const std::string msg = parse_error("[\"ab" + b + "cd\"]");
    EXPECT_NE(msg.find("at byte 4: invalid UTF-8"), std::string::npos) << msg;
  }
  EXPECT_NE(parse_error("\xFF").find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("[1, \xC3\xA9]"), "");
}

TEST(Json, ErrorMessagesNameTheByteAndTheProblem) {
  EXPECT_EQ(parse_error(R"({"a" 1})"), "invalid JSON at byte 5: expected ':' after object key");
  EXPECT_EQ(parse_error(""),
            "invalid JSON at byte 0: expected a value, found the end of the input");
  EXPECT_EQ(parse_error("[1] x"), "invalid JSON at byte 4: unexpected data after the JSON value");
  EXPECT_EQ(parse_error(R"(["abc)"), "invalid JSON at byte 1: unterminated string");
  EXPECT_EQ(parse_error("[1,]"), "invalid JSON at byte 3: expected a value, found ']'");
}

TEST(Json, RejectsStructuralErrors) {
  for (const char* bad : {"",
                          " ",
                          "[",
                          "]",
                          "{",
                          "}",
                          "[1,]",
                          "{\"a\":1,}",
                          "[,1]",
                          "{,}",
                          "{1:2}",
                          "{\"a\"}",
                          "{\"a\":}",
                          "{'a':1}",
                          "[1 2]",
                          "{\"a\":1 \"b\":2}",
                          "[1]]",
                          "{}}",
                          "1 2",
                          "\"a\" \"b\"",
                          "tru",
                          "nul",
                          "True",
                          "None",
                          "\xEF\xBB\xBF{}",
                          "\v1",
                          "\f1",
                          "\xC2\xA0"
                          "1",
                          "/*c*/1"}) {
    EXPECT_NE(parse_error(bad), "") << bad;
  }
  EXPECT_NE(parse_error(std::string("[1]\0", 4)), "");
  EXPECT_NE(parse_error(std::string("\0[1]", 4)), "");
}

TEST(Json, DuplicateKeysKeepFirstPositionAndLastValue) {
  const Json j = Json::parse(R"({"a": 1, "b": 2, "a": 3})");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j.as_object()[0].first, "a");
  EXPECT_EQ(j.as_object()[0].second.as_int(), 3);
  EXPECT_EQ(j.manifest_text(), R"({"a": 3, "b": 2})");
  // Large objects take the hashed path.
  std::string text = "{";
  for (int i = 0; i < 300; ++i)
    text += "\"k" + std::to_string(i % 100) + "\":" + std::to_string(i) + ",";
  text += "\"k5\":\"last\"}";
  const Json big = Json::parse(text);
  ASSERT_EQ(big.size(), 100u);
  EXPECT_EQ(big.as_object()[5].first, "k5");
  EXPECT_EQ(big.as_object()[5].second.as_string(), "last");
  EXPECT_EQ(big.as_object()[99].second.as_int(), 299);
}

TEST(Json, CapsNestingDepth) {
  auto nested = [](int depth, char open, char close, const char* inner) {
    std::string s;
    for (int i = 0; i < depth; ++i)
      s += (open == '{') ? std::string("{\"k\":") : std::string(1, open);
    s += inner;
    for (int i = 0; i < depth; ++i) s += close;
    return s;
  };
  EXPECT_EQ(parse_error(nested(1000, '[', ']', "")), "");
  EXPECT_EQ(parse_error(nested(999, '{', '}', "{}")), "");
  EXPECT_NE(parse_error(nested(1001, '[', ']', "")).find("nested deeper than 1000"),
            std::string::npos);
  EXPECT_NE(parse_error(nested(1000, '{', '}', "[]")).find("nested deeper"), std::string::npos);
  EXPECT_NE(parse_error(std::string(200000, '[')), "");  // no stack overflow
  const Json deep = Json::parse(nested(1000, '[', ']', "1"));
  EXPECT_EQ(deep.canonical(), nested(1000, '[', ']', "1"));
  Json too_deep = deep;
  too_deep = Json(Json::Array{too_deep});
  EXPECT_THROW(too_deep.canonical(), InvalidArgument);
  EXPECT_THROW(too_deep.manifest_text(), InvalidArgument);
}

TEST(Json, CanonicalSortsKeysByCodePoint) {
  // U+FFFF sorts before U+1F600 by code point, though not in UTF-16 order;
  // lone surrogates sort between U+D7FF and U+E000.
  const Json j = Json::parse(
      R"({"b":1,"a":2,"B":3,"\u00e9":4,"\ud83d\ude00":5,"\uffff":6,"\ue000":7,"\ud800":8,)"
      R"("\ud7ff":9,"":10,"a\u0000":11,"aa":12})");
  EXPECT_EQ(j.canonical(),
            R"({"":10,"B":3,"a":2,"a\u0000":11,"aa":12,"b":1,"\u00e9":4,"\ud7ff":9,"\ud800":8,)"
            R"("\ue000":7,"\uffff":6,"\ud83d\ude00":5})");
  EXPECT_EQ(canonical_of(R"({"z":{"y":1,"x":[{"b":1,"a":2}]},"a":null})"),
            R"({"a":null,"z":{"x":[{"a":2,"b":1}],"y":1}})");
}

TEST(Json, CanonicalEscapesEverythingOutsidePrintableAscii) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  const std::string expected =
      R"("\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f)"
      R"(\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d)"
      R"(\u001e\u001f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`)"
      R"(abcdefghijklmnopqrstuvwxyz{|}~\u007f")";
  EXPECT_EQ(Json(all).canonical(), expected);
  EXPECT_EQ(Json(std::string(1, '\0')).canonical(), R"("\u0000")");
  EXPECT_EQ(
      Json("caf\xC3\xA9 \xE2\x80\xA8 \xEF\xBF\xBF \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF").canonical(),
      R"("caf\u00e9 \u2028 \uffff \ud83d\ude00 \udbff\udfff")");
  EXPECT_EQ(Json("a/b").canonical(), R"("a/b")");
  // Long strings go through the 16-byte scanner.
  const std::string long_text = std::string(40, 'x') + "\xC3\xA9" + std::string(40, 'y') + "\"";
  EXPECT_EQ(Json(long_text).canonical(),
            "\"" + std::string(40, 'x') + "\\u00e9" + std::string(40, 'y') + "\\\"\"");
}

TEST(Json, ManifestEncodingMatchesQuilt3) {
  EXPECT_EQ(manifest_of(R"({"b":[1,2.5,{}],"a":{"x":[]},"c":null,"d":true})"),
            R"({"b": [1, 2.5, {}], "a": {"x": []}, "c": null, "d": true})");
  EXPECT_EQ(Json("caf\xC3\xA9 \xF0\x9F\x98\x80 \x7F \xE2\x80\xA8").manifest_text(),
            "\"caf\xC3\xA9 \xF0\x9F\x98\x80 \x7F \xE2\x80\xA8\"");
  EXPECT_EQ(Json("\"\\\b\f\n\r\t\x01\x1F/").manifest_text(), R"("\"\\\b\f\n\r\t\u0001\u001f/")");
  EXPECT_EQ(manifest_of(R"("x\ud800y\uDFFFz")"), R"("x\ud800y\udfffz")");
  EXPECT_EQ(manifest_of("[]"), "[]");
  EXPECT_EQ(manifest_of("{}"), "{}");
  EXPECT_EQ(manifest_of("[1e16, -0.0, 1E5, 123456789012345678901234567890]"),
            "[1e+16, -0.0, 100000.0, 123456789012345678901234567890]");
}

TEST(Json, ManifestRefusesNonFiniteFloatsAndLeavesOutputAlone) {
  for (const char* text : {"NaN", "[1, Infinity]", R"({"a": {"b": -Infinity}})"}) {
    std::string out = "prefix";
    EXPECT_THROW(Json::parse(text).dump_manifest(out), InvalidArgument) << text;
    EXPECT_EQ(out, "prefix");
  }
}

TEST(Json, EncodersAppendToTheCallersString) {
  std::string out = "x";
  Json::parse(R"({"b":1,"a":2})").dump_canonical(out);
  Json::parse(R"({"b":1,"a":2})").dump_manifest(out);
  EXPECT_EQ(out, R"(x{"a":2,"b":1}{"b": 1, "a": 2})");
}

TEST(Json, EncodersRefuseInvalidUtf8) {
  for (const char* bad : {"\xFF", "a\xC3", "\xC0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    EXPECT_THROW(Json(bad).canonical(), InvalidArgument) << bad;
    EXPECT_THROW(Json(bad).manifest_text(), InvalidArgument) << bad;
  }
}

TEST(Json, PrintsFloatsAsPythonRepr) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.1, "0.1"},
      {1e-07, "1e-07"},
      {1e16, "1e+16"},
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {123456789.12345679, "123456789.12345679"},
      {1e15, "1000000000000000.0"},
      {0.0001, "0.0001"},
      {1e-05, "1e-05"},
      {1.5e-05, "1.5e-05"},
      {1e22, "1e+22"},
      {1e100, "1e+100"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {0.30000000000000004, "0.30000000000000004"},
      {1.0 / 3, "0.3333333333333333"},
      {100.0, "100.0"},
      {-2.5, "-2.5"},
      {9007199254740992.0, "9007199254740992.0"},
      {1.5e300, "1.5e+300"},
      {9999999999999998.0, "9999999999999998.0"},
      {1.2345e15, "1234500000000000.0"},
      {0.00012345, "0.00012345"},
      {1.2345e-5, "1.2345e-05"},
      {-1e-5, "-1e-05"},
      {123.456, "123.456"},
      {1e-323, "1e-323"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"}};
  for (const auto& [d, text] : cases) EXPECT_EQ(float_text(d), text);
}

TEST(Json, EqualityFollowsPython) {
  auto eq = [](std::string_view a, std::string_view b) { return Json::parse(a) == Json::parse(b); };
  EXPECT_TRUE(eq("1", "1.0"));
  EXPECT_TRUE(eq("true", "1"));
  EXPECT_TRUE(eq("false", "0.0"));
  EXPECT_TRUE(eq("-0", "-0.0"));
  EXPECT_FALSE(eq("true", "2"));
  EXPECT_FALSE(eq("9007199254740993", "9007199254740992.0"));
  EXPECT_TRUE(eq("9007199254740992", "9007199254740992.0"));
  EXPECT_TRUE(eq("9223372036854775808", "9223372036854775808.0"));
  EXPECT_TRUE(eq("-9223372036854775808", "-9223372036854775808.0"));
  EXPECT_FALSE(eq("9223372036854775807", "9223372036854775808.0"));
  EXPECT_FALSE(eq("1000000000000000000000000000000", "1e30"));
  EXPECT_TRUE(eq("1000000000000000019884624838656", "1e30"));
  EXPECT_FALSE(eq("NaN", "NaN"));
  EXPECT_TRUE(eq("[NaN]", "[NaN]"));  // json.loads shares one NaN object
  EXPECT_TRUE(eq(R"({"a":[1,NaN]})", R"({"a":[1.0,NaN]})"));
  EXPECT_FALSE(eq("[NaN]", "[1]"));
  EXPECT_TRUE(eq("Infinity", "1e400"));
  EXPECT_FALSE(eq("1e400",
                  "179769313486231570000000000000000000000000000000000000000000000000000000"
                  "000000000000000000000000000000000000000000000000000000000000000000000000"
                  "000000000000000000000000000000000000000000000000000000000000000000000000"
                  "000000000000000000000000000000000000000000000000000000000000000000000000"
                  "00000000000000000000"));
  EXPECT_TRUE(eq(R"({"a":1,"b":[1,2]})", R"({"b":[1.0,2],"a":true})"));
  EXPECT_FALSE(eq("[1,2]", "[2,1]"));
  EXPECT_FALSE(eq(R"({"a":1})", R"({"a":1,"b":2})"));
  EXPECT_FALSE(eq(R"("1")", "1"));
  EXPECT_FALSE(eq("null", "0"));
  EXPECT_FALSE(eq("[]", "{}"));
  EXPECT_TRUE(eq("null", "null"));
  std::string a = "{", b = "{";
  for (int i = 0; i < 100; ++i) {
    const std::string sep = i ? "," : "";
    a += sep + "\"k" + std::to_string(i) + "\":" + std::to_string(i);
    b += sep + "\"k" + std::to_string(99 - i) + "\":" + std::to_string(99 - i);
  }
  EXPECT_TRUE(eq(a + "}", b + "}"));
  EXPECT_FALSE(eq(a + "}", b.substr(0, b.size() - 1) + "1}"));
}

TEST(Json, IntegerFactoryValidatesAndNormalises) {
  EXPECT_EQ(Json::integer("007").as_int(), 7);
  EXPECT_EQ(Json::integer("-0").as_int(), 0);
  EXPECT_EQ(Json::integer("-000").canonical(), "0");
  EXPECT_EQ(Json::integer("-9223372036854775808").kind(), Json::Kind::kInt);
  EXPECT_EQ(Json::integer("9223372036854775808").kind(), Json::Kind::kBigInt);
  EXPECT_EQ(Json::integer("-00018446744073709551617").integer_text(), "-18446744073709551617");
  EXPECT_EQ(Json::integer("18446744073709551617"), Json::parse("18446744073709551617"));
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "1.0", "1e5", "0x1", "--1", "١"}) {
    EXPECT_THROW(Json::integer(bad), InvalidArgument) << bad;
  }
  EXPECT_THROW(Json::integer(std::string(4301, '1')), InvalidArgument);
  EXPECT_EQ(Json::integer("0" + std::string(4300, '1')).integer_text(), std::string(4300, '1'));
}

TEST(Json, AccessorsCheckTheKind) {
  EXPECT_THROW(Json(1).as_string(), InvalidArgument);
  EXPECT_THROW(Json("x").as_int(), InvalidArgument);
  EXPECT_THROW(Json(true).as_int(), InvalidArgument);
  EXPECT_THROW(Json(nullptr).as_array(), InvalidArgument);
  EXPECT_THROW(Json(1.5).as_object(), InvalidArgument);
  EXPECT_THROW(Json::integer("9223372036854775808").as_int(), InvalidArgument);
  EXPECT_EQ(Json::integer("9223372036854775808").as_double(), 9223372036854775808.0);
  EXPECT_EQ(Json(7).as_double(), 7.0);
  EXPECT_THROW(Json::integer("1" + std::string(400, '0')).as_double(), InvalidArgument);
  EXPECT_EQ(Json(int64_t{-5}).integer_text(), "-5");
  EXPECT_EQ(Json(uint64_t{18446744073709551615u}).integer_text(), "18446744073709551615");
  EXPECT_EQ(Json(uint64_t{5}).kind(), Json::Kind::kInt);
  EXPECT_TRUE(Json(1).empty());
  EXPECT_FALSE(Json(Json::Array{Json()}).empty());
}

TEST(Json, FindSetAndEraseActLikeADict) {
  Json j;
  j.set("b", 1);
  j.set("a", "x");
  j.set("b", 2.5);
  EXPECT_EQ(j.manifest_text(), R"({"b": 2.5, "a": "x"})");
  ASSERT_NE(j.find("a"), nullptr);
  EXPECT_EQ(j.find("a")->as_string(), "x");
  EXPECT_EQ(j.find("zz"), nullptr);
  EXPECT_EQ(Json(1).find("a"), nullptr);
  EXPECT_TRUE(j.erase("b"));
  EXPECT_FALSE(j.erase("b"));
  EXPECT_EQ(j.manifest_text(), R"({"a": "x"})");
  Json arr = Json::array();
  EXPECT_THROW(arr.set("a", 1), InvalidArgument);
  EXPECT_FALSE(arr.erase("a"));
}

}  // namespace
}  // namespace quilt
