#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "quilt/manifest.h"

namespace quilt {

/// Read the bytes behind `entry` (a local file, or an S3 object and the
/// version its key names) and pass them to `sink` while hashing them; throw
/// Corrupt naming the key when the size or hash differs from the entry's (the
/// caller then discards what the sink received), IoError when a file cannot be
/// read, NotFound/RemoteError from S3, InvalidArgument for other schemes.
void copy_verified(const ManifestEntry& entry,
                   const std::function<void(std::span<const uint8_t>)>& sink);

}  // namespace quilt
