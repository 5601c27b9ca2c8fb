#include "package/quiltignore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "package/fnmatch.h"
#include "quilt/errors.h"
#include "quilt/json.h"
#include "test_util.h"

namespace quilt {
namespace {

using detail::fnmatch;
using detail::IgnoreRules;

TEST(Fnmatch, StarCrossesSlashes) {
  EXPECT_TRUE(fnmatch("a/b/c.log", "*.log"));
  EXPECT_TRUE(fnmatch("/x/build/", "*/build/"));
  EXPECT_FALSE(fnmatch("a.log.txt", "*.log"));
  EXPECT_TRUE(fnmatch("", "*"));
  EXPECT_FALSE(fnmatch("", "?"));
}

TEST(Fnmatch, QuestionMarkTakesOneCodePoint) {
  EXPECT_TRUE(fnmatch("\xC3\xA9", "?"));          // é: two bytes, one character
  EXPECT_TRUE(fnmatch("\xF0\x9F\x98\x80", "?"));  // an emoji: four bytes
  EXPECT_FALSE(fnmatch("\xC3\xA9", "??"));
  EXPECT_TRUE(fnmatch("\xFF\xFE", "??"));  // ill-formed bytes count one each
}

TEST(Fnmatch, BracketExpressions) {
  EXPECT_TRUE(fnmatch("b", "[abc]"));
  EXPECT_FALSE(fnmatch("d", "[abc]"));
  EXPECT_TRUE(fnmatch("d", "[!abc]"));
  EXPECT_TRUE(fnmatch("]", "[]]"));
  EXPECT_TRUE(fnmatch("-", "[a-]"));
  EXPECT_TRUE(fnmatch("[x", "[x"));      // unclosed: literal
  EXPECT_FALSE(fnmatch("b", "[z-a]"));   // reversed range: nothing
  EXPECT_TRUE(fnmatch("^", "[^a]"));     // '^' is no negation in Python
  EXPECT_TRUE(fnmatch("a\\b", "a\\b"));  // no escapes
}

// Differential check against Python's fnmatch.fnmatchcase, which quilt3 uses.
TEST(Fnmatch, AgreesWithPython) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"*.log", "x.log"},
      {"*.log", "a/b.log"},
      {"a/*.tmp", "a/b/c.tmp"},
      {"[a-c]x", "bx"},
      {"[a-c]x", "dx"},
      {"[!a-c]x", "dx"},
      {"[]-]", "-"},
      {"[]-]", "]"},
      {"[--0]", "/"},
      {"[a-c-e]", "-"},
      {"[a-c-e]", "d"},
      {"[az-ab]", "b"},
      {"[!]", "!"},
      {"[!]]", "a"},
      {"?\xC3\xA9", "x\xC3\xA9"},
      {"[\xC3\xA0-\xC3\xBF]", "\xC3\xA9"},
      {"**a", "bba"},
      {"*a*b*c", "xaybzc"},
      {"*a*b*c", "xaybz"},
      {"\\*", "\\x"},
      {"[[]", "["},
      {"[", "["},
      {"*/# c", "/# c"},
  };
  std::string input;
  for (const auto& [pattern, name] : cases) {
    input += Json(Json::Array{Json(pattern), Json(name)}).manifest_text() + "\n";
  }
  std::string out = test::run_python(
      "import fnmatch, json, sys\n"
      "for line in sys.stdin:\n"
      "    p, n = json.loads(line)\n"
      "    print(1 if fnmatch.fnmatchcase(n, p) else 0)\n",
      input);
  ASSERT_EQ(out.size(), cases.size() * 2) << out;
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(fnmatch(cases[i].second, cases[i].first), out[2 * i] == '1')
        << "pattern '" << cases[i].first << "' name '" << cases[i].second << "'";
  }
}

TEST(IgnoreRules, SkipsCommentsAndBlankLines) {
  IgnoreRules rules = IgnoreRules::parse("# comment\n\n*.log\r\n", "test");
  EXPECT_TRUE(rules.ignores_file("x.log"));  // the '\r' of a CRLF line is dropped
  EXPECT_FALSE(rules.ignores_file("# comment"));
  EXPECT_FALSE(rules.ignores_file("x.txt"));
  EXPECT_TRUE(IgnoreRules::parse("# only\n\n", "test").empty());
}

TEST(IgnoreRules, PatternMatchesAtAnyDepth) {
  IgnoreRules rules = IgnoreRules::parse("*.log\nbuild\na/*.tmp\n", "test");
  EXPECT_TRUE(rules.ignores_file("deep/er/x.log"));
  EXPECT_TRUE(rules.ignores_dir("build"));
  EXPECT_TRUE(rules.ignores_dir("src/build"));
  EXPECT_TRUE(rules.ignores_file("build"));
  EXPECT_FALSE(rules.ignores_dir("rebuild"));
  EXPECT_TRUE(rules.ignores_file("a/x.tmp"));
  EXPECT_TRUE(rules.ignores_file("q/a/b/x.tmp"));  // '*' crosses '/', as in quilt3
  EXPECT_FALSE(rules.ignores_file("ba/x.tmp"));
  EXPECT_FALSE(rules.ignores_file("a.tmp"));
}

TEST(IgnoreRules, TrailingSlashMatchesDirectoriesOnly) {
  IgnoreRules rules = IgnoreRules::parse("build/\n", "test");
  EXPECT_TRUE(rules.ignores_dir("build"));
  EXPECT_TRUE(rules.ignores_dir("x/build"));
  EXPECT_FALSE(rules.ignores_file("build"));
  EXPECT_FALSE(rules.ignores_file("build/x"));  // files below are skipped with their directory
}

TEST(IgnoreRules, LeadingSlashAnchorsAtTheRoot) {
  IgnoreRules rules = IgnoreRules::parse("/out\n/", "test");
  EXPECT_TRUE(rules.ignores_dir("out"));
  EXPECT_TRUE(rules.ignores_file("out"));
  EXPECT_FALSE(rules.ignores_dir("x/out"));
}

TEST(IgnoreRules, RefusesTextThatIsNotUtf8) {
  try {
    IgnoreRules::parse("ok\n\xFF\n", "/d/.quiltignore");
    FAIL() << "accepted invalid UTF-8";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("/d/.quiltignore"), std::string::npos) << e.what();
  }
}

TEST(IgnoreRules, LoadReadsTheFileOrNothing) {
  test::TempDir dir;
  EXPECT_FALSE(IgnoreRules::load(dir.path().string()).has_value());
  dir.write(".quiltignore", "*.bak\n");
  auto rules = IgnoreRules::load(dir.path().string());
  ASSERT_TRUE(rules.has_value());
  EXPECT_TRUE(rules->ignores_file("x.bak"));
  test::TempDir other;
  std::filesystem::create_directory(other.path() / ".quiltignore");
  EXPECT_THROW(IgnoreRules::load(other.path().string()), IoError);
}

}  // namespace
}  // namespace quilt
