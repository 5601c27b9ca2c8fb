// The formats that hold one value without options: bytes, json, utf-8 text
// and numpy arrays.

#include <string>
#include <vector>

#include "core/utf8.h"
#include "formats/builtin_formats.h"
#include "quilt/errors.h"

namespace quilt::detail {

Json format_meta(std::string_view name, Json additions) {
  // quilt3: format_meta.update(additions); format_meta['name'] = name, so
  // "name" comes after the additions.
  additions.set("name", Json(name));
  Json meta = Json::object();
  meta.set("format", std::move(additions));
  meta.set("target", Json(name));
  return meta;
}

void check_no_options(std::string_view format_name, const Json& options) {
  if (options.is_null() || (options.is_object() && options.empty())) return;
  throw InvalidArgument("the " + in_quotes(format_name) + " format takes no options");
}

std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out += escape_for_message(s);
  out += '\'';
  return out;
}

void sink_bytes(const ByteSink& sink, std::string_view bytes) {
  sink({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

namespace {

std::string_view as_text(const Buffer& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Throw Corrupt naming `source` unless `text` is UTF-8 (Python's
// bytes.decode('utf-8') refuses the same inputs).
void check_utf8(std::string_view text, std::string_view source) {
  size_t bad = find_invalid_utf8(text);
  if (bad == std::string::npos) return;
  throw Corrupt(in_quotes(source) + " is not valid UTF-8 (ill-formed sequence at byte " +
                std::to_string(bad) + ")");
}

// A format without options: its meta is {"format": {"name": N}, "target": N}.
class SimpleFormat : public Format {
 public:
  Json make_meta(const SerializeContext& context) const override {
    check_no_options(name(), context.options);
    return format_meta(name());
  }
};

class BytesFormat final : public SimpleFormat {
 public:
  std::string_view name() const noexcept override { return "bytes"; }
  std::vector<std::string_view> extensions() const override { return {"bin"}; }
  bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kBytes; }
  void write(const Object& object, const Json&, const ByteSink& sink, ThreadPool*) const override {
    sink(std::get<Bytes>(object).bytes());
  }
  Object read(const Buffer& bytes, const Json&, std::string_view, std::string_view,
              ThreadPool*) const override {
    return Bytes(bytes);
  }
};

// json.dumps(obj).encode('utf-8') and json.loads. A Text is a JSON string, as
// quilt3's json handler takes a str.
class JsonFormat final : public SimpleFormat {
 public:
  std::string_view name() const noexcept override { return "json"; }
  std::vector<std::string_view> extensions() const override { return {"json"}; }
  bool handles(ObjectKind kind) const noexcept override {
    return kind == ObjectKind::kJson || kind == ObjectKind::kText;
  }
  void write(const Object& object, const Json&, const ByteSink& sink, ThreadPool*) const override {
    std::string out;
    if (const Text* text = std::get_if<Text>(&object)) {
      Json(text->str()).dump_python(out);
    } else {
      std::get<Json>(object).dump_python(out);
    }
    sink_bytes(sink, out);
  }
  Object read(const Buffer& bytes, const Json&, std::string_view, std::string_view source,
              ThreadPool*) const override {
    try {
      return Json::parse(as_text(bytes));
    } catch (const Corrupt& e) {
      throw Corrupt(in_quotes(source) + " is not JSON: " + e.what());
    }
  }
};

class TextFormat final : public SimpleFormat {
 public:
  std::string_view name() const noexcept override { return "utf-8"; }
  std::vector<std::string_view> extensions() const override { return {"txt", "md", "rst"}; }
  bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kText; }
  void write(const Object& object, const Json&, const ByteSink& sink, ThreadPool*) const override {
    sink_bytes(sink, std::get<Text>(object).str());
  }
  Object read(const Buffer& bytes, const Json&, std::string_view, std::string_view source,
              ThreadPool*) const override {
    check_utf8(as_text(bytes), source);
    return Text(std::string(as_text(bytes)));
  }
};

// np.save(allow_pickle=False) / np.load. quilt3 lists "npz" too, but that is
// a zip of arrays that neither tool writes here; it is left out.
class NumpyFormat final : public SimpleFormat {
 public:
  std::string_view name() const noexcept override { return "numpy"; }
  std::vector<std::string_view> extensions() const override { return {"npy"}; }
  bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kNDArray; }
  void write(const Object& object, const Json&, const ByteSink& sink, ThreadPool*) const override {
    write_npy(std::get<NDArray>(object), sink);
  }
  Object read(const Buffer& bytes, const Json&, std::string_view, std::string_view source,
              ThreadPool*) const override {
    return read_npy(bytes, source);
  }
};

}  // namespace

std::shared_ptr<const Format> make_bytes_format() { return std::make_shared<BytesFormat>(); }
std::shared_ptr<const Format> make_json_format() { return std::make_shared<JsonFormat>(); }
std::shared_ptr<const Format> make_text_format() { return std::make_shared<TextFormat>(); }
std::shared_ptr<const Format> make_numpy_format() { return std::make_shared<NumpyFormat>(); }

}  // namespace quilt::detail
