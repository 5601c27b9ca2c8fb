#include <algorithm>
#include <cctype>
#include <string>

#include "core/utf8.h"
#include "formats/builtin_formats.h"
#include "quilt/errors.h"
#include "quilt/formats.h"

namespace quilt {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// quilt3 strips dots and spaces around an extension before comparing it.
std::string normalize_ext(std::string_view ext) {
  while (!ext.empty() && (ext.front() == '.' || ext.front() == ' ')) ext.remove_prefix(1);
  while (!ext.empty() && (ext.back() == '.' || ext.back() == ' ')) ext.remove_suffix(1);
  return lower(ext);
}

using detail::in_quotes;

}  // namespace

Text::Text(std::string text) : text_(std::move(text)) {
  size_t bad = find_invalid_utf8(text_);
  if (bad != std::string::npos) {
    throw InvalidArgument("text is not valid UTF-8 (ill-formed sequence at byte " +
                          std::to_string(bad) + ")");
  }
}

Bytes::Bytes(std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  buffer_ = Buffer(owned->data(), owned->size(), owned);
}

ObjectKind kind_of(const Object& object) noexcept {
  return static_cast<ObjectKind>(object.index());
}

bool objects_equal(const Object& a, const Object& b) {
  if (a.index() != b.index()) return false;
  switch (kind_of(a)) {
    case ObjectKind::kTable:
      return std::get<Table>(a).equals(std::get<Table>(b));
    case ObjectKind::kNDArray:
      return std::get<NDArray>(a).equals(std::get<NDArray>(b));
    case ObjectKind::kJson:
      return std::get<Json>(a) == std::get<Json>(b);
    case ObjectKind::kText:
      return std::get<Text>(a) == std::get<Text>(b);
    case ObjectKind::kBytes:
      return std::get<Bytes>(a) == std::get<Bytes>(b);
  }
  return false;
}

std::string_view object_kind_name(ObjectKind kind) noexcept {
  switch (kind) {
    case ObjectKind::kTable:
      return "Table";
    case ObjectKind::kNDArray:
      return "NDArray";
    case ObjectKind::kJson:
      return "Json";
    case ObjectKind::kText:
      return "Text";
    case ObjectKind::kBytes:
      return "Bytes";
  }
  return "object";
}

std::string extension_of(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  // As pathlib's suffix: leading dots do not start a suffix, a trailing dot is
  // none.
  size_t start = name.find_first_not_of('.');
  if (start == std::string_view::npos) return {};
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot < start || dot + 1 == name.size()) return {};
  return lower(name.substr(dot + 1));
}

Json Format::serialize(const Object& object, const SerializeContext& context,
                       const ByteSink& sink) const {
  Json meta = make_meta(context);
  write(object, meta, sink, context.pool);
  return meta;
}

const FormatRegistry& FormatRegistry::builtin() {
  static const FormatRegistry registry = [] {
    FormatRegistry r;
    // quilt3's registration order; later ones win lookups, so parquet is the
    // default for tables and utf-8 for text.
    r.add(detail::make_bytes_format());
    r.add(detail::make_json_format());
    r.add(detail::make_text_format(), {"unicode"});
    r.add(detail::make_csv_format());
    r.add(detail::make_numpy_format());
    r.add(detail::make_parquet_format(), {"pyarrow"});
    return r;
  }();
  return registry;
}

void FormatRegistry::add(std::shared_ptr<const Format> format, std::vector<std::string> aliases) {
  if (!format) throw InvalidArgument("cannot register a null format");
  Registered entry{format, {std::string(format->name())}};
  for (std::string& alias : aliases) entry.names.push_back(std::move(alias));
  formats_.insert(formats_.begin(), std::move(entry));
}

const Format* FormatRegistry::find_name(std::string_view name) const noexcept {
  for (const Registered& r : formats_) {
    if (std::find(r.names.begin(), r.names.end(), name) != r.names.end()) return r.format.get();
  }
  return nullptr;
}

const Format* FormatRegistry::find_extension(ObjectKind kind, std::string_view ext) const noexcept {
  std::string wanted = normalize_ext(ext);
  if (wanted.empty()) return nullptr;
  for (const Registered& r : formats_) {
    if (!r.format->handles(kind)) continue;
    for (std::string_view e : r.format->extensions()) {
      if (e == wanted) return r.format.get();
    }
  }
  return nullptr;
}

