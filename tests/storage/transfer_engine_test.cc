// The S3 transfer engine (storage/s3/transfer_engine.h) and the client's asynchronous calls
// against the real S3 server: many small objects in flight at once on one thread, retries of
// throttling, 500s, cut responses and dropped connections through the fault proxy, a
// permanent failure that leaves the other transfers alone, and sinks that throw.

#include "storage/s3/transfer_engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "fault_proxy.h"
#include "quilt/errors.h"
#include "s3_fixture.h"
#include "storage/s3/client.h"
#include "test_util.h"

namespace quilt::s3 {
namespace {

using test::Fault;
using test::FaultProxy;

int port_of(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

// Distinct bytes for object `i` (a size that varies, so a mixed-up body shows).
std::vector<uint8_t> body_of(size_t i, size_t size) {
  std::vector<uint8_t> out;
  out.reserve(size + i % 7);
  for (size_t j = 0; j < size + i % 7; ++j) {
    out.push_back(static_cast<uint8_t>((j * 131 + i * 17) >> 3));
  }
  return out;
}

// Counts callbacks down and records the thread they ran on.
class Latch {
 public:
  explicit Latch(size_t n) : left_(n) {}
  void done() {
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.insert(std::this_thread::get_id());
    if (--left_ == 0) cv_.notify_all();
  }
  // Wait at most a minute: a lost callback fails the test rather than hanging it.
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return left_ == 0; });
  }
  std::set<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t left_;
  std::set<std::thread::id> threads_;
};

class TransferEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = test::s3_env_for_test();
    if (env_ == nullptr) return;
    admin_ = test::s3_client(*env_);
    prefix_ = test::unique_s3_prefix() + "/";
  }
  void TearDown() override {
    if (admin_ == nullptr) return;
    try {
      test::s3_delete_prefix(*admin_, env_->bucket, prefix_);
    } catch (...) {
    }
  }
  // A client of the test server (or of `endpoint`), `concurrency` transfers at once, fast
  // retries.
  std::unique_ptr<Client> client(int concurrency, const std::string& endpoint = "") {
    ClientConfig config = test::s3_config(*env_);
    if (!endpoint.empty()) config.endpoint = endpoint;
    HttpOptions http;
    http.max_concurrency = concurrency;
    RetryOptions retry;
    retry.max_attempts = 5;
    retry.base_delay_ms = 5;
    retry.max_delay_ms = 50;
    return std::make_unique<Client>(config, http, retry);
  }
  // Put objects 0..n-1 through `c` asynchronously; return each one's error (null: written).
  std::vector<std::exception_ptr> put_all(Client& c, size_t n, size_t size,
                                          const std::string& name = "obj") {
    std::vector<std::exception_ptr> errors(n);
    Latch latch(n);
    for (size_t i = 0; i < n; ++i) {
      auto body = std::make_shared<const std::vector<uint8_t>>(body_of(i, size));
      PutOptions options;
      options.metadata = {{"index", std::to_string(i)}};
      c.put_object_async(
          env_->bucket, key(name, i), body, options,
          [&, i, expected = body->size()](AsyncResult<PutResult> result) {
            if (result.error) {
              errors[i] = result.error;
            } else if (result.value->size != expected || result.value->etag.empty()) {
              errors[i] = std::make_exception_ptr(std::runtime_error("bad PutResult"));
            }
            latch.done();
          });
    }
    EXPECT_TRUE(latch.wait());
    return errors;
  }
  // Get objects 0..n-1 through `c` asynchronously into strings.
  std::vector<std::string> get_all(Client& c, size_t n, std::vector<std::exception_ptr>& errors,
                                   const std::string& name = "obj") {
    std::vector<std::string> bodies(n);
    errors.assign(n, nullptr);
    Latch latch(n);
    for (size_t i = 0; i < n; ++i) {
      BodySink sink = [&bodies, i](std::span<const uint8_t> bytes) {
        bodies[i].append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      };
      c.get_object_async(
          env_->bucket, key(name, i), {}, sink, [&, i](AsyncResult<ObjectMeta> result) {
            if (result.error) {
              errors[i] = result.error;
            } else if (result.value->size != bodies[i].size()) {
              errors[i] = std::make_exception_ptr(std::runtime_error("meta size differs"));
            }
            latch.done();
          });
    }
    EXPECT_TRUE(latch.wait());
    return bodies;
  }
  std::string key(const std::string& name, size_t i) const {
    return prefix_ + name + "/" + std::to_string(i);
  }
  static std::string as_string(const std::vector<uint8_t>& bytes) {
    return std::string(bytes.begin(), bytes.end());
  }
  static std::string message_of(std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  const test::S3TestEnv* env_ = nullptr;
  std::shared_ptr<Client> admin_;
  std::string prefix_;
};

