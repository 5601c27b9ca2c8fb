#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "quilt/manifest.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

constexpr size_t kEntriesPerSlice = 4096;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw Error("OpenSSL could not start a SHA-256 digest");
    }
  }
  void update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(kHex[digest[i] >> 4]);
      out.push_back(kHex[digest[i] & 15]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx_;
};

// Append quilt3's hashed form of one entry: json.dumps({"hash", "logical_key",
// "meta", "size"}, sort_keys=True, separators=(",", ":")).
void append_entry_part(const ManifestEntry& entry, std::string& out) {
  out += "{\"hash\":{\"type\":";
  Json(std::string(hash_type_name(entry.hash.type))).dump_canonical(out);
  out += ",\"value\":";
  Json(entry.hash.value).dump_canonical(out);
  out += "},\"logical_key\":";
  Json(entry.logical_key).dump_canonical(out);
  out += ",\"meta\":";
  entry.meta.dump_canonical(out);
  out += ",\"size\":";
  out += std::to_string(entry.size);
  out += '}';
}

}  // namespace

std::string compute_top_hash(const Manifest& manifest, ThreadPool* pool) {
  Sha256 sha;
  std::string buffer;
  manifest.meta.dump_canonical(buffer);
  sha.update(buffer);
  const auto& entries = manifest.entries;
  size_t slices = (entries.size() + kEntriesPerSlice - 1) / kEntriesPerSlice;
  // Encode a window of slices in parallel, then feed them to the one digest
  // in order: the digest is sequential, the encoding is not.
  size_t window = pool != nullptr ? std::max<size_t>(2, pool->size() * 2) : 1;
  std::vector<std::string> parts(window);
  for (size_t first = 0; first < slices; first += window) {
    size_t count = std::min(window, slices - first);
    auto encode = [&](size_t w) {
      std::string& part = parts[w];
      part.clear();
      size_t from = (first + w) * kEntriesPerSlice;
      size_t to = std::min(entries.size(), from + kEntriesPerSlice);
      for (size_t i = from; i < to; ++i) append_entry_part(entries[i], part);
    };
    if (pool != nullptr && count > 1) {
      pool->parallel_for(count, encode);
    } else {
      for (size_t w = 0; w < count; ++w) encode(w);
    }
    for (size_t w = 0; w < count; ++w) sha.update(parts[w]);
  }
  return sha.hex_digest();
}

}  // namespace quilt
