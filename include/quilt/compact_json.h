#pragma once

#include <string>
#include <string_view>

#include "quilt/json.h"

namespace quilt {

/// A JSON value kept as text in the compact form quilt3 writes into manifests
/// (insertion order, `", "` and `": "` separators, non-ASCII unescaped; NaN
/// and Infinity allowed). Entry metadata uses it: a million-entry manifest
/// then holds one short string per entry instead of a tree of values, and the
/// tree is built only when someone asks for it. The empty text stands for `{}`.
/// A plain value; cheap to move.
class CompactJson {
 public:
  /// `{}`.
  CompactJson() = default;
  /// Encode `value` (any JSON value).
  CompactJson(const Json& value);  // NOLINT: implicit, so `entry.meta = json` reads naturally

  /// Read JSON text of any form (Json::parse semantics). Text that is already
  /// in the compact form, as quilt3 writes it, is taken as it is without
  /// building a tree. Throws Corrupt for text that is not JSON.
  static CompactJson from_json_text(std::string_view text);

  /// Return the value (parsed from the text).
  Json value() const;
  /// The text; empty for `{}`.
  const std::string& text() const noexcept { return text_; }
  /// True for `{}`.
  bool is_empty_object() const noexcept { return text_.empty(); }

  /// Append the text as quilt3 writes it. Throws InvalidArgument for NaN or
  /// Infinity, which quilt3 refuses to write.
  void dump_manifest(std::string& out) const;
  /// Append the canonical form behind the top hash (Json::dump_canonical).
  void dump_canonical(std::string& out) const;

  /// Equality of the values, as Json's operator== (Python's ==).
  friend bool operator==(const CompactJson& a, const CompactJson& b);

 private:
  std::string text_;
};

}  // namespace quilt