TEST_F(TransferEngineTest, HundredsOfSmallObjectsInFlightAtOnceOnOneThread) {
  constexpr size_t kObjects = 400;
  std::unique_ptr<Client> c = client(64);
  std::vector<std::exception_ptr> errors = put_all(*c, kObjects, 4096);
  for (size_t i = 0; i < kObjects; ++i) ASSERT_FALSE(errors[i]) << message_of(errors[i]);
  TransferEngine::Stats after_put = c->engine().stats();
  // Far more than the 16 blocking transfers the registry used to run, on one thread, over a
  // pool of handles (and connections) that is reused rather than one per request.
  EXPECT_GT(after_put.peak_in_flight, 16u);
  EXPECT_LE(after_put.peak_in_flight, 64u);
  EXPECT_LE(after_put.handles, 64u);
  EXPECT_EQ(after_put.completed, kObjects);

  std::vector<std::string> bodies = get_all(*c, kObjects, errors);
  for (size_t i = 0; i < kObjects; ++i) {
    ASSERT_FALSE(errors[i]) << message_of(errors[i]);
    ASSERT_EQ(bodies[i], as_string(body_of(i, 4096))) << "object " << i;
  }
  EXPECT_GT(c->engine().stats().peak_in_flight, 16u);

  // The bytes are where the blocking client finds them, with their metadata.
  std::optional<ObjectMeta> meta = admin_->head_object(env_->bucket, key("obj", 123));
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->meta("index"), "123");
  EXPECT_EQ(admin_->get_object_bytes(env_->bucket, key("obj", 5)), as_string(body_of(5, 4096)));

  // HEAD: found, missing key (no value), missing bucket (NotFound), as head_object().
  std::promise<AsyncResult<std::optional<ObjectMeta>>> found, missing, no_bucket;
  c->head_object_async(env_->bucket, key("obj", 7), {},
                       [&](auto r) { found.set_value(std::move(r)); });
  c->head_object_async(env_->bucket, key("absent", 0), {},
                       [&](auto r) { missing.set_value(std::move(r)); });
  c->head_object_async("quilt-no-such-bucket-" + std::to_string(::getpid()), "k", {},
                       [&](auto r) { no_bucket.set_value(std::move(r)); });
  std::optional<ObjectMeta> found_meta = found.get_future().get().get();
  ASSERT_TRUE(found_meta);
  EXPECT_EQ(found_meta->size, body_of(7, 4096).size());
  EXPECT_EQ(found_meta->meta("index"), "7");
  EXPECT_FALSE(missing.get_future().get().get());
  std::string message = test::error_of<NotFound>([&] { no_bucket.get_future().get().get(); });
  EXPECT_TRUE(test::contains(message, "no such bucket")) << message;
}

