#include "storage/s3/s3_store.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>
#include <utility>

#include "quilt/errors.h"
#include "storage/local_store.h"
#include "storage/s3/bucket_settings.h"
#include "storage/s3/clients.h"

namespace quilt::s3 {
namespace {

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

class S3Reader final : public Reader {
 public:
  S3Reader(S3Store& store, std::string key, std::string url, ByteRange range)
      : store_(store), key_(std::move(key)), url_(std::move(url)), next_(range.offset) {
    if (range.length) end_ = range.offset + *range.length;
    // The first chunk now, so a missing key fails at open as the contract says.
    fill();
  }

  size_t read(std::span<uint8_t> out) override {
    if (used_ == buffer_.size() && !done_) fill();
    size_t n = std::min(out.size(), buffer_.size() - used_);
    std::memcpy(out.data(), buffer_.data() + used_, n);
    used_ += n;
    return n;
  }

 private:
  void fill() {
    buffer_.clear();
    used_ = 0;
    uint64_t want = S3Store::kReadChunk;
    if (end_) want = std::min(want, *end_ > next_ ? *end_ - next_ : 0);
    if (want == 0) {
      done_ = true;
      if (!etag_ && !store_.client().head_object(store_.bucket(), key_)) {
        throw NotFound("no object " + url_);
      }
      return;
    }
    GetOptions options;
    options.offset = next_;
    options.length = want;
    options.if_match = etag_;
    BodySink sink = [&](std::span<const uint8_t> bytes) {
      buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    };
    ObjectMeta meta;
    try {
      meta = store_.client().get_object(store_.bucket(), key_, options, sink);
    } catch (const Conflict&) {
      throw Conflict("reading " + url_ + ": the object changed while it was being read");
    }
    if (!etag_) etag_ = meta.etag;
    next_ += buffer_.size();
    if (end_) end_ = std::min(*end_, meta.size);
    if (next_ >= (end_ ? *end_ : meta.size) || buffer_.size() < want) done_ = true;
  }

  S3Store& store_;
  std::string key_;  // the full key in the bucket
  std::string url_;
  uint64_t next_;
  std::optional<uint64_t> end_;
  std::optional<std::string> etag_;
  std::string buffer_;
  size_t used_ = 0;
  bool done_ = false;
};

class S3Writer final : public Writer {
 public:
  S3Writer(S3Store& store, std::string relative_key, std::string key, WriteOptions options,
           std::vector<Header> metadata)
      : store_(store),
        relative_key_(std::move(relative_key)),
        key_(std::move(key)),
        options_(options),
        metadata_(std::move(metadata)) {}

  ~S3Writer() override {
    for (auto& part : inflight_) {
      try {
        part.second.get();
      } catch (...) {
      }
    }
    if (!upload_id_.empty()) {
      try {
        store_.client().abort_multipart_upload(store_.bucket(), key_, upload_id_);
      } catch (...) {
        // Nothing to do: an abandoned upload is invisible, and bucket lifecycle rules (or a
        // later abort) reclaim its parts.
      }
    }
  }

  void write(std::span<const uint8_t> bytes) override {
    if (committed_) throw InvalidArgument("write to " + url() + " after commit");
    while (!bytes.empty()) {
      const size_t part = parts_.size() + inflight_.size() < S3Store::kSmallParts
                              ? S3Store::kPartSize
                              : S3Store::kLargePartSize;
      size_t n = std::min(part - buffer_.size(), bytes.size());
      buffer_.append(reinterpret_cast<const char*>(bytes.data()), n);
      bytes = bytes.subspan(n);
      total_ += n;
      // A full buffer goes out only when more bytes follow: the last part may be full too.
      if (buffer_.size() == part && !bytes.empty()) flush_part();
    }
  }

