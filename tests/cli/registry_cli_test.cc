// End-to-end tests of the registry commands on real directories: build,
// push, browse, log, install, verify, diff, list-packages, delete, rollback,
// and the bad input each must survive.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "quilt/json.h"
#include "test_util.h"

namespace quilt {
namespace {

namespace fs = std::filesystem;
using test::RunResult;
using test::run_cli;

class RegistryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = (tmp_.path() / "registry").string();
    src_ = (tmp_.path() / "src").string();
    tmp_.write("src/README.md", "# hello\n");
    tmp_.write("src/data/a.csv", "x,y\n1,2\n");
    tmp_.write("src/data/b.bin", std::string(100000, 'b'));
    tmp_.write("src/.hidden", "h");
  }

  RunResult cli(std::vector<std::string> args) {
    args.push_back("--registry");
    args.push_back(registry_);
    return run_cli(args);
  }

  std::string build(const std::string& dir, const std::string& message = "m") {
    RunResult r = cli({"build", "team/data", "--dir", dir, "--message", message});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, 64);
  }

  test::TempDir tmp_;
  std::string registry_;
  std::string src_;
};

TEST_F(RegistryCli, BuildWritesQuilt3Layout) {
  std::string top = build(src_);
  ASSERT_EQ(top.size(), 64u);
  EXPECT_TRUE(fs::exists(registry_ + "/.quilt/packages/" + top));
  EXPECT_EQ(test::read_file(registry_ + "/.quilt/named_packages/team/data/latest"), top);
  // The manifest is quilt3's: our own reader's top hash and the Python
  // reference agree with the name.
  RunResult py = test::run_program({"/usr/bin/python3", std::string(QUILT_SOURCE_DIR) + "/scripts/py_top_hash.py",
                                    registry_ + "/.quilt/packages/" + top});
  EXPECT_EQ(py.out, top + "\n");
  std::string manifest = test::read_file(registry_ + "/.quilt/packages/" + top);
  EXPECT_EQ(manifest.substr(0, manifest.find('\n')),
            "{\"version\": \"v0\", \"user_meta\": null, \"message\": \"m\"}");
  // build leaves data where it is.
  EXPECT_NE(manifest.find("file://" + src_ + "/data/a.csv"), std::string::npos) << manifest;
}

TEST_F(RegistryCli, RebuildingTheSameDirectoryNeverConflicts) {
  std::string first = build(src_);
  std::string second = build(src_);
  EXPECT_EQ(first, second);
  RunResult log = cli({"log", "team/data", "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(Json::parse(log.out).size(), 2u);
  RunResult dedupe = cli({"build", "team/data", "--dir", src_, "--message", "m", "--dedupe", "--json"});
  ASSERT_EQ(dedupe.exit_code, 0);
  EXPECT_TRUE(Json::parse(dedupe.out).find("skipped")->as_bool());
}

TEST_F(RegistryCli, PushCopiesDataThenInstallAndVerify) {
  RunResult r = cli({"push", "team/data", "--dir", src_, "--message", "v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string top = r.out.substr(0, 64);
  EXPECT_EQ(test::read_file(registry_ + "/team/data/data/a.csv"), "x,y\n1,2\n");
  std::string dest = (tmp_.path() / "out").string();
  r = cli({"install", "team/data", "--dest", dest});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(dest + "/data/b.bin"), std::string(100000, 'b'));
  EXPECT_EQ(test::read_file(dest + "/.hidden"), "h");
  // No staging directory is left behind.
  for (const auto& e : fs::directory_iterator(dest)) {
    EXPECT_EQ(e.path().filename().string().find(".quiltcpp"), std::string::npos);
  }
  r = cli({"verify", "team/data", "--dir", dest});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  tmp_.write("out/extra.txt", "e");
  EXPECT_EQ(cli({"verify", "team/data", "--dir", dest}).exit_code, 1);
  EXPECT_EQ(cli({"verify", "team/data", "--dir", dest, "--extra-files-ok"}).exit_code, 0);
  tmp_.write("out/data/a.csv", "changed");
  r = cli({"verify", "team/data", "--dir", dest, "--extra-files-ok"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("data/a.csv"), std::string::npos) << r.out;
}

TEST_F(RegistryCli, InstallSubPathAndByPrefixAndUri) {
  std::string top = build(src_);
  std::string dest = (tmp_.path() / "sub").string();
  RunResult r = cli({"install", "team/data@" + top.substr(0, 8), "--path", "data", "--dest", dest});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dest + "/data/a.csv"));
  EXPECT_FALSE(fs::exists(dest + "/README.md"));
  std::string uri = "quilt+file://" + registry_ + "#package=team/data@" + top + "&path=README.md";
  std::string dest2 = (tmp_.path() / "uri").string();
  r = run_cli({"install", uri, "--dest", dest2});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dest2 + "/README.md"));
  EXPECT_FALSE(fs::exists(dest2 + "/data"));
}