TEST_F(TransferEngineTest, RangesAndZeroLengthReadsBehaveAsTheBlockingCalls) {
  std::unique_ptr<Client> c = client(8);
  ASSERT_FALSE(put_all(*c, 1, 10000)[0]);
  std::string whole = as_string(body_of(0, 10000));
  auto get = [&](GetOptions options) {
    std::string out;
    std::promise<AsyncResult<ObjectMeta>> done;
    c->get_object_async(
        env_->bucket, key("obj", 0), options,
        [&](std::span<const uint8_t> b) {
          out.append(reinterpret_cast<const char*>(b.data()), b.size());
        },
        [&](AsyncResult<ObjectMeta> r) { done.set_value(std::move(r)); });
    ObjectMeta meta = done.get_future().get().get();
    EXPECT_EQ(meta.size, whole.size());
    return out;
  };
  auto range = [](uint64_t offset, std::optional<uint64_t> length) {
    GetOptions options;
    options.offset = offset;
    options.length = length;
    return options;
  };
  EXPECT_EQ(get(range(100, 50)), whole.substr(100, 50));
  EXPECT_EQ(get(range(9000, std::nullopt)), whole.substr(9000));
  EXPECT_EQ(get(range(20000, std::nullopt)), "");  // past the end: no bytes, no error
  EXPECT_EQ(get(range(0, 0)), "");
  std::promise<AsyncResult<ObjectMeta>> missing;
  c->get_object_async(
      env_->bucket, key("absent", 1), {}, [](std::span<const uint8_t>) {},
      [&](AsyncResult<ObjectMeta> r) { missing.set_value(std::move(r)); });
  std::string message = test::error_of<NotFound>([&] { missing.get_future().get().get(); });
  EXPECT_TRUE(test::contains(message, "s3://" + env_->bucket + "/" + key("absent", 1))) << message;
}

// Fault the first sight of every other distinct request line (its retry passes), cycling
// through throttling, a 500, a response cut off half-way and a dropped connection.
std::function<Fault(int, const std::string&)> every_other_request(std::map<Fault, int>& counts,
                                                                  std::mutex& mutex) {
  auto seen = std::make_shared<std::set<std::string>>();
  auto n = std::make_shared<int>(0);
  return [&counts, &mutex, seen, n](int, const std::string& head) {
    std::string line = head.substr(0, head.find("\r\n"));
    // A resumed GET repeats its line with a Range: fault only the first sight of a line.
    std::lock_guard<std::mutex> lock(mutex);
    if (!seen->insert(line).second) return Fault::kNone;
    int k = (*n)++;
    if (k % 2 != 0) return Fault::kNone;
    static const Fault kinds[] = {Fault::kSlowDown, Fault::kInternalError, Fault::kCutResponse,
                                  Fault::kHangUp};
    Fault fault = kinds[(k / 2) % 4];
    ++counts[fault];
    return fault;
  };
}

TEST_F(TransferEngineTest, ThrottlingErrorsCutResponsesAndDropsAreRetriedAndBytesAreWhole) {
  std::map<Fault, int> counts;
  std::mutex mutex;
  FaultProxy proxy(port_of(env_->endpoint), every_other_request(counts, mutex));
  std::unique_ptr<Client> c = client(32, proxy.endpoint());
  constexpr size_t kObjects = 80;
  // 64 KiB bodies: a GET cut off half-way has delivered bytes, and must resume, not restart.
  std::vector<std::exception_ptr> errors = put_all(*c, kObjects, 64 << 10);
  for (size_t i = 0; i < kObjects; ++i) ASSERT_FALSE(errors[i]) << message_of(errors[i]);
  std::vector<std::string> bodies = get_all(*c, kObjects, errors);
  for (size_t i = 0; i < kObjects; ++i) {
    ASSERT_FALSE(errors[i]) << message_of(errors[i]);
    ASSERT_EQ(bodies[i], as_string(body_of(i, 64 << 10))) << "object " << i;
  }
  std::lock_guard<std::mutex> lock(mutex);
  for (Fault fault :
       {Fault::kSlowDown, Fault::kInternalError, Fault::kCutResponse, Fault::kHangUp}) {
    EXPECT_GE(counts[fault], 5) << "fault kind " << static_cast<int>(fault);
  }
  // Read back without the proxy: what the server holds is whole too.
  EXPECT_EQ(admin_->get_object_bytes(env_->bucket, key("obj", 42)),
            as_string(body_of(42, 64 << 10)));
}

