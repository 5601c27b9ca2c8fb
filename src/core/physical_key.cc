#include "quilt/physical_key.h"

#include <cctype>

#include "core/utf8.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

// The parts of a URL as Python's urlsplit() separates them.
struct UrlParts {
  std::string_view scheme;
  std::string_view netloc;
  std::string_view path;
  std::string_view query;
  bool has_query = false;
  bool has_fragment = false;
};

bool scheme_is(std::string_view scheme, std::string_view want) noexcept {
  if (scheme.size() != want.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(scheme[i])) != want[i]) return false;
  }
  return true;
}

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return parts;
  parts.scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 1);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
    parts.has_fragment = true;
    rest = rest.substr(0, hash);
  }
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    parts.has_query = true;
    parts.query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    parts.netloc = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  parts.path = rest;
  return parts;
}

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
  throw InvalidArgument("invalid physical key '" + escape_for_message(url) + "': " + why);
}

// Return the versionId of an s3 query (empty values count as absent, as parse_qs does).
std::optional<std::string> parse_s3_query(std::string_view url, std::string_view query) {
  std::optional<std::string> version;
  while (!query.empty()) {
    size_t amp = query.find_first_of("&;");
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = url_unquote(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : url_unquote(pair.substr(eq + 1), true);
    if (value.empty()) continue;
    if (name != "versionId") bad_url(url, "unexpected S3 query parameter '" + name + "'");
    version = std::move(value);
  }
  return version;
}

// Check an s3 query as parse_s3_query does, without decoding the common case.
void check_s3_query(std::string_view url, std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find_first_of("&;");
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == "versionId") continue;
    parse_s3_query(url, pair);  // decodes, and throws for any other parameter
  }
}

void validate(std::string_view url) {
  UrlParts parts = split_url(url);
  if (parts.has_fragment) bad_url(url, "a fragment ('#') is not allowed");
  if (scheme_is(parts.scheme, "s3")) {
    if (parts.netloc.empty()) bad_url(url, "missing bucket");
    check_s3_query(url, parts.query);
    return;
  }
  if (scheme_is(parts.scheme, "file")) {
    if (!parts.netloc.empty() && parts.netloc != "localhost") bad_url(url, "unexpected host");
    if (parts.path.empty()) bad_url(url, "missing path");
    if (parts.path.front() != '/') bad_url(url, "relative paths are not allowed");
    if (parts.has_query) bad_url(url, "unexpected query");
    return;
  }
  bad_url(url, "expected a file:// or s3:// URL");
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) noexcept {
  return std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~';
}

constexpr char kUpperHex[] = "0123456789ABCDEF";

void append_escape(std::string& out, unsigned char c) {
  out.push_back('%');
  out.push_back(kUpperHex[c >> 4]);
  out.push_back(kUpperHex[c & 15]);
}

}  // namespace

void append_url_quoted(std::string& out, std::string_view bytes, std::string_view safe) {
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x80 && (is_unreserved(c) || safe.find(ch) != std::string_view::npos)) {
      out.push_back(ch);
    } else {
      append_escape(out, c);
    }
  }
}

void append_url_quoted_plus(std::string& out, std::string_view bytes) {
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == ' ') {
      out.push_back('+');
    } else if (c < 0x80 && is_unreserved(c)) {
      out.push_back(ch);
    } else {
      append_escape(out, c);
    }
  }
}

std::string url_unquote(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

PhysicalKey PhysicalKey::from_url(std::string url) {
  validate(url);
  return PhysicalKey(std::move(url));
}

PhysicalKey PhysicalKey::from_local_path(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    throw InvalidArgument("a local physical key needs an absolute path, got '" +
                          escape_for_message(path) + "'");
  }
  std::string url = "file://";
  append_url_quoted(url, path);
  return PhysicalKey(std::move(url));
}

PhysicalKey PhysicalKey::from_s3(std::string_view bucket, std::string_view key,
                                 std::optional<std::string_view> version_id) {
  if (bucket.empty()) throw InvalidArgument("an S3 physical key needs a bucket");
  std::string url = "s3://";
  url.append(bucket);
  url.push_back('/');
  append_url_quoted(url, key);
  if (version_id && !version_id->empty()) {
    url += "?versionId=";
    append_url_quoted_plus(url, *version_id);
  }
  return PhysicalKey(std::move(url));
}

bool PhysicalKey::is_local() const noexcept { return scheme_is(split_url(url_).scheme, "file"); }

bool PhysicalKey::is_s3() const noexcept { return scheme_is(split_url(url_).scheme, "s3"); }

std::string PhysicalKey::local_path() const {
  if (!is_local()) throw InvalidArgument("not a local physical key: '" + url_ + "'");
  return url_unquote(split_url(url_).path);
}

std::string PhysicalKey::bucket() const {
  if (!is_s3()) throw InvalidArgument("not an S3 physical key: '" + url_ + "'");
  return std::string(split_url(url_).netloc);
}

std::string PhysicalKey::s3_key() const {
  if (!is_s3()) throw InvalidArgument("not an S3 physical key: '" + url_ + "'");
  std::string path = url_unquote(split_url(url_).path);
  return path.empty() ? path : path.substr(1);
}

std::optional<std::string> PhysicalKey::version_id() const {
  if (!is_s3()) return std::nullopt;
  return parse_s3_query(url_, split_url(url_).query);
}

}  // namespace quilt
