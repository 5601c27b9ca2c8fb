#pragma once

// In-memory objects and the formats that put them into packages. A
// FormatRegistry maps (object kind, file extension) to a Format, as quilt3's
// FormatRegistry does, and each Format records in the entry's meta what
// quilt3 records (`format` and `target`), so each tool reads what the other
// wrote. See docs/formats.md, "Formats in packages".

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "quilt/json.h"
#include "quilt/ndarray.h"  // NDArray, ByteSink
#include "quilt/table.h"

namespace quilt {

class ThreadPool;

/// UTF-8 text (quilt3's `str` for the "utf-8" format). A plain value.
class Text {
 public:
  Text() = default;
  /// Take `text`. Throws InvalidArgument naming the byte offset when it is
  /// not well-formed UTF-8.
  explicit Text(std::string text);

  const std::string& str() const noexcept { return text_; }
  bool operator==(const Text&) const = default;

 private:
  std::string text_;
};

/// Raw bytes (quilt3's `bytes` for the "bytes" format). Immutable; copies
/// share the buffer.
class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(Buffer buffer) : buffer_(std::move(buffer)) {}
  /// Take the bytes of `bytes` (moved, not copied).
  explicit Bytes(std::string bytes);

  const Buffer& buffer() const noexcept { return buffer_; }
  std::span<const uint8_t> bytes() const noexcept { return buffer_.bytes(); }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(buffer_.data()), buffer_.size()};
  }
  bool operator==(const Bytes& other) const noexcept { return view() == other.view(); }

 private:
  Buffer buffer_;
};

/// Any object a package entry can be serialized from or deserialized into.
using Object = std::variant<Table, NDArray, Json, Text, Bytes>;

/// An Object or one of its alternatives. PackageBuilder::set takes these
/// only, so a string given to set() is always a path, never content (as in
/// quilt3); wrap text in Text or Json to serialize it.
template <class T>
concept ObjectType =
    std::same_as<T, Object> || std::same_as<T, Table> || std::same_as<T, NDArray> ||
    std::same_as<T, Json> || std::same_as<T, Text> || std::same_as<T, Bytes>;

/// The kind of an Object (the variant's alternative).
enum class ObjectKind { kTable, kNDArray, kJson, kText, kBytes };

ObjectKind kind_of(const Object& object) noexcept;
/// Return whether both hold the same kind and equal values (Table::equals,
/// NDArray::equals, Json's ==, equal text or bytes).
bool objects_equal(const Object& a, const Object& b);
/// Return "Table", "NDArray", "Json", "Text" or "Bytes".
std::string_view object_kind_name(ObjectKind kind) noexcept;

/// What a Format is given besides the object and the sink.
struct SerializeContext {
  /// The extension chosen for the entry, lower-case without the dot ("tsv"),
  /// or empty. The csv format takes its default field separator from it.
  std::string ext;
  /// Format options (a JSON object, or null for none): parquet
  /// {"compression": "snappy"|"zstd"|"gzip"|"none"|null}; csv any of quilt3's
  /// opts (fieldsep, use_header, na_values, header_names, linesep, ...).
  Json options;
  /// Encode on this pool (parquet); null: on the calling thread.
  ThreadPool* pool = nullptr;
};

/// One serialization format (quilt3's FormatHandler). Thread-safe: formats
/// are stateless.
class Format {
 public:
  virtual ~Format() = default;

  /// quilt3's handler name: "parquet", "csv", "numpy", "json", "utf-8",
  /// "bytes".
  virtual std::string_view name() const noexcept = 0;
  /// The extensions handled, lower-case without the dot; the first is the
  /// one used when a key has none.
  virtual std::vector<std::string_view> extensions() const = 0;
  /// True when this format serializes objects of `kind`.
  virtual bool handles(ObjectKind kind) const noexcept = 0;

