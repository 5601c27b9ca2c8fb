// Values of one column chunk into the output column. A data page decodes in batches of kBatch
// rows: definition levels, then the batch's non-null values (PLAIN, or dictionary indices looked
// up in the chunk's dictionary), then the values and validity bits written at the batch's rows.
// Batches bound the scratch memory whatever a page header claims, and keep it in cache.

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include "formats/parquet/delta.h"
#include "formats/parquet/plain.h"
#include "formats/parquet/reader.h"
#include "formats/parquet/reader_decode.h"
#include "formats/parquet/rle.h"
#include "quilt/errors.h"

namespace quilt::parquet {

void write_bits(uint8_t* bitmap, int64_t start, const uint8_t* bytes01, size_t n) {
  size_t i = 0;
  auto bit = static_cast<uint64_t>(start);
  auto set_atomic = [&](uint64_t b) {
    std::atomic_ref<uint8_t>(bitmap[b >> 3])
        .fetch_or(static_cast<uint8_t>(1u << (b & 7)), std::memory_order_relaxed);
  };
  for (; i < n && (bit & 7) != 0; ++i, ++bit) {
    if (bytes01[i] != 0) set_atomic(bit);
  }
  for (; i + 8 <= n; i += 8, bit += 8) {
    uint64_t word;
    std::memcpy(&word, bytes01 + i, 8);
    // Gathers the low bit of each byte into one byte, byte k to bit k.
    bitmap[bit >> 3] =
        static_cast<uint8_t>(((word & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56);
  }
  for (; i < n; ++i, ++bit) {
    if (bytes01[i] != 0) set_atomic(bit);
  }
}

namespace {

// ---- fixed-width columns ----

template <typename P>
void plain_decode(PlainDecoder& d, P* out, size_t n) {
  if constexpr (std::is_same_v<P, Int96>) {
    d.decode_int96(std::span<Int96>(out, n));
  } else if constexpr (std::is_same_v<P, uint8_t>) {
    d.decode_bools(std::span<uint8_t>(out, n));
  } else {
    d.decode(std::span<P>(out, n));
  }
}

template <typename O, typename P>
O convert(const P& v) {
  if constexpr (std::is_same_v<P, Int96>) {
    return int96_to_unix_nanos(v);
  } else {
    return static_cast<O>(v);
  }
}

// Decodes the pages of one chunk whose physical values are P (uint8_t 0/1 for BOOLEAN) into
// output values O (uint8_t 0/1 bytes for bool, then packed into bits).
template <typename P, typename O>
class FixedChunk {
 public:
  FixedChunk(const ChunkJob& job, const FixedOutput& out, Workspace& work)
      : job_(job), out_(out), work_(work) {}

  int64_t run(PageReader& pages) {
    Page page;
    int64_t row = job_.first_row;
    while (pages.next(page)) {
      if (page.type == PageType::kDictionaryPage) {
        read_dictionary(page);
        continue;
      }
      read_page(page, row);
      row += page.num_values;
    }
    return nulls_;
  }

 private:
  static constexpr bool kIsBool = std::is_same_v<P, uint8_t>;
  static constexpr bool kIsInteger = std::is_same_v<P, int32_t> || std::is_same_v<P, int64_t>;
  static constexpr bool kIsSplittable = kIsInteger || std::is_same_v<P, float> ||
                                        std::is_same_v<P, double>;
  // The DELTA_BINARY_PACKED decoder of P (an unused placeholder for the other types).
  using Delta = DeltaBinaryPackedDecoder<std::conditional_t<kIsInteger, P, int32_t>>;

  void read_dictionary(const Page& page) {
    if constexpr (kIsBool) {
      throw Corrupt("a dictionary page in a BOOLEAN column");
    } else {
      check_dictionary_count(page, sizeof(P));
      size_t n = static_cast<size_t>(page.num_values);
      P* values = work_.dictionary_values.reserve_as<P>(n);
      PlainDecoder d(page.data, "dictionary page");
      plain_decode(d, values, n);
      dictionary_ = values;
      dictionary_size_ = n;
      has_dictionary_ = true;
    }
  }

  void read_page(const Page& page, int64_t row) {
    std::span<const uint8_t> data = page.data;
    Levels levels(page, data, job_.plan->optional);
    std::optional<PlainDecoder> plain;
    std::optional<Indices> indices;
    std::optional<RleDecoder> rle_bools;
    std::optional<Delta> delta;
    std::optional<ByteStreamSplitDecoder> split;
    if (is_dictionary_encoding(page.encoding)) {
      indices.emplace(data, dictionary_size_, has_dictionary_);
    } else if (page.encoding == Encoding::kRle) {
      rle_bools.emplace(rle_body(data), 1, "RLE booleans");
    } else if (page.encoding == Encoding::kDeltaBinaryPacked) {
      if constexpr (kIsInteger) {
        delta.emplace(data, "values");
        if (delta->total() > static_cast<uint64_t>(page.num_values)) {
          throw Corrupt("DELTA_BINARY_PACKED: " + std::to_string(delta->total()) +
                        " values in a page of " + std::to_string(page.num_values));
        }
      } else {
        throw InvalidArgument("DELTA_BINARY_PACKED in a column that is not INT32 or INT64");
      }
    } else if (page.encoding == Encoding::kByteStreamSplit) {
      if constexpr (kIsSplittable) {
        split.emplace(data, sizeof(P));
      } else {
        throw InvalidArgument("BYTE_STREAM_SPLIT in a column of another width");
      }
    } else {
      plain.emplace(data, "PLAIN values");
    }
    auto n = static_cast<size_t>(page.num_values);
    for (size_t done = 0; done < n;) {
      size_t b = std::min(kBatch, n - done);
      uint8_t* lev = levels.has_levels() ? work_.levels.reserve(b) : nullptr;
      size_t valid = lev != nullptr ? levels.next(lev, b) : b;
      nulls_ += static_cast<int64_t>(b - valid);
      O* dense = target(row, b, valid);
      if (plain) {
        read_plain(*plain, dense, valid);
      } else if (delta || split) {
        read_other(delta, split, dense, valid);
      } else if (indices) {
        read_indices(*indices, dense, valid);
      } else {
        rle_bools->decode(std::span<uint8_t>(reinterpret_cast<uint8_t*>(dense), valid));
      }
      place(row, b, valid, dense, lev);
      row += static_cast<int64_t>(b);
      done += b;
    }
  }

  static std::span<const uint8_t> rle_body(std::span<const uint8_t> data) {
    if (data.size() < 4) throw Corrupt("RLE booleans: truncated 4-byte length");
    uint32_t length;
    std::memcpy(&length, data.data(), 4);
    if (length > data.size() - 4) throw Corrupt("RLE booleans: length runs past the page");
    return data.subspan(4, length);
  }

  // Where the batch's non-null values go: straight into the output when nothing needs moving.
  O* target(int64_t row, size_t b, size_t valid) {
    if (!kIsBool && valid == b) return reinterpret_cast<O*>(out_.values) + row;
    return work_.dense.reserve_as<O>(b);
  }

  void read_plain(PlainDecoder& d, O* dense, size_t valid) {
    if constexpr (std::is_same_v<P, O>) {
      plain_decode(d, dense, valid);
    } else {
      P* raw = work_.indices.reserve_as<P>(valid);
      plain_decode(d, raw, valid);
      for (size_t i = 0; i < valid; ++i) dense[i] = convert<O>(raw[i]);
    }
  }

  // DELTA_BINARY_PACKED or BYTE_STREAM_SPLIT values: decoded as P, then converted when O differs.
  void read_other(std::optional<Delta>& delta, std::optional<ByteStreamSplitDecoder>& split,
                  O* dense, size_t valid) {
    if constexpr (kIsSplittable) {
      P* raw = std::is_same_v<P, O> ? reinterpret_cast<P*>(dense)
                                    : work_.indices.reserve_as<P>(valid);
      if (delta) {
        if (valid > delta->remaining()) {
          throw Corrupt("DELTA_BINARY_PACKED: the page holds " + std::to_string(delta->total()) +
                        " values, fewer than its levels");
        }
        if constexpr (kIsInteger) delta->decode(raw, valid);
      } else {
        split->decode(reinterpret_cast<uint8_t*>(raw), valid);
      }
      if constexpr (!std::is_same_v<P, O>) {
        for (size_t i = 0; i < valid; ++i) dense[i] = convert<O>(raw[i]);
      }
    }
  }

  void read_indices(Indices& indices, O* dense, size_t valid) {
    if constexpr (!kIsBool) {
      const uint32_t* idx = indices.next(valid, work_.indices);
      const P* dict = dictionary_;
      for (size_t i = 0; i < valid; ++i) dense[i] = convert<O>(dict[idx[i]]);
    }
  }

  // Spread the batch's non-null values over its rows and set its validity bits.
  void place(int64_t row, size_t b, size_t valid, O* dense, const uint8_t* lev) {
    if constexpr (kIsBool) {
      uint8_t* bytes = dense;
      if (valid != b) bytes = spread(dense, lev, b);
      write_bits(out_.values, row, bytes, b);
    } else if (valid != b) {
      O* dst = reinterpret_cast<O*>(out_.values) + row;
      size_t k = 0;
      for (size_t i = 0; i < b; ++i) {
        dst[i] = lev[i] != 0 ? dense[k] : O{};
        k += lev[i];
      }
    }
    // An OPTIONAL column always has levels and a validity bitmap; a REQUIRED one neither.
    if (out_.validity != nullptr) write_bits(out_.validity, row, lev, b);
  }

  uint8_t* spread(const uint8_t* dense, const uint8_t* lev, size_t b) {
    // The values scratch holds `dense`; spread into the indices scratch.
    uint8_t* bytes = work_.indices.reserve(b);
    size_t k = 0;
    for (size_t i = 0; i < b; ++i) {
      bytes[i] = lev[i] != 0 ? dense[k] : 0;
      k += lev[i];
    }
    return bytes;
  }

  const ChunkJob& job_;
  FixedOutput out_;
  Workspace& work_;
  const P* dictionary_ = nullptr;
  size_t dictionary_size_ = 0;
  bool has_dictionary_ = false;
  int64_t nulls_ = 0;
};

template <typename P, typename O>
int64_t run_fixed(const ChunkJob& job, const FixedOutput& out, Workspace& work, PageReader& pages) {
  return FixedChunk<P, O>(job, out, work).run(pages);
}

template <typename P>
int64_t run_int(const ChunkJob& job, const FixedOutput& out, Workspace& work, PageReader& pages) {
  switch (job.plan->type.id()) {
    case TypeId::kInt8:
      return run_fixed<P, int8_t>(job, out, work, pages);
    case TypeId::kInt16:
      return run_fixed<P, int16_t>(job, out, work, pages);
    case TypeId::kUInt8:
      return run_fixed<P, uint8_t>(job, out, work, pages);
    case TypeId::kUInt16:
      return run_fixed<P, uint16_t>(job, out, work, pages);
    default:
      return run_fixed<P, P>(job, out, work, pages);
  }
}

int64_t dispatch_fixed(const ChunkJob& job, const FixedOutput& out, Workspace& work,
                       PageReader& pages) {
  switch (job.plan->physical) {
    case PhysicalType::kBoolean:
      return run_fixed<uint8_t, uint8_t>(job, out, work, pages);
    case PhysicalType::kInt32:
      return run_int<int32_t>(job, out, work, pages);
    case PhysicalType::kInt64:
      return run_fixed<int64_t, int64_t>(job, out, work, pages);
    case PhysicalType::kInt96:
      return run_fixed<Int96, int64_t>(job, out, work, pages);
    case PhysicalType::kFloat:
      return run_fixed<float, float>(job, out, work, pages);
    case PhysicalType::kDouble:
      return run_fixed<double, double>(job, out, work, pages);
    default:
      throw InvalidArgument("not a fixed-width column");
  }
}

}  // namespace

int64_t decode_fixed_chunk(const ChunkJob& job, const FixedOutput& out, Workspace& work) {
  PageReader pages(job, work);
  try {
    return dispatch_fixed(job, out, work, pages);
  } catch (const Corrupt& e) {
    throw Corrupt(pages.where() + ": " + e.what());
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(pages.where() + ": " + e.what());
  }
}

}  // namespace quilt::parquet