TEST_F(RegistryCli, BrowseListLogDiff) {
  std::string v1 = build(src_, "one");
  tmp_.write("src/data/a.csv", "x,y\n3,4\n");
  tmp_.write("src/new.txt", "n");
  fs::remove(src_ + "/.hidden");
  std::string v2 = build(src_, "two");
  RunResult r = cli({"browse", "team/data"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("data/\n  a.csv\n  b.bin\n"), std::string::npos) << r.out;
  r = cli({"browse", "team/data", "--top-hash", v1.substr(0, 10), "--json"});
  Json browsed = Json::parse(r.out);
  EXPECT_EQ(browsed.find("top_hash")->as_string(), v1);
  EXPECT_EQ(browsed.find("entries")->size(), 4u);
  r = cli({"browse", "team/data", "-l"});
  EXPECT_NE(r.out.find("sha2-256-chunked"), std::string::npos);
  r = cli({"list-packages"});
  EXPECT_EQ(r.out, "team/data\n");
  r = cli({"diff", "team/data@" + v1, "team/data@" + v2});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "+ new.txt\n~ data/a.csv\n- .hidden\n");
  EXPECT_EQ(cli({"diff", "team/data@" + v1, "team/data@" + v1}).exit_code, 0);
}

TEST_F(RegistryCli, DeleteVersionRepointsLatestAndRollback) {
  std::string v1 = build(src_, "one");
  sleep(1);
  std::string v2 = build(src_, "two");
  ASSERT_NE(v1, v2);
  RunResult r = cli({"rollback", "team/data", "--top-hash", v1.substr(0, 7)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(registry_ + "/.quilt/named_packages/team/data/latest"), v1);
  r = cli({"delete", "team/data", "--top-hash", v1});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(registry_ + "/.quilt/named_packages/team/data/latest"), v2);
  r = cli({"delete", "team/data"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cli({"browse", "team/data"}).exit_code, 3);
  EXPECT_EQ(cli({"list-packages"}).out, "");
}

TEST_F(RegistryCli, MissingSourceDirectoryIsIoError) {
  RunResult r = cli({"build", "team/data", "--dir", src_ + "/nope"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("nope"), std::string::npos);
}

TEST_F(RegistryCli, InvalidNameIsUsageError) {
  EXPECT_EQ(cli({"build", "not a name", "--dir", src_}).exit_code, 2);
  EXPECT_EQ(cli({"browse", "a/b/c"}).exit_code, 2);
}

TEST_F(RegistryCli, TamperedDataInstallsNothingAndNamesTheKey) {
  ASSERT_EQ(cli({"push", "team/data", "--dir", src_}).exit_code, 0);
  tmp_.write("registry/team/data/data/a.csv", "tampered");
  std::string dest = (tmp_.path() / "out").string();
  RunResult r = cli({"install", "team/data", "--dest", dest});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("data/a.csv"), std::string::npos) << r.err;
  // Nothing installed: not even the files whose hashes matched.
  EXPECT_FALSE(fs::exists(dest + "/README.md"));
  size_t left = 0;
  for (auto it = fs::directory_iterator(dest); it != fs::directory_iterator(); ++it) ++left;
  EXPECT_EQ(left, 0u);
}

TEST_F(RegistryCli, InstallNeverWritesThroughASymlinkOutOfDest) {
  build(src_);
  std::string dest = (tmp_.path() / "out").string();
  std::string outside = (tmp_.path() / "outside").string();
  fs::create_directories(dest);
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, dest + "/data");
  RunResult r = cli({"install", "team/data", "--dest", dest});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST_F(RegistryCli, ManifestKeyEscapingDestIsRefused) {
  std::string top = build(src_);
  // Forge a revision whose manifest names ../escape.txt.
  std::string forged = "{\"version\": \"v0\"}\n{\"logical_key\": \"../escape.txt\", \"physical_keys\": [\"file://" +
                       src_ + "/README.md\"], \"size\": 8, \"hash\": {\"type\": \"SHA256\", \"value\": \"x\"}, \"meta\": {}}\n";
  std::string fake = std::string(64, 'a');
  tmp_.write("registry/.quilt/packages/" + fake, forged);
  tmp_.write("registry/.quilt/named_packages/team/data/latest", fake);
  RunResult r = cli({"install", "team/data", "--dest", (tmp_.path() / "out").string()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("../escape.txt"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp_.path() / "escape.txt"));
}

TEST_F(RegistryCli, DanglingLatestAndMissingManifest) {
  std::string top = build(src_);
  fs::remove(registry_ + "/.quilt/packages/" + top);
  RunResult r = cli({"browse", "team/data"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find(top), std::string::npos) << r.err;
  tmp_.write("registry/.quilt/named_packages/team/data/latest", "not a hash");
  r = cli({"browse", "team/data"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("latest"), std::string::npos) << r.err;
}

TEST_F(RegistryCli, AmbiguousAndUnknownPrefixes) {
  build(src_);
  tmp_.write("registry/.quilt/packages/abcdef" + std::string(58, '1'), "{}\n");
  tmp_.write("registry/.quilt/packages/abcdef" + std::string(58, '2'), "{}\n");
  RunResult r = cli({"browse", "team/data", "--top-hash", "abcdef"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ambiguous"), std::string::npos) << r.err;
  EXPECT_EQ(cli({"browse", "team/data", "--top-hash", "fedcba98"}).exit_code, 3);
  EXPECT_EQ(cli({"browse", "team/data", "--top-hash", "abc"}).exit_code, 2);
  EXPECT_EQ(cli({"browse", "team/data", "--top-hash", "xyz123"}).exit_code, 2);
}

TEST_F(RegistryCli, WorkflowConfigIsRefused) {
  tmp_.write("registry/.quilt/workflows/config.yml", "version: \"1\"\n");
  RunResult r = cli({"build", "team/data", "--dir", src_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("workflow"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(registry_ + "/.quilt/named_packages"));
}

TEST_F(RegistryCli, PushRevisionToAnotherRegistryAndDedupe) {
  build(src_);
  std::string other = (tmp_.path() / "other").string();
  RunResult r = run_cli({"push", "team/data", "--from-registry", registry_, "--registry", other});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"push", "team/data", "--from-registry", registry_, "--registry", other, "--dedupe", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Json::parse(r.out).find("skipped")->as_bool());
}

// Two processes build one name at once: each either wins or gets a conflict,
// and the registry is left valid (latest names a complete manifest).
TEST_F(RegistryCli, ConcurrentBuildsLeaveAValidRegistry) {
  tmp_.write("src2/x.txt", "other");
  std::string src2 = (tmp_.path() / "src2").string();
  for (int round = 0; round < 4; ++round) {
    pid_t a = test::spawn_cli({"build", "team/race", "--dir", src_, "--registry", registry_});
    pid_t b = test::spawn_cli({"build", "team/race", "--dir", src2, "--registry", registry_});
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    for (int s : {sa, sb}) {
      ASSERT_TRUE(WIFEXITED(s));
      EXPECT_TRUE(WEXITSTATUS(s) == 0 || WEXITSTATUS(s) == 5) << WEXITSTATUS(s);
    }
    EXPECT_TRUE(WEXITSTATUS(sa) == 0 || WEXITSTATUS(sb) == 0);
    RunResult r = cli({"browse", "team/race", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

// kill -9 at random moments of a build or a push: the registry is as it was
// or complete, and running the command again succeeds.
TEST_F(RegistryCli, KilledPushLeavesRegistryValidAndRerunSucceeds) {
  for (int i = 0; i < 300; ++i) tmp_.write("many/f" + std::to_string(i) + ".txt", std::string(2000 + i, 'x'));
  std::string many = (tmp_.path() / "many").string();
  int round = 0;
  for (int delay_ms : {2, 5, 10, 20, 60, 150}) {
    const char* verb = round++ % 2 == 0 ? "build" : "push";
    pid_t child = test::spawn_cli({verb, "team/killed", "--dir", many, "--registry", registry_});
    usleep(delay_ms * 1000);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    RunResult r = cli({"browse", "team/killed", "--json"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;  // complete, or not there yet
    if (r.exit_code == 0) {
      EXPECT_EQ(Json::parse(r.out).find("entries")->size(), 300u);
    }
  }
  RunResult r = cli({"push", "team/killed", "--dir", many});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string dest = (tmp_.path() / "killed-out").string();
  ASSERT_EQ(cli({"install", "team/killed", "--dest", dest}).exit_code, 0);
  EXPECT_EQ(cli({"verify", "team/killed", "--dir", dest}).exit_code, 0);
}

}  // namespace
}  // namespace quilt