  ObjectInfo commit() override {
    if (committed_) throw InvalidArgument("commit of " + url() + " twice");
    Client& client = store_.client();
    PutOptions put;
    put.if_none_match_any = options_.if_absent;
    put.metadata = metadata_;
    if (options_.if_absent && client.head_object(store_.bucket(), key_)) {
      throw Conflict("cannot create " + url() + ": it exists");
    }
    PutResult result;
    if (upload_id_.empty()) {
      result = client.put_object(store_.bucket(), key_, as_bytes(buffer_), put);
    } else {
      flush_part();
      while (!inflight_.empty()) collect_part();
      result = client.complete_multipart_upload(store_.bucket(), key_, upload_id_, parts_, put);
      upload_id_.clear();
    }
    committed_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
    ObjectInfo info;
    info.key = relative_key_;
    info.size = total_;
    info.version_id = result.version_id;
    return info;
  }

 private:
  std::string url() const { return "s3://" + store_.bucket() + "/" + key_; }

  void flush_part() {
    if (parts_.size() + inflight_.size() == static_cast<size_t>(kMaxParts)) {
      throw InvalidArgument("cannot write " + url() + ": more than S3's 10,000 parts (" +
                            std::to_string(total_) + " bytes so far)");
    }
    Client& client = store_.client();
    if (upload_id_.empty()) {
      upload_id_ = client.create_multipart_upload(store_.bucket(), key_, {}, metadata_);
    }
    // Parts go out several at once while the caller fills the next; the buffers come back
    // to be filled again (fresh 8 MiB buffers would each cost their page faults).
    if (inflight_.size() == kPartsInFlight) collect_part();
    int number = static_cast<int>(parts_.size() + inflight_.size()) + 1;
    std::string bytes = std::move(buffer_);
    buffer_ = take_spare();
    inflight_.emplace_back(number, std::async(std::launch::async, [this, number, bytes = std::move(bytes)]() mutable {
      std::string etag = store_.client().upload_part(store_.bucket(), key_, upload_id_, number, as_bytes(bytes));
      bytes.clear();
      return std::make_pair(std::move(etag), std::move(bytes));
    }));
  }

  // Wait for the oldest part in flight; its buffer becomes a spare.
  void collect_part() {
    auto [number, future] = std::move(inflight_.front());
    inflight_.pop_front();
    auto [etag, bytes] = future.get();
    parts_.push_back({number, std::move(etag)});
    spare_.push_back(std::move(bytes));
  }

  std::string take_spare() {
    if (spare_.empty()) return {};
    std::string bytes = std::move(spare_.back());
    spare_.pop_back();
    return bytes;
  }

  static constexpr size_t kPartsInFlight = 4;

  S3Store& store_;
  std::string relative_key_;
  std::string key_;
  WriteOptions options_;
  std::vector<Header> metadata_;
  std::string buffer_;
  uint64_t total_ = 0;
  std::string upload_id_;
  std::vector<CompletedPart> parts_;
  std::deque<std::pair<int, std::future<std::pair<std::string, std::string>>>> inflight_;
  std::vector<std::string> spare_;
  bool committed_ = false;
};

// Strip the store's prefix from a key the bucket listed.
std::string relative(std::string_view key, std::string_view prefix) {
  return std::string(key.substr(std::min(prefix.size(), key.size())));
}

}  // namespace

S3Store::S3Store(std::shared_ptr<Client> client, std::string bucket, std::string prefix)
    : client_(std::move(client)), bucket_(std::move(bucket)) {
  validate_bucket_name(bucket_);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) {
    validate_store_key(prefix);
    prefix_ = prefix + "/";
  }
}

std::string S3Store::root_url() const {
  std::string url = "s3://";
  url += bucket_;
  if (!prefix_.empty()) {
    url += '/';
    url.append(prefix_, 0, prefix_.size() - 1);
  }
  return url;
}

std::string S3Store::full_key(std::string_view key) const {
  validate_store_key(key);
  return prefix_ + std::string(key);
}

std::optional<ObjectInfo> S3Store::head(std::string_view key) {
  std::optional<ObjectMeta> meta = client_->head_object(bucket_, full_key(key));
  if (!meta) return std::nullopt;
  ObjectInfo info;
  info.key = std::string(key);
  info.size = meta->size;
  info.version_id = meta->version_id;
  return info;
}

std::unique_ptr<Reader> S3Store::open_read(std::string_view key, ByteRange range) {
  std::string full = full_key(key);
  return std::make_unique<S3Reader>(*this, full, "s3://" + bucket_ + "/" + full, range);
}