  /// Return the entry meta serialize() records, exactly as quilt3 writes it:
  /// {"format": {<options>, "name": N}, "target": N}. Throws InvalidArgument
  /// naming the option for an unknown option or a bad value.
  virtual Json make_meta(const SerializeContext& context) const = 0;
  /// Write `object` into `sink` as `meta` (from make_meta) describes.
  /// REQUIRES: handles(kind_of(object)). Throws InvalidArgument for what the
  /// format cannot hold; whatever the sink throws.
  virtual void write(const Object& object, const Json& meta, const ByteSink& sink,
                     ThreadPool* pool) const = 0;
  /// Read `bytes`, honouring the options recorded in `meta` (csv: fieldsep,
  /// use_header, header_names, na_values), falling back to `ext` (lower-case,
  /// no dot, may be empty) for what meta lacks. `source` names the input in
  /// errors. Throws Corrupt for bad bytes.
  virtual Object read(const Buffer& bytes, const Json& meta, std::string_view ext,
                      std::string_view source, ThreadPool* pool) const = 0;

  /// make_meta, then write; return the meta.
  Json serialize(const Object& object, const SerializeContext& context, const ByteSink& sink) const;
};

/// How FormatRegistry::for_object picks a format.
struct FormatSelection {
  /// An explicit choice: a format name ("csv", "numpy", "utf-8") or an
  /// extension ("tsv", ".md"), any case. Wins over the extensions below.
  std::string format;
  /// The entry's logical key; its last suffix, when it has one, picks the
  /// format.
  std::string logical_key;
  /// Where the bytes go, when not to the object store; its suffix must then
  /// equal the logical key's (quilt3's rule).
  std::string location;
};

/// A chosen format plus the extension it serializes for.
struct FormatChoice {
  const Format* format = nullptr;
  /// Lower-case, without the dot; the format's first extension when none was
  /// given.
  std::string ext;
};

/// Maps (object kind, extension) and quilt3's format names to formats.
/// Thread-safe for lookups; add() is not (register before sharing).
class FormatRegistry {
 public:
  /// An empty registry.
  FormatRegistry() = default;
  /// The built-in formats: parquet (default for Table), csv (csv, tsv, ssv),
  /// numpy (npy), json, utf-8 (txt, md, rst), bytes (bin); "pyarrow" and
  /// "unicode" are read as parquet and utf-8.
  static const FormatRegistry& builtin();

  /// Add a format. Later additions win lookups (as quilt3's register()).
  void add(std::shared_ptr<const Format> format, std::vector<std::string> aliases = {});

  /// Return the format named `name` (an alias included), or nullptr.
  const Format* find_name(std::string_view name) const noexcept;
  /// Return the format for `kind` and `ext` (any case, leading dot allowed),
  /// or nullptr.
  const Format* find_extension(ObjectKind kind, std::string_view ext) const noexcept;
  /// Return the default format of `kind` (its first registered), or nullptr.
  const Format* default_for(ObjectKind kind) const noexcept;

  /// Choose the format to serialize an object of `kind`: the explicit format,
  /// else the extension of the location or of the logical key, else the
  /// default for the kind. Throws InvalidArgument "The logical_key and the
  /// serialization_location have different file extensions" when both have
  /// one and they differ, and "quiltcpp does not know how to serialize a
  /// Table as a 'xyz' file" for an unknown pair.
  FormatChoice for_object(ObjectKind kind, const FormatSelection& selection) const;

  /// Choose the format to deserialize an entry: meta["format"]["name"], else
  /// meta["target"], else `ext` (the physical key's). Throws InvalidArgument
  /// naming the format or extension when none is known.
  const Format& for_meta(const Json& meta, std::string_view ext) const;

 private:
  struct Registered {
    std::shared_ptr<const Format> format;
    std::vector<std::string> names;  // name() and aliases
  };
  std::vector<Registered> formats_;  // latest first
};

/// Return the last suffix of the last segment of a key, path or URL path,
/// lower-case without the dot ("a/b.TSV" -> "tsv"; "a.b/c" -> ""; ".env" ->
/// "").
std::string extension_of(std::string_view path);

}  // namespace quilt
