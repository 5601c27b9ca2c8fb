#include "quilt/object_store.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "quilt/physical_key.h"
#include "storage/local_store.h"
#include "storage/s3/s3_store.h"

namespace quilt {
namespace {

constexpr size_t kCopyChunk = size_t{1} << 20;

}  // namespace

std::string Reader::read_all() {
  std::string out;
  size_t chunk = 64 << 10;
  for (;;) {
    size_t used = out.size();
    out.resize(used + chunk);
    size_t n = read({reinterpret_cast<uint8_t*>(out.data() + used), chunk});
    out.resize(used + n);
    if (n == 0) return out;
    chunk = std::min(chunk * 2, kCopyChunk * 16);
  }
}

ObjectInfo ObjectStore::copy(std::string_view from, std::string_view to) {
  std::unique_ptr<Reader> reader = open_read(from);
  std::unique_ptr<Writer> writer = open_write(to);
  std::vector<uint8_t> buffer(kCopyChunk);
  while (size_t n = reader->read(buffer)) writer->write({buffer.data(), n});
  return writer->commit();
}

std::string ObjectStore::get(std::string_view key) { return open_read(key)->read_all(); }

ObjectInfo ObjectStore::put(std::string_view key, std::string_view bytes, WriteOptions options) {
  std::unique_ptr<Writer> writer = open_write(key, options);
  writer->write(bytes);
  return writer->commit();
}

std::vector<ObjectInfo> ObjectStore::list_all(std::string_view prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    ListPage page = list(prefix, {.page_token = token});
    all.insert(all.end(), std::make_move_iterator(page.objects.begin()),
               std::make_move_iterator(page.objects.end()));
    token = std::move(page.next_token);
  } while (!token.empty());
  return all;
}

std::unique_ptr<ObjectStore> open_store(std::string_view root) {
  if (root.empty()) throw InvalidArgument("empty store root");
  // A URL is `scheme://...`; anything else (even `a:b`) is a path.
  size_t colon = root.find("://");
  std::string_view scheme = colon == root.npos ? std::string_view() : root.substr(0, colon);
  bool has_scheme =
      !scheme.empty() && std::isalpha(static_cast<unsigned char>(scheme[0])) &&
      std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (!has_scheme) return std::make_unique<LocalStore>(std::string(root));
  if (scheme == "file") {
    return std::make_unique<LocalStore>(PhysicalKey::from_url(std::string(root)).local_path());
  }
  if (scheme == "s3") return s3::open_s3_store(root);
  throw InvalidArgument("cannot open store '" + std::string(root) + "': unsupported scheme '" +
                        std::string(scheme) + "' (local directories, file:// and s3:// URLs)");
}

}  // namespace quilt
