#include "storage/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "quilt/errors.h"

namespace quilt::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;

using Mac = std::array<uint8_t, 32>;

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// HMAC() one-shot is the OpenSSL 3 interface that is not deprecated (HMAC_CTX is).
Mac hmac_sha256(std::span<const uint8_t> key, std::string_view data) {
  Mac out{};
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  if (result == nullptr || length != out.size()) throw Error("SigV4: OpenSSL HMAC-SHA256 failed");
  return out;
}

std::string sha256_hex(std::string_view text) {
  return detail::to_hex(detail::sha256(as_bytes(text)));
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// SigV4 "Trimall": strip leading and trailing whitespace and turn every inner run of spaces into
// one space. Runs inside quotes are collapsed too: that is what AWS's reference does.
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

void check_amz_date(std::string_view date) {
  bool ok = date.size() == 16 && date[8] == 'T' && date[15] == 'Z';
  for (size_t i = 0; ok && i < 15; ++i) {
    if (i != 8 && (date[i] < '0' || date[i] > '9')) ok = false;
  }
  if (!ok) {
    throw InvalidArgument("SigV4: amz_date '" + std::string(date) +
                          "' is not of the form YYYYMMDDTHHMMSSZ");
  }
}

void check_inputs(const Request& request, const Credentials& credentials,
                  const SigningScope& scope) {
  check_amz_date(scope.amz_date);
  if (scope.region.empty()) throw InvalidArgument("SigV4: the region is empty");
  if (scope.service.empty()) throw InvalidArgument("SigV4: the service is empty");
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    throw InvalidArgument("SigV4: the access key id or the secret access key is empty");
  }
  if (request.method.empty()) throw InvalidArgument("SigV4: the HTTP method is empty");
  if (request.payload_hash.empty()) throw InvalidArgument("SigV4: the payload hash is empty");
}

struct CanonicalHeaders {
  std::string text;          // "name:value\n" per header
  std::string signed_names;  // "host;range"
};

// Lower-case the names, fold repeated names into one comma-joined value, sort by name.
CanonicalHeaders canonical_headers(const std::vector<Header>& headers) {
  std::vector<Header> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos) {
      throw InvalidArgument("SigV4: invalid header name '" + name + "'");
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      throw InvalidArgument("SigV4: the value of header '" + name + "' holds a line break");
    }
    lowered.emplace_back(to_lower(name), trim_all(value));
  }
  // Stable, so that repeated names keep the order in which they are sent.
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const Header& a, const Header& b) { return a.first < b.first; });
  bool has_host = false;
  CanonicalHeaders out;
  for (size_t i = 0; i < lowered.size(); ++i) {
    const std::string& name = lowered[i].first;
    has_host = has_host || name == "host";
    if (i > 0 && lowered[i - 1].first == name) {
      out.text.back() = ',';  // replace the previous '\n': fold into one line
    } else {
      if (!out.signed_names.empty()) out.signed_names.push_back(';');
      out.signed_names += name;
      out.text += name;
      out.text.push_back(':');
    }
    out.text += lowered[i].second;
    out.text.push_back('\n');
  }
  if (!has_host) throw InvalidArgument("SigV4: the request has no Host header");
  return out;
}

// Encode each parameter, then sort by encoded name and encoded value (byte order).
std::string canonical_query(const std::vector<QueryParam>& query) {
  std::vector<QueryParam> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string canonical_uri(std::string_view path, const SigningScope& scope) {
  PathEncoding encoding = scope.path_encoding;
  if (encoding == PathEncoding::kDefault) {
    encoding = scope.service == "s3" ? PathEncoding::kOnce : PathEncoding::kTwice;
  }
  std::string once = encode_path(path);
  // Services other than S3 sign the encoded path encoded once more (so '%' becomes '%25').
  return encoding == PathEncoding::kOnce ? once : uri_encode(once, true);
}

std::string date_of(const SigningScope& scope) { return scope.amz_date.substr(0, 8); }

std::string credential_scope(const SigningScope& scope) {
  return date_of(scope) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

// The key derived from the secret for one day, region and service.
Mac signing_key(const Credentials& credentials, const SigningScope& scope) {
  std::string secret = "AWS4" + credentials.secret_access_key;
  Mac key = hmac_sha256(as_bytes(secret), date_of(scope));
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  return hmac_sha256(key, "aws4_request");
}

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

Signature compute_signature(const Request& request, const std::string& query,
                            const CanonicalHeaders& headers, const Credentials& credentials,
                            const SigningScope& scope) {
  Signature out;
  out.canonical_request = request.method + "\n" + canonical_uri(request.path, scope) + "\n" +
                          query + "\n" + headers.text + "\n" + headers.signed_names + "\n" +
                          request.payload_hash;
  out.string_to_sign = std::string(kAlgorithm) + "\n" + scope.amz_date + "\n" +
                       credential_scope(scope) + "\n" + sha256_hex(out.canonical_request);
  out.signature = detail::to_hex(hmac_sha256(signing_key(credentials, scope), out.string_to_sign));
  return out;
}

bool has_header(const std::vector<Header>& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const Header& h) { return to_lower(h.first) == lower_name; });
}

}  // namespace

