#include <openssl/evp.h>

#include <algorithm>
#include <exception>
#include <latch>
#include <memory>
#include <string>
#include <vector>

#include "core/json_internal.h"
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
  out += "{\"hash\":{\"type\":\"";
  out += hash_type_name(entry.hash.type);  // ASCII names: nothing to escape
  out += "\",\"value\":";
  detail::append_canonical_string(out, entry.hash.value);
  out += "},\"logical_key\":";
  detail::append_canonical_string(out, entry.logical_key);
  out += ",\"meta\":";
  entry.meta.dump_canonical(out);
  out += ",\"size\":";
  out += std::to_string(entry.size);
  out += '}';
}

// Encoded parts of consecutive slices of entries, filled by pool tasks.
struct Window {
  std::vector<std::string> parts;
  std::vector<std::exception_ptr> errors;
  std::unique_ptr<std::latch> done;
  size_t count = 0;
};

void encode_slice(const std::vector<ManifestEntry>& entries, size_t slice, std::string& out) {
  out.clear();
  size_t from = slice * kEntriesPerSlice;
  size_t to = std::min(entries.size(), from + kEntriesPerSlice);
  for (size_t i = from; i < to; ++i) append_entry_part(entries[i], out);
}

// Start encoding slices [first, first + count) into `w` on the pool.
void launch(ThreadPool& pool, const std::vector<ManifestEntry>& entries, size_t first,
            size_t count, Window& w) {
  w.count = count;
  w.parts.resize(count);
  w.errors.assign(count, nullptr);
  w.done = std::make_unique<std::latch>(static_cast<std::ptrdiff_t>(count));
  for (size_t i = 0; i < count; ++i) {
    pool.submit([&entries, &w, first, i] {
      try {
        encode_slice(entries, first + i, w.parts[i]);
      } catch (...) {
        w.errors[i] = std::current_exception();
      }
      w.done->count_down();
    });
  }
}

}  // namespace

std::string compute_top_hash(const Manifest& manifest, ThreadPool* pool) {
  Sha256 sha;
  std::string buffer;
  manifest.meta.dump_canonical(buffer);
  sha.update(buffer);
  const auto& entries = manifest.entries;
  size_t slices = (entries.size() + kEntriesPerSlice - 1) / kEntriesPerSlice;
  if (pool == nullptr || slices < 2) {
    for (size_t s = 0; s < slices; ++s) {
      encode_slice(entries, s, buffer);
      sha.update(buffer);
    }
    return sha.hex_digest();
  }
  // The digest is sequential, the encoding is not: the pool encodes the next
  // window while this thread feeds the current one to SHA-256, in order.
  size_t window = std::max<size_t>(2, pool->size() * 2);
  Window windows[2];
  launch(*pool, entries, 0, std::min(window, slices), windows[0]);
  for (size_t first = 0, k = 0; first < slices; first += window, ++k) {
    Window& current = windows[k % 2];
    size_t next = first + window;
    if (next < slices) launch(*pool, entries, next, std::min(window, slices - next), windows[(k + 1) % 2]);
    current.done->wait();
    for (size_t i = 0; i < current.count; ++i) {
      if (current.errors[i]) {
        // Let the other window's tasks finish before its buffers go away.
        if (next < slices) windows[(k + 1) % 2].done->wait();
        std::rethrow_exception(current.errors[i]);
      }
      sha.update(current.parts[i]);
    }
  }
  return sha.hex_digest();
}

}  // namespace quilt
