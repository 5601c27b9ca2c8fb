#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace quilt::cli {
namespace {

bool want_progress() {
  const char* minimize = std::getenv("QUILT_MINIMIZE_STDOUT");
  bool minimized = minimize != nullptr && *minimize != '\0' && std::string(minimize) != "0" &&
                   std::string(minimize) != "false";
  return !minimized && ::isatty(STDERR_FILENO) == 1;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, uint64_t total_files, uint64_t total_bytes)
    : label_(std::move(label)),
      total_files_(total_files),
      total_bytes_(total_bytes),
      enabled_(want_progress()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::add(uint64_t files, uint64_t bytes) {
  files_ += files;
  bytes_ += bytes;
  if (enabled_) draw(false);
}

void ProgressBar::draw(bool force) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is drawing
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  uint64_t bytes = bytes_.load();
  uint64_t files = files_.load();
  double fraction = total_bytes_ > 0 ? static_cast<double>(bytes) / static_cast<double>(total_bytes_)
                    : total_files_ > 0 ? static_cast<double>(files) / static_cast<double>(total_files_)
                                       : 1.0;
  constexpr int kWidth = 24;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(std::min(filled, kWidth)), '#');
  bar.resize(kWidth, ' ');
  std::fprintf(stderr, "\r%s [%s] %3.0f%%  %llu/%llu files  %s/s  %.0f files/s ", label_.c_str(),
               bar.c_str(), fraction * 100, static_cast<unsigned long long>(files),
               static_cast<unsigned long long>(total_files_),
               human_bytes(seconds > 0 ? static_cast<double>(bytes) / seconds : 0).c_str(),
               seconds > 0 ? static_cast<double>(files) / seconds : 0.0);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  std::lock_guard lock(mu_);
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace quilt::cli
