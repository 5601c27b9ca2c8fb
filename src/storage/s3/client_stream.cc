// PutObject with a body read while it is sent (Client::put_object_stream): the bytes come
// from a ChunkSource, and a signed request frames them aws-chunked, each chunk signed over the
// SHA-256 the source already computed.

#include <algorithm>
#include <cstring>
#include <optional>

#include "quilt/errors.h"
#include "storage/s3/client.h"
#include "storage/s3/client_internal.h"

namespace quilt::s3 {

using namespace internal;

namespace {

// A source's chunk must be whole: every one chunk_size() bytes but the last.
void check_chunk(const ChunkSource::Chunk& chunk, uint64_t want) {
  if (chunk.bytes.size() != want) {
    throw Error("upload body: a chunk of " + std::to_string(chunk.bytes.size()) +
                " bytes where " + std::to_string(want) + " were due");
  }
}

// Turns a ChunkSource into the bytes of one attempt's body. Without a signer the chunks go out
// as they are; with one, each is framed "<size>;chunk-signature=<sig>\r\n<data>\r\n" and an
// empty chunk ends the body.
class StreamBody {
 public:
  StreamBody(ChunkSource& source, uint64_t length) : source_(source), length_(length) {}

  // Start over for an attempt, signed from `signer` (none: unsigned).
  void restart(std::optional<ChunkSigner> signer) {
    signer_ = std::move(signer);
    source_.rewind();
    taken_ = 0;
    head_.clear();
    data_ = {};
    tail_.clear();
    ended_ = false;
  }

  size_t read(std::span<uint8_t> out) {
    size_t done = 0;
    while (done < out.size()) {
      if (head_.empty() && data_.empty() && tail_.empty() && !refill()) break;
      done += drain(head_, out.subspan(done));
      if (!head_.empty()) continue;
      size_t n = std::min(data_.size(), out.size() - done);
      std::memcpy(out.data() + done, data_.data(), n);
      data_ = data_.subspan(n);
      done += n;
      if (!data_.empty()) continue;
      done += drain(tail_, out.subspan(done));
    }
    return done;
  }

 private:
  static size_t drain(std::string& text, std::span<uint8_t> out) {
    size_t n = std::min(text.size(), out.size());
    std::memcpy(out.data(), text.data(), n);
    text.erase(0, n);
    return n;
  }

  // Queue the next chunk; false at the end of the body.
  bool refill() {
    if (ended_) return false;
    if (taken_ == length_) {
      ended_ = true;
      if (!signer_) return false;
      head_ = chunk_header(0, signer_->next(kEmptyPayloadHash));
      tail_ = "\r\n";
      return true;
    }
    ChunkSource::Chunk chunk = source_.next();
    check_chunk(chunk, std::min(source_.chunk_size(), length_ - taken_));
    taken_ += chunk.bytes.size();
    // The whole body is checked before its last bytes are handed over: a failure leaves the
    // server with a short body, and no object.
    if (taken_ == length_) source_.finish();
    data_ = chunk.bytes;
    if (signer_) {
      head_ = chunk_header(chunk.bytes.size(), signer_->next(chunk.sha256_hex));
      tail_ = "\r\n";
    }
    return true;
  }

  ChunkSource& source_;
  uint64_t length_;
  std::optional<ChunkSigner> signer_;
  uint64_t taken_ = 0;
  std::string head_;
  std::span<const uint8_t> data_;
  std::string tail_;
  bool ended_ = false;
};

}  // namespace

PutResult Client::put_object_stream(const std::string& bucket, const std::string& key,
                                    uint64_t length, ChunkSource& source,
                                    const PutOptions& options) {
  if (length > kMaxSinglePut) {
    throw InvalidArgument("PutObject " + s3_url(bucket, key) + ": " + std::to_string(length) +
                          " bytes is more than one request may carry (5 GiB); use multipart");
  }
  if (source.chunk_size() < (uint64_t{8} << 10)) {
    throw InvalidArgument("PutObject " + s3_url(bucket, key) + ": chunks of " +
                          std::to_string(source.chunk_size()) + " bytes; S3 wants 8 KiB or more");
  }
  if (length <= source.chunk_size()) {
    // One chunk is the whole body: its SHA-256 is the payload hash, and it is checked before
    // anything is sent. (RGW 16 also refuses an empty aws-chunked body.)
    source.rewind();
    ChunkSource::Chunk chunk;
    if (length > 0) chunk = source.next();
    check_chunk(chunk, length);
    source.finish();
    PutOptions one = options;
    one.payload_sha256 = length > 0 ? chunk.sha256_hex : std::string(kEmptyPayloadHash);
    return put_object(bucket, key, chunk.bytes, one);
  }
  Call call = put_call(bucket, key, {}, options);
  bool signed_body = config_.credentials.has_value();
  StreamBody body(source, length);
  BodySource stream;
  if (signed_body) {
    call.payload_hash = std::string(kStreamingPayload);
    call.headers.emplace_back("Content-Encoding", "aws-chunked");
    call.headers.emplace_back("x-amz-decoded-content-length", std::to_string(length));
    stream.length = aws_chunked_length(length, source.chunk_size());
  } else {
    stream.length = length;
  }
  stream.read = [&](std::span<uint8_t> out) { return body.read(out); };
  // Runs after prepare() signed the attempt: the chunk signatures chain from its signature.
  stream.rewind = [&] {
    std::optional<ChunkSigner> signer;
    if (signed_body) {
      signer.emplace(*config_.credentials, SigningScope{config_.region, "s3", call.amz_date},
                     call.signature);
    }
    body.restart(std::move(signer));
  };
  call.source = &stream;
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  return put_result(response, length);
}

}  // namespace quilt::s3
