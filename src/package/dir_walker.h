#pragma once

#include <string>
#include <vector>

namespace quilt::detail {

class IgnoreRules;

/// One regular file found below a walked directory.
struct WalkedFile {
  /// The path below the root, '/'-separated (the logical key below the prefix).
  std::string relative;
  /// Where to read the bytes: root + "/" + relative for a regular file; the
  /// real path (realpath(3)) of the target for a symbolic link to a file.
  std::string path;
};

struct WalkOptions {
  /// Files and directories these rules ignore are skipped (nullptr: none).
  const IgnoreRules* ignore = nullptr;
  /// When false, a file name that is not UTF-8 is refused with InvalidArgument
  /// naming the path (bytes escaped); when true it is reported as it is.
  bool allow_non_utf8 = false;
};

/// The real path (realpath(3)) of the directory given to set_dir: a local path (`~` expanded)
/// or a file:// URL. InvalidArgument for an empty one, another scheme or a file; IoError
/// naming it when it cannot be resolved.
std::string real_directory(const std::string& dir);

/// Return every regular file below `root`, sorted by `relative` (byte order),
/// as quilt3's `Path.rglob("*")` + `is_file()` finds them: hidden files too;
/// a symbolic link to a regular file is taken (with its target's real path),
/// a link to a directory is not descended, and a dangling or looping link,
/// a FIFO, socket or device is skipped. The check for UTF-8 names applies to
/// files that are taken (an ignored file may have any name).
/// `root` should be absolute and free of symbolic links when the paths serve as
/// physical keys (set_dir passes its realpath), since they are root + relative.
/// Throws IoError naming the directory that cannot be opened or read (quilt3
/// skips unreadable directories silently; losing files silently is worse).
/// Thread-safe (no shared state).
std::vector<WalkedFile> walk_directory(const std::string& root, const WalkOptions& options);

}  // namespace quilt::detail
