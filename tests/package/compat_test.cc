// quilt3 compatibility of PackageBuilder::set_dir: the manifest and top hash
// of `quilt3 push --dir D --message M` (quilt3 is not installed here, so the
// expected manifest is written by hand in Python following quilt3's set_dir:
// rglob + is_file, realpath physical keys, meta {version, user_meta: null,
// message}) and hashed by scripts/py_top_hash.py.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

constexpr char kQuilt3SetDir[] = R"PY(
import base64, hashlib, json, os, pathlib, sys
sys.path.insert(0, sys.argv[1])
import py_top_hash

root = pathlib.Path(sys.argv[2]).resolve()
message = sys.argv[3]
out = sys.argv[4]

def chunked(data):  # files under 8 MiB: one part (none when empty)
    parts = [hashlib.sha256(data).digest()] if data else []
    return base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode()

def dumps(obj):  # quilt3 writes manifests with json.dumps(ensure_ascii=False)
    return json.dumps(obj, ensure_ascii=False)

lines = [dumps({"version": "v0", "user_meta": None, "message": message})]
for f in sorted(root.rglob("*")):  # Path order is walk order
    if not f.is_file():
        continue
    data = f.read_bytes()
    lines.append(dumps({
        "logical_key": f.relative_to(root).as_posix(),
        "physical_keys": [pathlib.Path(os.path.realpath(f)).as_uri()],
        "size": len(data),
        "hash": {"type": "sha2-256-chunked", "value": chunked(data)},
        "meta": {},
    }))
with open(out, "w", encoding="utf-8") as fh:
    fh.write("".join(line + "\n" for line in lines))
print(py_top_hash.top_hash(out))
)PY";

TEST(Quilt3Compat, SetDirTopHashMatchesQuilt3PushDir) {
  test::TempDir dir;
  dir.write("data/a.txt", "alpha\n");
  dir.write("data/a/b.csv", "x,y\n1,2\n");
  dir.write("data/sub dir/\xC3\xBC.txt", "unicode name");
  dir.write("data/.hidden", "h");
  dir.write("data/empty", "");
  std::string root = (dir.path() / "data").string();
  std::string expected_path = (dir.path() / "expected.jsonl").string();
  std::string message = "M \xC3\xA9t\xC3\xA9";

  std::string script = dir.write("quilt3_set_dir.py", kQuilt3SetDir);
  test::RunResult py =
      test::run_program({"/usr/bin/python3", script, std::string(QUILT_SOURCE_DIR) + "/scripts",
                         root, message, expected_path});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  std::string expected_hash = py.out.substr(0, py.out.find('\n'));
  ASSERT_EQ(expected_hash.size(), 64u) << py.out;

  ThreadPool pool(2);
  PackageBuilder builder;
  builder.set_dir("", root).set_message(message);
  Package package = builder.build(pool);
  EXPECT_EQ(package.top_hash(), expected_hash);
  EXPECT_EQ(package.manifest_text(), test::read_file(expected_path));
}

TEST(Quilt3Compat, TopHashChangesWithMessageAndUserMeta) {
  test::TempDir dir;
  dir.write("f", "1");
  ThreadPool pool(2);
  auto top_hash = [&](std::optional<std::string> message, std::optional<Json> meta) {
    PackageBuilder builder;
    builder
        .set_dir("", dir.path().string(), {.meta = meta, .update_policy = UpdatePolicy::kIncoming})
        .set_message(message);
    return builder.build(pool).top_hash();
  };
  std::string base = top_hash("M", std::nullopt);
  EXPECT_NE(top_hash(std::nullopt, std::nullopt), base);
  EXPECT_NE(top_hash("M", Json::object()), base);  // {} is not null
  EXPECT_EQ(top_hash("M", std::nullopt), base);
}

}  // namespace
}  // namespace quilt