std::unique_ptr<Writer> S3Store::open_write(std::string_view key, WriteOptions options) {
  return open_write(key, options, {});
}

std::unique_ptr<Writer> S3Store::open_write(std::string_view key, WriteOptions options,
                                            std::vector<Header> metadata) {
  std::string full = full_key(key);
  return std::make_unique<S3Writer>(*this, std::string(key), std::move(full), options,
                                    std::move(metadata));
}

ListPage S3Store::list(std::string_view prefix, const ListOptions& options) {
  validate_store_prefix(prefix);
  const std::string token(options.page_token);
  const size_t max_keys = options.max_keys == 0 ? 1000 : options.max_keys;
  // A token that is a common prefix stands for every key under it.
  const bool skip_group =
      options.delimiter != 0 && !token.empty() && token.back() == options.delimiter;
  ListObjectsRequest request;
  request.prefix = prefix_ + std::string(prefix);
  if (options.delimiter != 0) request.delimiter = std::string(1, options.delimiter);
  if (!token.empty()) request.start_after = prefix_ + token;

  ListPage page;
  std::string last;
  bool more = false;
  for (;;) {
    size_t count = page.objects.size() + page.common_prefixes.size();
    request.max_keys = static_cast<int>(std::min<size_t>(1000, max_keys - count + 1));
    ListObjectsResult result = client_->list_objects(bucket_, request);
    // Objects and common prefixes arrive as two sorted lists; the page is their merge.
    size_t o = 0;
    size_t p = 0;
    while (o < result.objects.size() || p < result.common_prefixes.size()) {
      bool take_object =
          p == result.common_prefixes.size() ||
          (o < result.objects.size() && result.objects[o].key < result.common_prefixes[p]);
      std::string key = relative(take_object ? result.objects[o].key : result.common_prefixes[p],
                                 prefix_);
      uint64_t size = take_object ? result.objects[o].size : 0;
      take_object ? ++o : ++p;
      if (!token.empty() && (key <= token || (skip_group && key.starts_with(token)))) continue;
      if (page.objects.size() + page.common_prefixes.size() == max_keys) {
        more = true;
        break;
      }
      last = key;
      if (take_object) {
        ObjectInfo info;
        info.key = std::move(key);
        info.size = size;
        page.objects.push_back(std::move(info));
      } else {
        page.common_prefixes.push_back(std::move(key));
      }
    }
    if (more || !result.truncated) break;
    request.continuation_token = result.next_continuation_token;
    request.start_after.clear();
  }
  if (more) page.next_token = last;
  return page;
}

void S3Store::remove(std::string_view key) { client_->delete_object(bucket_, full_key(key)); }

ObjectInfo S3Store::copy(std::string_view from, std::string_view to) {
  std::string source = full_key(from);
  std::string destination = full_key(to);
  PutResult result = client_->copy_object(bucket_, source, std::nullopt, bucket_, destination);
  ObjectInfo info;
  info.key = std::string(to);
  info.size = result.size;
  info.version_id = result.version_id;
  return info;
}

std::unique_ptr<S3Store> open_s3_store(std::string_view url, const ConfigOverrides& overrides) {
  if (!url.starts_with("s3://")) throw InvalidArgument("not an s3:// URL: '" + std::string(url) + "'");
  std::string_view rest = url.substr(5);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    throw InvalidArgument("S3 store URL '" + std::string(url) +
                          "' must be s3://BUCKET[/PREFIX] without a query or fragment");
  }
  size_t slash = rest.find('/');
  std::string bucket(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  if (bucket.empty()) throw InvalidArgument("S3 store URL '" + std::string(url) + "' has no bucket");
  validate_bucket_name(bucket);
  // The shared client, unless the caller brings its own overrides.
  std::shared_ptr<Client> client =
      overrides.profile || overrides.endpoint_url || overrides.region || overrides.addressing ||
              overrides.anonymous || overrides.conditional_writes
          ? std::make_shared<Client>(resolve_config(with_bucket_settings(bucket, overrides)))
          : client_for_bucket(bucket);
  return std::make_unique<S3Store>(std::move(client), std::move(bucket), std::move(prefix));
}

}  // namespace quilt::s3
