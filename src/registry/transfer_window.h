#pragma once

// A bound on the asynchronous transfers a registry operation has started and not seen end:
// how many (each holds a request in the engine's queue, and an open file or a buffer) and how
// many bytes (the bodies held in memory), so that pushing or installing 100,000 files never
// holds 100,000 of them at once. Also lets the operation wait for the last one to end, which it
// must before anything the callbacks refer to goes away.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace quilt {

/// At most this many transfers, and bytes, started and not ended.
inline constexpr size_t kMaxTransfersStarted = 256;
inline constexpr uint64_t kMaxBytesStarted = uint64_t{256} << 20;
/// Objects up to this size go through the S3 transfer engine in one request (the multipart
/// threshold of S3Store: larger ones keep its multipart writer and ranged reads).
inline constexpr uint64_t kEngineMaxObject = uint64_t{8} << 20;

class TransferWindow {
 public:
  TransferWindow(size_t max_transfers = kMaxTransfersStarted, uint64_t max_bytes = kMaxBytesStarted)
      : max_transfers_(max_transfers), max_bytes_(max_bytes) {}
  /// Waits for the transfers still running: callbacks may refer to the owner's locals.
  ~TransferWindow() { wait_all(); }
  TransferWindow(const TransferWindow&) = delete;
  TransferWindow& operator=(const TransferWindow&) = delete;

  /// Wait until one more transfer of `bytes` fits (one always does when none is running),
  /// then count it as started.
  void begin(uint64_t bytes) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] {
      return running_ == 0 || (running_ < max_transfers_ && bytes_ + bytes <= max_bytes_);
    });
    ++running_;
    bytes_ += bytes;
  }
  /// A transfer begun with `bytes` ended (call it last in its callback).
  void end(uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    bytes_ -= bytes;
    cv_.notify_all();
  }
  /// Wait until every transfer begun has ended.
  void wait_all() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return running_ == 0; });
  }

 private:
  const size_t max_transfers_;
  const uint64_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t running_ = 0;  // guarded by mutex_
  uint64_t bytes_ = 0;  // guarded by mutex_
};

}  // namespace quilt
