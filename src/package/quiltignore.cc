#include "package/quiltignore.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/unique_fd.h"
#include "core/utf8.h"
#include "quilt/errors.h"

namespace quilt::detail {
namespace {

std::string read_all(const std::string& path) {
  UniqueFd fd = UniqueFd::open(path, O_RDONLY);
  std::string text;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", path, errno);
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

IgnoreRules IgnoreRules::parse(std::string_view text, std::string_view source) {
  if (!is_valid_utf8(text)) {
    throw InvalidArgument("'" + escape_for_message(source) + "' is not valid UTF-8");
  }
  IgnoreRules rules;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    bool anchored = line.front() == '/';
    std::string glob = anchored ? std::string(line.substr(1)) : "*/" + std::string(line);
    if (glob.empty()) continue;  // "/" alone names the root, which is never ignored
    rules.rules_.push_back(Rule{FnPattern(glob), anchored});
  }
  return rules;
}

std::optional<IgnoreRules> IgnoreRules::load(const std::string& dir) {
  std::string path = dir + "/.quiltignore";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    // A dangling link is no file, as for quilt3's Path.exists().
    if (errno == ENOENT) return std::nullopt;
    throw_io_error("cannot read", path, errno);
  }
  return parse(read_all(path), path);
}

bool IgnoreRules::matches(const Rule& rule, std::string_view relative, bool trailing_slash) const {
  std::string candidate;
  candidate.reserve(relative.size() + 2);
  if (!rule.anchored) candidate.push_back('/');
  candidate.append(relative);
  if (trailing_slash) candidate.push_back('/');
  return rule.glob.matches(candidate);
}

bool IgnoreRules::ignores_file(std::string_view relative) const {
  for (const Rule& rule : rules_) {
    if (matches(rule, relative, false)) return true;
  }
  return false;
}

bool IgnoreRules::ignores_dir(std::string_view relative) const {
  for (const Rule& rule : rules_) {
    if (matches(rule, relative, true) || matches(rule, relative, false)) return true;
  }
  return false;
}

}  // namespace quilt::detail
