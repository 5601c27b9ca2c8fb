// _quiltcpp: the thin binding under the quiltcpp Python package. It exposes
// the C++ PackageBuilder, Package, Registry and deserialize() nearly as they
// are; quilt3's API is made in Python on top (python/quiltcpp/). JSON crosses
// the boundary as text (json.dumps / json.loads on the Python side), and every
// call that serializes, hashes or does I/O releases the GIL.
#include <pybind11/stl.h>

#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "python/common.h"
#include "quilt/errors.h"
#include "quilt/manifest.h"
#include "quilt/package.h"
#include "quilt/package_builder.h"
#include "quilt/package_name.h"
#include "quilt/registry.h"

namespace quilt::python {

ThreadPool& pool() {
  // Leaked on purpose: joining workers during interpreter teardown is not safe.
  static ThreadPool* instance = new ThreadPool(0);
  return *instance;
}

Json json_from_text(std::string_view text) {
  if (text.empty()) return Json();
  return Json::parse(text);
}

std::string json_to_text(const Json& value) {
  std::string out;
  value.dump_python(out);
  return out;
}

std::shared_ptr<const void> py_owner(py::object object) {
  auto* held = new py::object(std::move(object));
  return std::shared_ptr<const void>(held, [](const py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

namespace {

// Raise the quiltcpp.exceptions class for a C++ error, with its message.
void translate_errors(std::exception_ptr error) {
  const char* name = nullptr;
  std::string message;
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    name = "InvalidArgumentError", message = e.what();
  } catch (const NotFound& e) {
    name = "NotFoundError", message = e.what();
  } catch (const Corrupt& e) {
    name = "CorruptError", message = e.what();
  } catch (const Conflict& e) {
    name = "ConflictError", message = e.what();
  } catch (const IoError& e) {
    name = "QuiltIOError", message = e.what();
  } catch (const RemoteError& e) {
    name = "RemoteError", message = e.what();
  } catch (const Error& e) {
    name = "QuiltException", message = e.what();
  }
  py::object cls = py::module_::import("quiltcpp.exceptions").attr(name);
  PyErr_SetString(cls.ptr(), message.c_str());
}

struct ObjectOptions {
  std::string format;
  std::string location;
  std::string meta_json;  // "" for none
  std::string format_options_json;
  std::string data_dir;
};

SetObjectOptions set_options(const ObjectOptions& o) {
  SetObjectOptions options;
  options.format = o.format;
  options.location = o.location;
  if (!o.meta_json.empty()) options.meta = Json::parse(o.meta_json);
  options.format_options = json_from_text(o.format_options_json);
  options.data_dir = o.data_dir;
  options.pool = &pool();
  return options;
}

// A PackageBuilder shared by Python threads. The calls that release the GIL
// would race with each other and with reads, so every access holds the mutex
// (taken after the GIL is released, for the calls that release it, so a
// thread never waits for the mutex while another waits for the GIL it holds
// with the mutex).
struct PyBuilder {
  PyBuilder() = default;
  explicit PyBuilder(const Package& base) : builder(base) {}
  PackageBuilder builder;
  std::mutex mutex;
};

// Return fn(builder) under the builder's mutex, the GIL held.
template <class F>
auto locked(PyBuilder& pb, F&& fn) {
  std::lock_guard<std::mutex> lock(pb.mutex);
  return fn(pb.builder);
}

// Return fn(builder) under the builder's mutex, the GIL released.
template <class F>
auto released(PyBuilder& pb, F&& fn) {
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(pb.mutex);
  return fn(pb.builder);
}

// Serialize `object` into the builder with the GIL released.
void set_object(PyBuilder& pb, const std::string& key, const Object& object,
                const ObjectOptions& o) {
  SetObjectOptions options = set_options(o);
  released(pb, [&](PackageBuilder& b) { b.set(key, object, options); });
}

// The Python side of a deserialized object: (kind, payload).
py::tuple object_to_py(const Object& object) {
  switch (kind_of(object)) {
    case ObjectKind::kTable:
      return py::make_tuple("table", table_to_py(std::get<Table>(object)));
    case ObjectKind::kNDArray:
      return py::make_tuple("ndarray", ndarray_to_py(std::get<NDArray>(object)));
    case ObjectKind::kJson:
      return py::make_tuple("json", json_to_text(std::get<Json>(object)));
    case ObjectKind::kText: {
      const std::string& s = std::get<Text>(object).str();
      return py::make_tuple("text", py::str(s.data(), s.size()));
    }
    case ObjectKind::kBytes: {
      std::string_view b = std::get<Bytes>(object).view();
      return py::make_tuple("bytes", py::bytes(b.data(), b.size()));
    }
  }
  throw Error("unknown object kind");
}

Object deserialize_entry(const ManifestEntry& entry, const std::string& format) {
  ManifestEntry copy = entry;
  if (!format.empty()) {
    // Read as another format than the meta names (get_bytes reads "bytes").
    Json meta = Json::object();
    meta.set("format", Json(Json::Object{{"name", Json(format)}}));
    meta.set("target", Json(format));
    copy.meta = meta;
  }
  DeserializeOptions options;
  options.pool = &pool();
  py::gil_scoped_release release;
  return deserialize(copy, options);
}

py::list package_entries(const Package& package) {
  py::list out;
  for (const ManifestEntry& entry : package.entries()) out.append(entry);
  return out;
}

}  // namespace
}  // namespace quilt::python

using namespace quilt;          // NOLINT: the bindings below name most of it
using namespace quilt::python;  // NOLINT

PYBIND11_MODULE(_quiltcpp, m) {
  m.doc() = "quiltcpp's C++ core; use the quiltcpp package, not this module";
  py::register_exception_translator(translate_errors);
  bind_objects(m);

  py::class_<ManifestEntry>(m, "Entry")
      .def_readonly("logical_key", &ManifestEntry::logical_key)
      .def_property_readonly("physical_key",
                             [](const ManifestEntry& e) { return e.physical_key.str(); })
      .def_property_readonly("local_path",
                             [](const ManifestEntry& e) -> std::optional<std::string> {
                               if (!e.physical_key.is_local()) return std::nullopt;
                               return e.physical_key.local_path();
                             })
      .def_readonly("size", &ManifestEntry::size)
      .def_property_readonly("hash_type",
                             [](const ManifestEntry& e) -> std::optional<std::string> {
                               if (e.hash.value.empty()) return std::nullopt;
                               return std::string(hash_type_name(e.hash.type));
                             })
      .def_property_readonly("hash_value",
                             [](const ManifestEntry& e) -> std::optional<std::string> {
                               if (e.hash.value.empty()) return std::nullopt;
                               return e.hash.value;
                             })
      .def_property_readonly("meta_json",
                             [](const ManifestEntry& e) { return json_to_text(e.meta.value()); })
      .def("deserialize",
           [](const ManifestEntry& e, const std::string& format) {
             return object_to_py(deserialize_entry(e, format));
           },
           py::arg("format") = "");

  py::class_<Package>(m, "Package")
      .def(py::init<>())
      .def_static("from_manifest_text",
                  [](const std::string& text) {
                    py::gil_scoped_release release;
                    ManifestReadOptions options;
                    options.source_name = "manifest";
                    return Package(read_manifest(text, options));
                  })
      .def_property_readonly("top_hash",
                             [](const Package& p) {
                               py::gil_scoped_release release;
                               return p.top_hash();
                             })
      .def("manifest_text", &Package::manifest_text)
      .def_property_readonly("meta_json", [](const Package& p) { return json_to_text(p.meta()); })
      .def("entries", &package_entries)
      .def("find",
           [](const Package& p, const std::string& key) -> std::optional<ManifestEntry> {
             const ManifestEntry* e = p.find(key);
             if (e == nullptr) return std::nullopt;
             return *e;
           })
      .def("diff",
           [](const Package& p, const Package& other) {
             PackageDiff d = p.diff(other);
             return py::make_tuple(d.added, d.modified, d.deleted);
           })
      .def("verify", [](const Package& p, const std::string& dir, bool extra_files_ok) {
        VerifyResult r;
        {
          py::gil_scoped_release release;
          r = p.verify(dir, pool());
        }
        return py::make_tuple(r.ok(extra_files_ok), r.missing, r.modified, r.extra);
      });

  py::class_<ObjectOptions>(m, "ObjectOptions")
      .def(py::init<>())
      .def_readwrite("format", &ObjectOptions::format)
      .def_readwrite("location", &ObjectOptions::location)
      .def_readwrite("meta_json", &ObjectOptions::meta_json)
      .def_readwrite("format_options_json", &ObjectOptions::format_options_json)
      .def_readwrite("data_dir", &ObjectOptions::data_dir);

  py::class_<PyBuilder>(m, "Builder")
      .def(py::init<>())
      .def(py::init<const Package&>())
      .def("set_path",
           [](PyBuilder& pb, const std::string& key, const std::string& location,
              const std::string& meta_json) {
             std::optional<Json> meta;
             if (!meta_json.empty()) meta = Json::parse(meta_json);
             locked(pb, [&](PackageBuilder& b) { b.set(key, location, std::move(meta)); });
           })
      .def("set_entry_as",
           [](PyBuilder& pb, const std::string& key, const ManifestEntry& e) {
             ManifestEntry copy = e;
             copy.logical_key = key;
             locked(pb, [&](PackageBuilder& b) { b.set_entry(std::move(copy)); });
           })
      .def("set_table",
           [](PyBuilder& pb, const std::string& key, const Table& t, const ObjectOptions& o) {
             set_object(pb, key, Object(t), o);
           })
      .def("set_ndarray",
           [](PyBuilder& pb, const std::string& key, const py::array& a, const ObjectOptions& o) {
             set_object(pb, key, Object(ndarray_from_py(a)), o);
           })
      .def("set_json",
           [](PyBuilder& pb, const std::string& key, const std::string& text,
              const ObjectOptions& o) { set_object(pb, key, Object(Json::parse(text)), o); })
      .def("set_text",
           [](PyBuilder& pb, const std::string& key, const std::string& text,
              const ObjectOptions& o) { set_object(pb, key, Object(Text(text)), o); })
      .def("set_bytes",
           [](PyBuilder& pb, const std::string& key, const py::bytes& data,
              const ObjectOptions& o) {
             set_object(pb, key, Object(Bytes(std::string(data))), o);
           })
      .def("set_dir",
           [](PyBuilder& pb, const std::string& prefix, const std::string& dir,
              const std::string& meta_json, bool keep_existing) {
             SetDirOptions options;
             if (!meta_json.empty()) options.meta = Json::parse(meta_json);
             options.update_policy = keep_existing ? UpdatePolicy::kExisting : UpdatePolicy::kIncoming;
             released(pb, [&](PackageBuilder& b) { b.set_dir(prefix, dir, options); });
           })
      .def("remove",
           [](PyBuilder& pb, const std::string& key) {
             locked(pb, [&](PackageBuilder& b) { b.remove(key); });
           })
      .def("set_meta",
           [](PyBuilder& pb, const std::string& text) {
             Json meta = json_from_text(text);
             locked(pb, [&](PackageBuilder& b) { b.set_meta(std::move(meta)); });
           })
      .def("set_entry_meta",
           [](PyBuilder& pb, const std::string& key, const std::string& text) {
             Json meta = json_from_text(text);
             locked(pb, [&](PackageBuilder& b) { b.set_entry_meta(key, std::move(meta)); });
           })
      .def("set_dir_meta",
           [](PyBuilder& pb, const std::string& key, const std::string& text) {
             Json meta = json_from_text(text);
             locked(pb, [&](PackageBuilder& b) { b.set_dir_meta(key, std::move(meta)); });
           })
      .def("set_message",
           [](PyBuilder& pb, std::optional<std::string> message) {
             locked(pb, [&](PackageBuilder& b) { b.set_message(std::move(message)); });
           })
      .def("contains",
           [](PyBuilder& pb, const std::string& key) {
             return locked(pb, [&](PackageBuilder& b) { return b.contains(key); });
           })
      .def("__len__",
           [](PyBuilder& pb) { return locked(pb, [](PackageBuilder& b) { return b.size(); }); })
      .def("keys",
           [](PyBuilder& pb) { return locked(pb, [](PackageBuilder& b) { return b.keys(); }); })
      .def("find",
           [](PyBuilder& pb, const std::string& key) {
             return locked(pb, [&](PackageBuilder& b) -> std::optional<ManifestEntry> {
               const ManifestEntry* e = b.find(key);
               if (e == nullptr) return std::nullopt;
               return *e;
             });
           })
      .def_property_readonly("meta_json",
                             [](PyBuilder& pb) {
                               return locked(pb, [](PackageBuilder& b) {
                                 return json_to_text(b.meta());
                               });
                             })
      .def("dir_meta_json",
           [](PyBuilder& pb, const std::string& key) {
             return locked(pb, [&](PackageBuilder& b) -> std::optional<std::string> {
               const Json* meta = b.dir_meta(key);
               if (meta == nullptr) return std::nullopt;
               return json_to_text(*meta);
             });
           })
      .def("build", [](PyBuilder& pb) {
        return released(pb, [](PackageBuilder& b) { return b.build(pool()); });
      });

  py::class_<Registry>(m, "Registry")
      .def(py::init([](const std::string& url) { return Registry::open(url); }))
      .def_property_readonly("url", &Registry::url)
      .def("list_packages",
           [](Registry& r) {
             py::gil_scoped_release release;
             return r.list_packages();
           })
      .def("list_versions",
           [](Registry& r, const std::string& name) {
             std::vector<PackageVersion> versions;
             {
               PackageName parsed = PackageName::parse(name);
               py::gil_scoped_release release;
               versions = r.list_versions(parsed);
             }
             py::list out;
             for (const PackageVersion& v : versions) out.append(py::make_tuple(v.timestamp, v.top_hash));
             return out;
           })
      .def("latest",
           [](Registry& r, const std::string& name) {
             PackageName parsed = PackageName::parse(name);
             py::gil_scoped_release release;
             return r.latest(parsed);
           })
      .def("resolve",
           [](Registry& r, const std::string& name, const std::string& hash) {
             PackageName parsed = PackageName::parse(name);
             py::gil_scoped_release release;
             return r.resolve(parsed, hash);
           })
      .def("browse",
           [](Registry& r, const std::string& name, const std::string& hash) {
             PackageName parsed = PackageName::parse(name);
             py::gil_scoped_release release;
             return r.browse(parsed, hash);
           })
      .def(
          "push",
          [](Registry& r, const std::string& name, const Package& package,
             std::optional<std::string> parent, bool force, bool dedupe, bool copy_data,
             const std::string& dest, std::optional<std::map<std::string, std::string>> dest_urls,
             std::optional<std::set<std::string>> selected, const py::object& progress) {
            PackageName parsed = PackageName::parse(name);
            PushOptions options;
            options.parent = std::move(parent);
            options.force = force;
            options.dedupe = dedupe;
            options.copy_data = copy_data;
            options.dest = dest;
            options.on_progress = py_progress(progress);
            // quilt3's callables ran in Python already (packages.py): here they are per-key
            // answers, so C++ never calls back into Python without the GIL.
            if (dest_urls) {
              options.dest_fn = [urls = std::move(*dest_urls)](const ManifestEntry& e) {
                auto it = urls.find(e.logical_key);
                if (it == urls.end()) {
                  throw InvalidArgument("push: no dest URL for '" + e.logical_key + "'");
                }
                return it->second;
              };
            }
            if (selected) {
              options.selector = [keys = std::move(*selected)](const ManifestEntry& e) {
                return keys.contains(e.logical_key);
              };
            }
            py::gil_scoped_release release;
            PushResult result = r.push(parsed, package, options, pool());
            return result.package;
          },
          py::arg("name"), py::arg("package"), py::arg("parent"), py::arg("force"),
          py::arg("dedupe"), py::arg("copy_data"), py::arg("dest") = "",
          py::arg("dest_urls") = py::none(), py::arg("selected") = py::none(),
          py::arg("progress") = py::none())
      .def(
          "install",
          [](Registry& r, const std::string& name, const std::string& hash, const std::string& dest,
             const std::string& path, const py::object& progress) {
            PackageName parsed = PackageName::parse(name);
            InstallOptions options;
            options.dest = dest;
            options.path = path;
            options.on_progress = py_progress(progress);
            py::gil_scoped_release release;
            return r.install(parsed, hash, options, pool());
          },
          py::arg("name"), py::arg("hash"), py::arg("dest"), py::arg("path"),
          py::arg("progress") = py::none())
      .def("delete_package",
           [](Registry& r, const std::string& name) {
             PackageName parsed = PackageName::parse(name);
             py::gil_scoped_release release;
             r.delete_package(parsed);
           })
      .def("delete_version",
           [](Registry& r, const std::string& name, const std::string& hash) {
             PackageName parsed = PackageName::parse(name);
             py::gil_scoped_release release;
             r.delete_version(parsed, hash);
           })
      .def("rollback", [](Registry& r, const std::string& name, const std::string& hash) {
        PackageName parsed = PackageName::parse(name);
        py::gil_scoped_release release;
        r.rollback(parsed, hash);
      });

  m.def("default_registry", &default_registry);
  m.def("default_local_registry", &default_local_registry);
  m.def("validate_package_name", [](const std::string& name) { PackageName::parse(name); });
  m.attr("__version__") = QUILT_VERSION;
}