std::string uri_encode(std::string_view bytes, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string encode_path(std::string_view path) {
  if (path.empty()) return "/";
  return uri_encode(path, true);
}

std::string payload_hash(std::string_view body) { return sha256_hex(body); }

SignedRequest sign(const Request& request, const Credentials& credentials,
                   const SigningScope& scope) {
  check_inputs(request, credentials, scope);
  std::vector<Header> added;
  added.emplace_back("X-Amz-Date", scope.amz_date);
  // S3 requires the payload hash as a header; other services take it from the canonical request.
  if (scope.service == "s3") added.emplace_back("X-Amz-Content-SHA256", request.payload_hash);
  if (credentials.session_token) {
    added.emplace_back("X-Amz-Security-Token", *credentials.session_token);
  }
  for (const auto& [name, value] : added) {
    if (has_header(request.headers, to_lower(name))) {
      throw InvalidArgument("SigV4: header '" + name + "' is set by sign(), not by the caller");
    }
  }
  std::vector<Header> all = request.headers;
  all.insert(all.end(), added.begin(), added.end());
  CanonicalHeaders headers = canonical_headers(all);
  Signature sig =
      compute_signature(request, canonical_query(request.query), headers, credentials, scope);

  SignedRequest out;
  out.headers = std::move(added);
  out.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                           credential_scope(scope) + ",SignedHeaders=" + headers.signed_names +
                           ",Signature=" + sig.signature);
  out.canonical_request = std::move(sig.canonical_request);
  out.string_to_sign = std::move(sig.string_to_sign);
  out.signed_headers = std::move(headers.signed_names);
  out.signature = std::move(sig.signature);
  return out;
}

PresignedRequest presign(const Request& request, const Credentials& credentials,
                         const SigningScope& scope, int64_t expires_seconds) {
  check_inputs(request, credentials, scope);
  if (expires_seconds < 1 || expires_seconds > kMaxPresignSeconds) {
    throw InvalidArgument("SigV4: presigned URL expiry " + std::to_string(expires_seconds) +
                          " s is outside 1.." + std::to_string(kMaxPresignSeconds));
  }
  // Other x-amz-* parameters (x-amz-checksum-mode, ...) are the caller's, signed as given.
  static constexpr std::string_view kAuthParams[] = {
      "x-amz-algorithm",     "x-amz-credential", "x-amz-date",          "x-amz-expires",
      "x-amz-signedheaders", "x-amz-signature",  "x-amz-security-token"};
  for (const auto& [name, value] : request.query) {
    std::string lower = to_lower(name);
    if (std::find(std::begin(kAuthParams), std::end(kAuthParams), lower) != std::end(kAuthParams)) {
      throw InvalidArgument("SigV4: query parameter '" + name + "' is set by presign()");
    }
  }
  CanonicalHeaders headers = canonical_headers(request.headers);
  std::vector<QueryParam> added = {
      {"X-Amz-Algorithm", std::string(kAlgorithm)},
      {"X-Amz-Credential", credentials.access_key_id + "/" + credential_scope(scope)},
      {"X-Amz-Date", scope.amz_date},
      {"X-Amz-Expires", std::to_string(expires_seconds)},
      {"X-Amz-SignedHeaders", headers.signed_names},
  };
  if (credentials.session_token) {
    added.emplace_back("X-Amz-Security-Token", *credentials.session_token);
  }
  std::vector<QueryParam> all = request.query;
  all.insert(all.end(), added.begin(), added.end());
  Signature sig = compute_signature(request, canonical_query(all), headers, credentials, scope);

  PresignedRequest out;
  added.emplace_back("X-Amz-Signature", sig.signature);
  all.emplace_back("X-Amz-Signature", sig.signature);
  out.query = std::move(added);
  out.query_string = canonical_query(all);
  out.canonical_request = std::move(sig.canonical_request);
  out.string_to_sign = std::move(sig.string_to_sign);
  out.signed_headers = std::move(headers.signed_names);
  out.signature = std::move(sig.signature);
  return out;
}

ChunkSigner::ChunkSigner(const Credentials& credentials, const SigningScope& scope,
                         std::string seed_signature)
    : previous_(std::move(seed_signature)),
      prefix_(std::string(kChunkAlgorithm) + "\n" + scope.amz_date + "\n" +
              credential_scope(scope) + "\n") {
  check_amz_date(scope.amz_date);
  Mac key = signing_key(credentials, scope);
  key_.assign(key.begin(), key.end());
}

std::string ChunkSigner::next(std::string_view chunk_sha256_hex) {
  std::string to_sign = prefix_ + previous_ + "\n" + std::string(kEmptyPayloadHash) + "\n" +
                        std::string(chunk_sha256_hex);
  previous_ = detail::to_hex(hmac_sha256(key_, to_sign));
  return previous_;
}

std::string chunk_header(uint64_t size, std::string_view signature) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), kHex[size & 0xF]);
    size >>= 4;
  } while (size != 0);
  return digits + ";chunk-signature=" + std::string(signature) + "\r\n";
}

uint64_t aws_chunked_length(uint64_t length, uint64_t chunk_size) {
  // Every chunk is its header, its data and CRLF; the last, empty one ends the body.
  auto framed = [](uint64_t size) { return chunk_header(size, std::string(64, '0')).size() + size + 2; };
  uint64_t full = chunk_size == 0 ? 0 : length / chunk_size;
  uint64_t rest = chunk_size == 0 ? length : length % chunk_size;
  uint64_t total = full * framed(chunk_size) + framed(0);
  if (rest != 0) total += framed(rest);
  return total;
}

}  // namespace quilt::s3
