#include "quilt/errors.h"

#include <cstring>

namespace quilt {

void throw_io_error(const std::string& what, const std::string& path, int error_number) {
  throw IoError(what + " '" + path + "': " + std::strerror(error_number), error_number);
}

}  // namespace quilt
