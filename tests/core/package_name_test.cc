#include "quilt/package_name.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "test_util.h"

namespace quilt {
namespace {

TEST(PackageName, AcceptsWordCharactersOfAnyScript) {
  for (const char* name : {"user/pkg", "a-b/c_d", "Ünïcødé/データ", "x/٣", "user2/pkg-3", "_/-"}) {
    EXPECT_TRUE(is_valid_package_name(name)) << name;
  }
  PackageName parsed = PackageName::parse("alice/data-2024");
  EXPECT_EQ(parsed.user, "alice");
  EXPECT_EQ(parsed.pkg, "data-2024");
  EXPECT_EQ(parsed.str(), "alice/data-2024");
}

TEST(PackageName, RejectsInvalidNames) {
  for (const char* name : {"", "user", "user/", "/pkg", "a/b/c", "a b/c", "a/b.c", "a/b\n",
                           "a/b!", "user/pkg/", "a\xff/b", "😀/x"}) {
    EXPECT_FALSE(is_valid_package_name(name)) << name;
    try {
      validate_package_name(name);
      ADD_FAILURE() << "accepted " << name;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("invalid package name"), std::string::npos);
    }
  }
}

// Every code point below U+3400 plus a sample above, checked against Python's
// own regex: the table must agree with the interpreter quilt3 runs on.
TEST(PackageName, AgreesWithPythonRegex) {
  std::vector<uint32_t> points;
  for (uint32_t cp = 1; cp < 0x3400; ++cp) points.push_back(cp);
  for (uint32_t cp = 0x3400; cp < 0x110000; cp += 97) points.push_back(cp);
  std::string names;
  std::vector<std::string> list;
  for (uint32_t cp : points) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (cp == '\n' || cp == '\r' || cp == '/') continue;
    std::string name = "u/" + test::utf8_encode(cp);
    list.push_back(name);
    names += name + "\n";
  }
  std::string script =
      "import re,sys\n"
      "for line in sys.stdin.buffer.read().decode().split('\\n')[:-1]:\n"
      "    print(1 if re.match(r'^[\\w-]+/[\\w-]+$', line) else 0)\n";
  std::string out = test::run_python(script, names);
  ASSERT_EQ(out.size(), list.size() * 2);
  for (size_t i = 0; i < list.size(); ++i) {
    ASSERT_EQ(is_valid_package_name(list[i]), out[2 * i] == '1') << "code point in " << list[i];
  }
}

}  // namespace
}  // namespace quilt