TEST_F(TransferEngineTest, PermanentFailureNamesItsKeyAndLeavesTheOthersAlone) {
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string& head) {
    return head.find("/obj/13 ") != std::string::npos ? Fault::kInternalError : Fault::kNone;
  });
  std::unique_ptr<Client> c = client(16, proxy.endpoint());
  constexpr size_t kObjects = 40;
  std::vector<std::exception_ptr> errors = put_all(*c, kObjects, 2048);
  for (size_t i = 0; i < kObjects; ++i) {
    if (i == 13) continue;
    EXPECT_FALSE(errors[i]) << i << ": " << message_of(errors[i]);
    EXPECT_EQ(admin_->get_object_bytes(env_->bucket, key("obj", i)), as_string(body_of(i, 2048)));
  }
  ASSERT_TRUE(errors[13]);
  std::string message = test::error_of<RemoteError>([&] { std::rethrow_exception(errors[13]); });
  EXPECT_TRUE(test::contains(message, "PutObject s3://" + env_->bucket + "/" + key("obj", 13)))
      << message;
  EXPECT_TRUE(test::contains(message, "HTTP 500 InternalError")) << message;
  EXPECT_FALSE(admin_->head_object(env_->bucket, key("obj", 13)));

  // A connection that always drops is a TransportError after the last attempt, naming the key
  // and the count of attempts, as the blocking client says it.
  FaultProxy drops(port_of(env_->endpoint), [](int, const std::string& head) {
    return head.find("/obj/3 ") != std::string::npos ? Fault::kHangUp : Fault::kNone;
  });
  std::unique_ptr<Client> d = client(16, drops.endpoint());
  std::vector<std::string> bodies = get_all(*d, 10, errors);
  for (size_t i = 0; i < 10; ++i) {
    if (i == 3) continue;
    EXPECT_FALSE(errors[i]) << message_of(errors[i]);
    EXPECT_EQ(bodies[i], as_string(body_of(i, 2048)));
  }
  ASSERT_TRUE(errors[3]);
  message = test::error_of<TransportError>([&] { std::rethrow_exception(errors[3]); });
  EXPECT_TRUE(test::contains(
      message, "GetObject s3://" + env_->bucket + "/" + key("obj", 3) + " failed after 5 attempts"))
      << message;
}

TEST_F(TransferEngineTest, SinkThatThrowsEndsOnlyItsOwnTransferAndIsNotRetried) {
  std::unique_ptr<Client> c = client(8);
  for (std::exception_ptr& error : put_all(*c, 12, 100000))
    ASSERT_FALSE(error) << message_of(error);
  std::vector<std::exception_ptr> errors(12);
  std::vector<std::string> bodies(12);
  std::atomic<int> calls_of_thrower{0};
  Latch latch(12);
  for (size_t i = 0; i < 12; ++i) {
    BodySink sink = [&, i](std::span<const uint8_t> bytes) {
      if (i == 4) {
        ++calls_of_thrower;
        throw std::length_error("disk full at object 4");
      }
      bodies[i].append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    };
    c->get_object_async(env_->bucket, key("obj", i), {}, sink, [&, i](AsyncResult<ObjectMeta> r) {
      errors[i] = r.error;
      latch.done();
    });
  }
  ASSERT_TRUE(latch.wait());
  // Exactly what the sink threw, once: no retry of the caller's own failure.
  EXPECT_EQ(calls_of_thrower.load(), 1);
  std::string message =
      test::error_of<std::length_error>([&] { std::rethrow_exception(errors[4]); });
  EXPECT_EQ(message, "disk full at object 4");
  for (size_t i = 0; i < 12; ++i) {
    if (i == 4) continue;
    EXPECT_FALSE(errors[i]) << message_of(errors[i]);
    EXPECT_EQ(bodies[i], as_string(body_of(i, 100000)));
  }
  // The engine goes on after it.
  std::vector<std::exception_ptr> again;
  std::vector<std::string> reread = get_all(*c, 12, again);
  EXPECT_FALSE(again[4]);
  EXPECT_EQ(reread[4], as_string(body_of(4, 100000)));
}