const Format* FormatRegistry::default_for(ObjectKind kind) const noexcept {
  for (const Registered& r : formats_) {
    if (r.format->handles(kind)) return r.format.get();
  }
  return nullptr;
}

namespace {

// The extensions known for `kind`, for error messages: "parquet, csv, tsv".
std::string known_extensions(ObjectKind kind, const std::vector<const Format*>& formats) {
  std::vector<std::string_view> seen;
  std::string out;
  for (const Format* f : formats) {
    if (!f->handles(kind)) continue;
    for (std::string_view e : f->extensions()) {
      if (std::find(seen.begin(), seen.end(), e) != seen.end()) continue;
      seen.push_back(e);
      out += (out.empty() ? "" : ", ") + std::string(e);
    }
  }
  return out;
}

}  // namespace

FormatChoice FormatRegistry::for_object(ObjectKind kind, const FormatSelection& selection) const {
  std::string key_ext = extension_of(selection.logical_key);
  std::string location_ext = extension_of(selection.location);
  if (!key_ext.empty() && !location_ext.empty() && key_ext != location_ext) {
    throw InvalidArgument(
        "The logical_key and the serialization_location have "
        "different file extensions: " +
        in_quotes(selection.logical_key) + " and " + in_quotes(selection.location));
  }
  std::string ext = location_ext.empty() ? key_ext : location_ext;
  std::vector<const Format*> all;
  for (const Registered& r : formats_) all.push_back(r.format.get());
  auto unknown = [&](std::string_view what) {
    return InvalidArgument("quiltcpp does not know how to serialize a " +
                           std::string(object_kind_name(kind)) + " as a " + in_quotes(what) +
                           " file (known: " + known_extensions(kind, all) + ")");
  };

  if (!selection.format.empty()) {
    std::string wanted = normalize_ext(selection.format);
    if (const Format* f = find_extension(kind, wanted)) return {f, wanted};
    const Format* f = find_name(selection.format);
    if (f == nullptr) f = find_name(wanted);
    if (f == nullptr) {
      throw InvalidArgument("unknown format " + in_quotes(selection.format) +
                            ": give a format name or an extension");
    }
    if (!f->handles(kind)) {
      throw InvalidArgument("the " + in_quotes(f->name()) + " format cannot serialize a " +
                            std::string(object_kind_name(kind)));
    }
    std::vector<std::string_view> exts = f->extensions();
    bool listed = std::find(exts.begin(), exts.end(), ext) != exts.end();
    return {f, listed ? ext : std::string(exts.front())};
  }
  if (!ext.empty()) {
    const Format* f = find_extension(kind, ext);
    if (f == nullptr) throw unknown(ext);
    return {f, ext};
  }
  const Format* f = default_for(kind);
  if (f == nullptr) {
    throw InvalidArgument("quiltcpp does not know how to serialize a " +
                          std::string(object_kind_name(kind)));
  }
  return {f, std::string(f->extensions().front())};
}

const Format& FormatRegistry::for_meta(const Json& meta, std::string_view ext) const {
  std::string name;
  if (const Json* format = meta.find("format"); format != nullptr) {
    const Json* n = format->find("name");
    if (n != nullptr && n->is_string()) name = n->as_string();
  }
  if (name.empty()) {
    const Json* target = meta.find("target");
    if (target != nullptr && target->is_string()) name = target->as_string();
  }
  if (!name.empty()) {
    const Format* f = find_name(name);
    if (f == nullptr) {
      throw InvalidArgument("the entry's meta requires the " + in_quotes(name) +
                            " format, but quiltcpp knows no such format");
    }
    return *f;
  }
  std::string wanted = normalize_ext(ext);
  for (const Registered& r : formats_) {
    for (std::string_view e : r.format->extensions()) {
      if (!wanted.empty() && e == wanted) return *r.format;
    }
  }
  if (wanted.empty()) {
    throw InvalidArgument(
        "quiltcpp cannot tell the format: the entry's meta "
        "names none and its file has no "
        "extension");
  }
  throw InvalidArgument("quiltcpp does not know how to deserialize a " + in_quotes(wanted) +
                        " file");
}

}  // namespace quilt
