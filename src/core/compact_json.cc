#include "quilt/compact_json.h"

namespace quilt {
namespace {

// True when the text may hold NaN or Infinity outside a string: the only
// values quilt3 refuses to write. A false positive merely costs a parse.
bool may_hold_non_finite(std::string_view text) noexcept {
  return text.find("NaN") != std::string_view::npos ||
         text.find("Infinity") != std::string_view::npos;
}

}  // namespace

CompactJson::CompactJson(const Json& value) {
  if (value.is_object() && value.empty()) return;
  value.dump_manifest(text_, /*allow_nan=*/true);
}

Json CompactJson::value() const { return text_.empty() ? Json::object() : Json::parse(text_); }

void CompactJson::dump_manifest(std::string& out) const {
  if (text_.empty()) {
    out += "{}";
  } else if (may_hold_non_finite(text_)) {
    value().dump_manifest(out);  // throws for a real NaN or Infinity
  } else {
    out += text_;
  }
}

void CompactJson::dump_canonical(std::string& out) const {
  if (text_.empty()) {
    out += "{}";
    return;
  }
  value().dump_canonical(out);
}

bool operator==(const CompactJson& a, const CompactJson& b) {
  return a.text_ == b.text_ || a.value() == b.value();
}

}  // namespace quilt
