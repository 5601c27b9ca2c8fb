// End-to-end tests of the quiltcpp binary: output formats and exit codes.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "quilt/json.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::run_cli;

TEST(CliHash, PrintsChunkedValueAlone) {
  test::TempDir dir;
  std::string path = dir.write("one.bin", std::string(1, '\0'));
  test::RunResult r = run_cli({"hash", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // bytes(i % 251 for i in range(1)) from tests/data/compat/chunked_checksums.tsv
  EXPECT_EQ(r.out, "FAbgWIHimTZ3ZtMT4mwFVk7JG/ch0xcmvW5G5gaJU5o=\n");
}

TEST(CliHash, ManyFilesAndTypes) {
  test::TempDir dir;
  std::string a = dir.write("a.txt", "123456789");
  std::string b = dir.write("b.txt", "");
  test::RunResult r = run_cli({"hash", "--type", "SHA256", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225  " + a + "\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  " + b + "\n");
  r = run_cli({"hash", "--type", "crc64nvme", a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rosUhgp5mIg=\n");  // base64 of 0xae8b14860a799888
}

TEST(CliHash, JsonOutput) {
  test::TempDir dir;
  std::string a = dir.write("é.txt", "123456789");
  test::RunResult r = run_cli({"hash", "--json", a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json out = Json::parse(r.out);
  ASSERT_TRUE(out.is_array());
  ASSERT_EQ(out.size(), 1u);
  const Json& row = out.as_array()[0];
  EXPECT_EQ(row.find("path")->as_string(), a);
  EXPECT_EQ(row.find("size")->as_int(), 9);
  EXPECT_EQ(row.find("hash")->find("type")->as_string(), "sha2-256-chunked");
}

TEST(CliHash, ReadsStandardInput) {
  test::RunResult r = run_cli({"hash", "-", "--type", "SHA256"}, "123456789");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225\n");
}

TEST(CliHash, MissingFileExitsWithIoError) {
  test::RunResult r = run_cli({"hash", "/nonexistent/x.bin"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("/nonexistent/x.bin"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one-line error: " << r.err;
}

TEST(CliHash, DirectoryExitsWithIoError) {
  test::TempDir dir;
  test::RunResult r = run_cli({"hash", dir.path().string()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
}

TEST(CliHash, UnknownTypeIsUsageError) {
  test::TempDir dir;
  std::string a = dir.write("a", "x");
  test::RunResult r = run_cli({"hash", "--type", "md5", a});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("md5"), std::string::npos) << r.err;
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli({}).exit_code, 2);
  EXPECT_EQ(run_cli({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(run_cli({"hash"}).exit_code, 2);
  EXPECT_EQ(run_cli({"top-hash", "--bogus", "x"}).exit_code, 2);
  test::RunResult help = run_cli({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("top-hash"), std::string::npos);
}

TEST(CliTopHash, CompatManifests) {
  std::istringstream tsv(test::read_file(test::data_path("compat/top_hashes.tsv")));
  std::string file, hash;
  int checked = 0;
  while (tsv >> file >> hash) {
    test::RunResult r = run_cli({"top-hash", test::data_path("compat/" + file)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, hash + "\n") << file;
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

TEST(CliTopHash, JsonAndStdin) {
  std::string text = test::read_file(test::data_path("compat/dir_meta.jsonl"));
  test::RunResult r = run_cli({"top-hash", "--json", "-"}, text);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json out = Json::parse(r.out);
  EXPECT_EQ(out.find("top_hash")->as_string(),
            "5ba2384c8b1b2277f88554bd53ba7a4e3ab6c8d6ed40678ae04633b99ad62da2");
  EXPECT_EQ(out.find("entries")->as_int(), 4);
  EXPECT_EQ(out.find("directories")->as_int(), 2);
}

TEST(CliTopHash, CorruptManifestExitsFour) {
  test::TempDir dir;
  std::string path = dir.write("bad.jsonl", "{\"version\": \"v0\"}\n{\"logical_key\": \"a\", \"size\"\n");
  test::RunResult r = run_cli({"top-hash", path});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(CliTopHash, MissingManifestExitsSix) {
  test::RunResult r = run_cli({"top-hash", "/nonexistent/m.jsonl"});
  EXPECT_EQ(r.exit_code, 6);
}

}  // namespace
}  // namespace quilt
