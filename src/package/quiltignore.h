#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "package/fnmatch.h"

namespace quilt::detail {

/// The rules of a `.quiltignore` file, applied as quilt3 applies them
/// (quilt3.util.quiltignore_filter), with the differences noted:
///   - one pattern per line ('\n'; a trailing '\r' is dropped, quilt3 keeps it);
///     blank lines and lines starting with `#` are skipped (quilt3 skips only
///     empty lines, and matches `# x` against file names literally);
///   - quilt3 matches `"*/" + pattern` with fnmatch against the absolute path.
///     Here the same glob is matched against "/" + the path relative to the
///     root, so a pattern cannot reach above the root (in quilt3 `tmp*` ignores
///     everything when the root is /tmp/x). A pattern matches at any depth, and
///     `*` crosses `/`: `*.log` ignores every .log file; `a/*.tmp` ignores
///     x/a/b/c.tmp too;
///   - a pattern starting with `/` is anchored at the root (`/build` ignores
///     build/ at the root only). quilt3 prefixes "*/" and so never matches it;
///   - a directory matches when its path, or its path followed by `/`, matches;
///     it is then skipped whole. A file matches on its path alone, so a pattern
///     ending in `/` ignores directories only;
///   - no negation: `!x` matches a name starting with "!" (as in quilt3).
/// A plain value; const methods are thread-safe.
class IgnoreRules {
 public:
  IgnoreRules() = default;

  /// Parse the text of a `.quiltignore`. Throws InvalidArgument naming
  /// `source` when the text is not UTF-8 (quilt3 reads it as UTF-8).
  static IgnoreRules parse(std::string_view text, std::string_view source);
  /// Read `<dir>/.quiltignore` (following a symbolic link); nullopt when there
  /// is none. Throws IoError naming it when it exists but cannot be read.
  static std::optional<IgnoreRules> load(const std::string& dir);

  /// Return whether the file at `relative` ('/'-separated, below the root) is ignored.
  bool ignores_file(std::string_view relative) const;
  /// Return whether the directory at `relative` is ignored, with all below it.
  bool ignores_dir(std::string_view relative) const;
  bool empty() const noexcept { return rules_.empty(); }

 private:
  struct Rule {
    FnPattern glob;  // "*/" + pattern, or the anchored pattern without its '/'
    bool anchored = false;
  };
  bool matches(const Rule& rule, std::string_view relative, bool trailing_slash) const;

  std::vector<Rule> rules_;
};

}  // namespace quilt::detail
