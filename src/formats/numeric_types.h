#pragma once

#include <cstdint>

/// Apply M to every C++ type a numeric Table column holds, so each explicit
/// instantiation list names them once.
#define QUILT_FOR_EACH_NUMERIC_TYPE(M) \
  M(int8_t)                            \
  M(int16_t)                           \
  M(int32_t)                           \
  M(int64_t)                           \
  M(uint8_t)                           \
  M(uint16_t)                          \
  M(uint32_t)                          \
  M(uint64_t)                          \
  M(float)                             \
  M(double)
