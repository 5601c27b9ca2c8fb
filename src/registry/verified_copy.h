#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "quilt/manifest.h"

namespace quilt {

/// Read the local bytes behind `entry` and pass them to `sink` while hashing
/// them; throw Corrupt naming the key when the size or hash differs from the
/// entry's (the caller then discards what the sink received), IoError when
/// the file cannot be read, InvalidArgument for a non-local physical key.
void copy_verified(const ManifestEntry& entry,
                   const std::function<void(std::span<const uint8_t>)>& sink);

}  // namespace quilt