TEST_F(TransferEngineTest, CallbacksRunOnTheEngineThreadAndTheEngineStopsCleanly) {
  std::unique_ptr<Client> c = client(4);
  Latch latch(50);
  std::vector<std::exception_ptr> errors(50);
  for (size_t i = 0; i < 50; ++i) {
    c->put_object_async(env_->bucket, key("t", i),
                        std::make_shared<const std::vector<uint8_t>>(body_of(i, 10)), {},
                        [&, i](AsyncResult<PutResult> r) {
                          errors[i] = r.error;
                          latch.done();
                        });
  }
  ASSERT_TRUE(latch.wait());
  std::set<std::thread::id> threads = latch.threads();
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(c->engine().stats().peak_in_flight, 4u);

  // Destroying the client with requests queued ends each with an error, none is lost.
  std::atomic<int> ended{0};
  for (size_t i = 0; i < 40; ++i) {
    c->put_object_async(env_->bucket, key("late", i),
                        std::make_shared<const std::vector<uint8_t>>(body_of(i, 10)), {},
                        [&](AsyncResult<PutResult> r) {
                          // Written, or stopped: never anything else.
                          if (r.error) {
                            EXPECT_TRUE(test::contains(message_of(r.error), "shut down"));
                          }
                          ++ended;
                        });
  }
  c.reset();
  EXPECT_EQ(ended.load(), 40);
}

TEST_F(TransferEngineTest, HttpsWithTheBucketsCaAndACertificateRefusedAtOnce) {
  ClientConfig config = test::s3_config(*env_);
  config.endpoint = env_->https_endpoint;
  config.ca_bundle = env_->ca_file;
  Client tls(config);
  std::vector<std::exception_ptr> errors = put_all(tls, 30, 20000);
  for (std::exception_ptr& error : errors) ASSERT_FALSE(error) << message_of(error);
  std::vector<std::string> bodies = get_all(tls, 30, errors);
  for (size_t i = 0; i < 30; ++i) {
    ASSERT_FALSE(errors[i]) << message_of(errors[i]);
    EXPECT_EQ(bodies[i], as_string(body_of(i, 20000)));
  }
  // Without the proxy's CA the certificate is refused, at once (no retries), as blocking.
  config.ca_bundle.clear();
  Client untrusting(config);
  std::promise<AsyncResult<std::optional<ObjectMeta>>> head;
  untrusting.head_object_async(env_->bucket, key("obj", 0), {},
                               [&](auto r) { head.set_value(std::move(r)); });
  std::string message = test::error_of<TransportError>([&] { head.get_future().get().get(); });
  EXPECT_TRUE(test::contains(message, "after 1 attempt")) << message;
}

TEST(TransferEngineOptionsTest, ConcurrencyComesFromTheEnvironmentAndIsChecked) {
  {
    test::ScopedEnv env("QUILT_S3_MAX_CONCURRENCY", "200");
    EXPECT_EQ(http_options_from_environment().max_concurrency, 200);
  }
  {
    test::ScopedEnv env("QUILT_S3_MAX_CONCURRENCY", std::nullopt);
    EXPECT_EQ(http_options_from_environment().max_concurrency, 64);
  }
  for (const char* bad : {"0", "-3", "12x", "100000"}) {
    test::ScopedEnv env("QUILT_S3_MAX_CONCURRENCY", bad);
    std::string message = test::error_of<InvalidArgument>([] { http_options_from_environment(); });
    EXPECT_TRUE(test::contains(message, "QUILT_S3_MAX_CONCURRENCY='" + std::string(bad) + "'"))
        << message;
  }
  HttpOptions zero;
  zero.max_concurrency = 0;
  EXPECT_THROW(TransferEngine engine(zero), InvalidArgument);
}

}  // namespace
}  // namespace quilt::s3
