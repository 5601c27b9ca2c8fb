#pragma once

// Where an S3 client gets its settings: explicit options first, then the environment, then the
// shared AWS files (~/.aws/credentials and ~/.aws/config), then defaults. The precedence and the
// names follow the AWS CLI, so a machine set up for `aws s3` works unchanged.

#include <map>
#include <optional>
#include <string>

#include "storage/s3/sigv4.h"

namespace quilt::s3 {

/// How the bucket goes into a request URL.
enum class Addressing {
  kPath,     // https://endpoint/BUCKET/KEY
  kVirtual,  // https://BUCKET.endpoint/KEY
};

/// What the caller states explicitly (CLI flags, per-registry configuration); each set field
/// wins over the environment and the files.
struct ConfigOverrides {
  std::optional<std::string> profile;       // --profile
  std::optional<std::string> endpoint_url;  // --endpoint-url
  std::optional<std::string> region;        // --region
  std::optional<Addressing> addressing;
  std::optional<bool> anonymous;  // --no-sign-request
  std::optional<bool> conditional_writes;
  std::optional<uint64_t> multipart_threshold;
};

/// A resolved client configuration.
struct ClientConfig {
  /// Scheme, host and optional port, no trailing '/': "http://127.0.0.1:7480". Empty means AWS
  /// itself: "https://s3.<region>.amazonaws.com".
  std::string endpoint;
  std::string region = "us-east-1";
  Addressing addressing = Addressing::kPath;
  /// std::nullopt: requests go unsigned (anonymous access to public buckets).
  std::optional<Credentials> credentials;
  /// A PEM bundle of CA certificates to trust instead of the system's (AWS_CA_BUNDLE,
  /// `ca_bundle`); empty: the system's.
  std::string ca_bundle;
  /// Whether the server honours If-Match and If-None-Match on PUT, so a registry can move
  /// `latest` with one conditional write. Overrides, QUILT_S3_CONDITIONAL_WRITES (true|false),
  /// else true for AWS and false for other endpoints (Ceph RGW 16 refuses every If-Match on
  /// PUT; docs/s3.md).
  bool conditional_writes = false;
  /// Objects larger than this are uploaded in parts (multipart, several parts at once); up to
  /// it, in one streamed PutObject. Overrides, QUILT_S3_MULTIPART_THRESHOLD, else the profile's
  /// `s3 = multipart_threshold` (bytes, or with KB/MB/GB as the AWS CLI reads them: powers of
  /// 1024), else 8 MiB for AWS (the AWS CLI's default: parts in parallel beat one stream there)
  /// and 5 GiB, the most one PUT may carry, for other endpoints (one stream fills a LAN link,
  /// and Ceph RGW writes a multipart upload ~1.5x slower than the same bytes in one PUT;
  /// docs/s3.md). At most 5 GiB.
  uint64_t multipart_threshold = uint64_t{8} << 20;
  /// Where the credentials came from, for error messages: "environment",
  /// "/root/.aws/credentials [profile dev]", "anonymous (no credentials found in ...)".
  std::string credentials_source;
};

/// The process environment as a map, so tests can pass their own.
using Environment = std::map<std::string, std::string>;

/// Return the current process environment.
Environment process_environment();

/// Resolve the configuration.
///
/// - Profile: overrides.profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default". A profile
///   named explicitly (override or variable) that neither file defines is an InvalidArgument
///   naming both files; a missing "default" is not an error.
/// - Files: AWS_SHARED_CREDENTIALS_FILE (else $HOME/.aws/credentials) with sections `[NAME]`,
///   and AWS_CONFIG_FILE (else $HOME/.aws/config) with sections `[profile NAME]` and
///   `[default]`. INI as the AWS CLI reads it: `key = value` (or `key: value`; names are
///   case-insensitive), comments from `#` or `;` at the start of a line, indented lines under
///   `key =` forming a nested section (`s3 =` then `  addressing_style = path`). A line that is
///   none of these, a section or a key given twice, is an InvalidArgument naming the file and
///   line (never the line's text, which may be a secret). A missing file is not an error.
///   A profile's settings (region, endpoint_url, s3, ca_bundle) are its config file section's,
///   overridden key by key by its credentials file section's, as botocore merges them.
/// - Credentials: overrides.anonymous or AWS_NO_SIGN_REQUEST=true gives none; else
///   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else the profile's
///   aws_access_key_id + aws_secret_access_key (+ aws_session_token) from the credentials file,
///   then from the config file; else none (anonymous). One key without the other is an
///   InvalidArgument naming where it was found. A profile without keys that names another way
///   to get them (role_arn, credential_process, sso_*, web_identity_token_file,
///   credential_source) is an InvalidArgument: quiltcpp does not implement those.
/// - Region: overrides.region, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else
///   "us-east-1". Letters, digits, '-', '_' and '.' only (InvalidArgument otherwise).
/// - Endpoint: overrides.endpoint_url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
///   `s3 = endpoint_url`, then its `endpoint_url`, else empty (AWS). Must be http:// or https://
///   with a host and no path, query or user info (InvalidArgument otherwise); a trailing '/'
///   is dropped.
/// - Addressing: overrides.addressing, QUILT_S3_ADDRESSING (path|virtual), the profile's
///   `s3 = addressing_style` (path|virtual|auto), else auto: virtual for AWS, path for any
///   other endpoint (most S3-compatible servers are addressed by path).
/// - CA bundle: AWS_CA_BUNDLE, the profile's `ca_bundle`, else empty.
ClientConfig resolve_config(const ConfigOverrides& overrides, const Environment& environment);

/// Same, with the process environment.
inline ClientConfig resolve_config(const ConfigOverrides& overrides = {}) {
  return resolve_config(overrides, process_environment());
}

}  // namespace quilt::s3
