#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace quilt::cli {

/// A one-line progress bar on stderr for long work: files and bytes done of
/// a total, with bytes/s and files/s. Drawn only when stderr is a terminal
/// and QUILT_MINIMIZE_STDOUT is not set; at most ten times a second.
/// Thread-safe: add() may be called from any thread.
class ProgressBar {
 public:
  ProgressBar(std::string label, uint64_t total_files, uint64_t total_bytes);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void add(uint64_t files, uint64_t bytes);
  /// Erase the bar (the destructor does it too).
  void finish();

 private:
  void draw(bool force);

  const std::string label_;
  const uint64_t total_files_;
  const uint64_t total_bytes_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<uint64_t> files_{0};
  std::atomic<uint64_t> bytes_{0};
  std::mutex mu_;  // guards drawing and last_draw_
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

}  // namespace quilt::cli
