// PackageBuilder's read accessors (find, keys, meta, dir_meta), which the
// Python Package reads its entries through.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

TEST(PackageBuilderAccessors, FindKeysMetaDirMeta) {
  test::TempDir dir;
  std::string a = dir.write("a.txt", "alpha");
  PackageBuilder builder;
  EXPECT_EQ(builder.find("a.txt"), nullptr);
  EXPECT_TRUE(builder.keys().empty());
  builder.set("d/a.txt", a, Json::Object{{"k", Json(1)}});
  SetObjectOptions options;
  options.data_dir = (dir.path() / "data").string();
  builder.set("b.json", Json(Json::Object{{"x", Json(2)}}), options);
  EXPECT_EQ(builder.keys(), (std::vector<std::string>{"b.json", "d/a.txt"}));

  // A file set from a path has no hash until build(); an object has one at once.
  const ManifestEntry* file = builder.find("d/a.txt");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(file->hash.value.empty());
  EXPECT_EQ(file->meta.value(), Json(Json::Object{{"user_meta", Json::Object{{"k", Json(1)}}}}));
  const ManifestEntry* object = builder.find("b.json");
  ASSERT_NE(object, nullptr);
  EXPECT_FALSE(object->hash.value.empty());
  EXPECT_EQ(object->size, 8u);  // {"x": 2}

  EXPECT_EQ(builder.meta(), Json(Json::Object{{"version", Json("v0")}}));
  builder.set_meta(Json::Object{{"owner", Json("me")}});
  EXPECT_EQ(*builder.meta().find("user_meta"), Json(Json::Object{{"owner", Json("me")}}));

  EXPECT_EQ(builder.dir_meta("d/"), nullptr);
  builder.set_dir_meta("d", Json::Object{{"about", Json("d")}});
  ASSERT_NE(builder.dir_meta("d/"), nullptr);
  EXPECT_EQ(*builder.dir_meta("d/"), Json(Json::Object{{"about", Json("d")}}));

  builder.remove("d");
  EXPECT_EQ(builder.find("d/a.txt"), nullptr);
  EXPECT_EQ(builder.dir_meta("d/"), nullptr);
  EXPECT_EQ(builder.keys(), std::vector<std::string>{"b.json"});
}

}  // namespace
}  // namespace quilt
