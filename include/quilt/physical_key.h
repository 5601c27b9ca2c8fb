#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace quilt {

/// Where an entry's bytes live: a `file:///abs/path` or
/// `s3://bucket/key[?versionId=ID]` URL.
///
/// A key made here is printed as quilt3 prints it: the path (file: the UTF-8
/// bytes of the absolute path; s3: `/` + key) percent-encoded like Python's
/// `quote(path, safe="/")` with uppercase hex, and the version like
/// `urlencode`. A key read from a manifest keeps its text exactly, so it is
/// written back unchanged. Immutable value; cheap to copy relative to its text.
class PhysicalKey {
 public:
  PhysicalKey() = default;

  /// Parse `url` (`file:` or `s3:`), keeping its text. Throws InvalidArgument
  /// naming the URL for another scheme, an s3 URL without bucket or with a
  /// query other than versionId, a relative or host-qualified file URL, or a
  /// fragment.
  static PhysicalKey from_url(std::string url);
  /// Return the key of the local absolute `path` (REQUIRES: starts with '/';
  /// otherwise InvalidArgument).
  static PhysicalKey from_local_path(std::string_view path);
  /// Return the key of an S3 object.
  static PhysicalKey from_s3(std::string_view bucket, std::string_view key,
                             std::optional<std::string_view> version_id = std::nullopt);

  /// The URL text.
  const std::string& str() const noexcept { return url_; }
  bool empty() const noexcept { return url_.empty(); }
  bool is_local() const noexcept;
  bool is_s3() const noexcept;

  /// The decoded local path. REQUIRES: is_local().
  std::string local_path() const;
  /// The bucket of an s3 key. REQUIRES: is_s3().
  std::string bucket() const;
  /// The decoded object key of an s3 key (no leading '/'). REQUIRES: is_s3().
  std::string s3_key() const;
  /// The decoded versionId of an s3 key, if any.
  std::optional<std::string> version_id() const;

  bool operator==(const PhysicalKey&) const = default;

 private:
  explicit PhysicalKey(std::string url) : url_(std::move(url)) {}
  std::string url_;
};

/// Append `bytes` percent-encoded like Python's `urllib.parse.quote(bytes, safe=safe)`.
void append_url_quoted(std::string& out, std::string_view bytes, std::string_view safe = "/");
/// Append `bytes` encoded like Python's `quote_plus(bytes, safe="")` (space as '+').
void append_url_quoted_plus(std::string& out, std::string_view bytes);
/// Decode %XX escapes like Python's `unquote_to_bytes` (a bad escape stays as is);
/// with `plus_is_space`, '+' decodes to ' ' as in query strings.
std::string url_unquote(std::string_view text, bool plus_is_space = false);

}  // namespace quilt
