// GDAL as an independent Arrow C Data Interface producer: OGR's Arrow stream
// (GDAL >= 3.6, Debian's libgdal32) of a GeoJSON layer, imported as a Table.
// The table then goes through our Parquet writer to the oracle's readers.
// libgdal is loaded with dlopen so the library itself does not link it; the
// few C entry points used are declared here from GDAL's public C API.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "parquet_oracle.h"
#include "quilt/arrow_c.h"
#include "quilt/parquet.h"
#include "test_util.h"

// The Arrow C stream interface, as its specification defines it.
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
extern "C" {
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};
}
#endif  // ARROW_C_STREAM_INTERFACE

namespace quilt::test {
namespace {

constexpr unsigned kGdalOfVector = 0x04;  // GDAL_OF_VECTOR

// The GDAL entry points this test calls.
struct Gdal {
  void (*all_register)() = nullptr;
  void* (*open_ex)(const char*, unsigned, const char* const*, const char* const*,
                   const char* const*) = nullptr;
  void* (*get_layer)(void*, int) = nullptr;
  bool (*get_arrow_stream)(void*, ArrowArrayStream*, char**) = nullptr;
  void (*close)(void*) = nullptr;
};

template <class F>
void bind(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (f == nullptr) throw std::runtime_error(std::string("libgdal lacks ") + name);
}

// Load libgdal once (never unloaded). Throws when it is missing: scripts/setup --test installs it.
const Gdal& gdal() {
  static const Gdal g = [] {
    void* lib = dlopen("libgdal.so.32", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      throw std::runtime_error(std::string("libgdal32 is missing (scripts/setup --test installs it): ") +
                               dlerror());
    }
    Gdal out;
    bind(lib, "GDALAllRegister", out.all_register);
    bind(lib, "GDALOpenEx", out.open_ex);
    bind(lib, "GDALDatasetGetLayer", out.get_layer);
    bind(lib, "OGR_L_GetArrowStream", out.get_arrow_stream);
    bind(lib, "GDALClose", out.close);
    out.all_register();
    return out;
  }();
  return g;
}

const char* kGeoJson = R"({"type": "FeatureCollection", "features": [
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
 "properties": {"name": "caf\u00e9", "n": 7, "big": 5000000000, "x": 1.5, "ok": true}},
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-3.5, 4.25]},
 "properties": {"name": null, "n": -2, "big": null, "x": null, "ok": false}},
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.0, 0.0]},
 "properties": {"name": "", "n": 0, "big": -1, "x": -0.25, "ok": null}}
]})";

// Little-endian WKB of POINT(x y): byte order, type 1, two doubles.
std::string wkb_point(double x, double y) {
  std::string out("\x01\x01\x00\x00\x00", 5);
  out.append(reinterpret_cast<const char*>(&x), 8);
  out.append(reinterpret_cast<const char*>(&y), 8);
  return out;
}

TEST(ArrowCGdal, ImportsOgrArrowStreamOfAGeoJsonLayer) {
  const Gdal& g = gdal();
  TempDir dir;
  const std::string path = dir.write("points.geojson", kGeoJson);
  void* dataset = g.open_ex(path.c_str(), kGdalOfVector, nullptr, nullptr, nullptr);
  ASSERT_NE(dataset, nullptr) << "GDAL cannot open " << path;
  void* layer = g.get_layer(dataset, 0);
  ASSERT_NE(layer, nullptr);
  ArrowArrayStream stream{};
  ASSERT_TRUE(g.get_arrow_stream(layer, &stream, nullptr));
  ArrowSchema schema{};
  ArrowArray array{};
  ASSERT_EQ(stream.get_schema(&stream, &schema), 0);
  ASSERT_EQ(stream.get_next(&stream, &array), 0);
  ASSERT_NE(array.release, nullptr);
  std::string formats;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    formats += std::string(schema.children[i]->name) + ":" + schema.children[i]->format + " ";
  }
  SCOPED_TRACE("GDAL's schema: " + formats);
  const void* first_values = array.children[0]->buffers[1];
  {
    Table t = import_arrow_table(&schema, &array);
    EXPECT_EQ(schema.release, nullptr);
    EXPECT_EQ(array.release, nullptr);
    ASSERT_EQ(t.num_rows(), 3);
    EXPECT_EQ(t.column(0).values_buffer().data(), first_values);  // GDAL's memory, not a copy

    const Column* name = t.find_column("name");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(name->type(), DataType::string());
    EXPECT_EQ(name->string_at(0), "caf\xc3\xa9");
    EXPECT_TRUE(name->is_null(1));
    EXPECT_EQ(name->string_at(2), "");

    const Column* n = t.find_column("n");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->type(), DataType::int32());
    EXPECT_EQ(n->values<int32_t>()[0], 7);
    EXPECT_EQ(n->values<int32_t>()[1], -2);

    const Column* big = t.find_column("big");
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->type(), DataType::int64());
    EXPECT_EQ(big->values<int64_t>()[0], 5000000000);
    EXPECT_TRUE(big->is_null(1));
    EXPECT_EQ(big->values<int64_t>()[2], -1);

    const Column* x = t.find_column("x");
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->type(), DataType::float64());
    EXPECT_EQ(x->values<double>()[0], 1.5);
    EXPECT_TRUE(x->is_null(1));
    EXPECT_EQ(x->values<double>()[2], -0.25);

    const Column* ok = t.find_column("ok");
    ASSERT_NE(ok, nullptr);
    EXPECT_EQ(ok->type(), DataType::boolean());
    EXPECT_TRUE(ok->bool_at(0));
    EXPECT_FALSE(ok->bool_at(1));
    EXPECT_TRUE(ok->is_null(2));

    const Column* geometry = t.find_column("wkb_geometry");
    ASSERT_NE(geometry, nullptr);
    EXPECT_EQ(geometry->type(), DataType::binary());
    EXPECT_EQ(geometry->string_at(0), wkb_point(1.0, 2.0));
    EXPECT_EQ(geometry->string_at(1), wkb_point(-3.5, 4.25));

    // GDAL's memory straight into our Parquet writer; the oracle's readers agree on it.
    const std::string parquet = (dir.path() / "points.parquet").string();
    write_parquet_file(t, parquet);
    OracleReport report = check_parquet(parquet);
    EXPECT_EQ(report.exit_code, 0) << report.problems() << report.err;
    Json rows = duckdb_sql("SELECT name, n::VARCHAR AS n, big::VARCHAR AS big FROM '" + parquet +
                           "' WHERE ok");
    ASSERT_EQ(rows.as_array().size(), 1u);
    EXPECT_EQ(rows.as_array()[0].find("name")->as_string(), "caf\xc3\xa9");
    EXPECT_EQ(rows.as_array()[0].find("big")->as_string(), "5000000000");
  }
  ArrowArray end{};
  ASSERT_EQ(stream.get_next(&stream, &end), 0);
  EXPECT_EQ(end.release, nullptr);  // the stream's end
  stream.release(&stream);
  g.close(dataset);
}

}  // namespace
}  // namespace quilt::test
