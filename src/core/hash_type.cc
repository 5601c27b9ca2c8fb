#include <string>

#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/hash.h"

namespace quilt {
namespace {

constexpr HashType kAllTypes[] = {HashType::kSha2256Chunked, HashType::kSha256,
                                  HashType::kCrc64Nvme};

}  // namespace

std::string_view hash_type_name(HashType type) noexcept {
  switch (type) {
    case HashType::kSha256:
      return "SHA256";
    case HashType::kSha2256Chunked:
      return "sha2-256-chunked";
    case HashType::kCrc64Nvme:
      return "CRC64NVME";
  }
  return "unknown";
}

HashType parse_hash_type(std::string_view name) {
  for (HashType type : kAllTypes) {
    if (hash_type_name(type) == name) return type;
  }
  std::string known;
  for (HashType type : kAllTypes) {
    known += known.empty() ? "" : ", ";
    known += hash_type_name(type);
  }
  throw InvalidArgument("unknown hash type '" + escape_for_message(name) + "' (known: " + known +
                        ")");
}

}  // namespace quilt
