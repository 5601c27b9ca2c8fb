// The BYTE_ARRAY column writer: strings, binary, and categoricals whose
// values are strings or binary.
//
// By default a chunk is dictionary-encoded: values go through a
// StringDictionary, data pages hold RLE/bit-packed indices, and the chunk's
// dictionary page (PLAIN) is written once the chunk is done. When adding a
// value would make the dictionary page larger than dictionary_page_size_limit,
// the pages so far stay dictionary-encoded and the rest of the chunk is PLAIN
// (as parquet-cpp and parquet-mr fall back). A categorical whose categories fit
// the limit needs no hashing at all: its categories are the dictionary and its
// codes the indices.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "formats/parquet/column_writer.h"
#include "formats/parquet/column_writer_dictionary.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

// Statistics larger than this are left out, as parquet-cpp does by default:
// a footer must stay small, and a reader gains little from them.
constexpr size_t kMaxStatisticsSize = 4096;

int index_bit_width(size_t dictionary_size) {
  return std::max(1, bit_width_of(dictionary_size == 0 ? 0 : dictionary_size - 1));
}

class ByteArrayColumnWriter final : public ColumnWriter {
 public:
  ByteArrayColumnWriter(const Column &column, const ColumnWriterOptions &options)
      : ColumnWriter(column, PhysicalType::kByteArray, options) {
    if (column.type().id() == TypeId::kDictionary) {
      indices_.emplace(column);
      const Column &dictionary = column.dictionary();
      check_offsets(dictionary, 0, dictionary.length());
      offsets_ = dictionary.offsets().data();
      bytes_ = reinterpret_cast<const char *>(dictionary.data_buffer().data());
      const int64_t entries = dictionary.length();
      const int64_t plain_size = offsets_[entries] - offsets_[0] + 4 * entries;
      categories_as_dictionary_ = options.use_dictionary && !indices_->dictionary_has_nulls() &&
                                  plain_size <= options.dictionary_page_size_limit;
    } else {
      offsets_ = column.offsets().data();
      bytes_ = reinterpret_cast<const char *>(column.data_buffer().data());
      if (column.null_count() > 0) {
        validity_ = column.validity_buffer().data();
        validity_offset_ = column.offset();
      }
    }
  }

 protected:
  void encode(int64_t begin, int64_t end) override {
    has_min_max_ = false;
    if (indices_) {
      indices_->check_range(begin, end);
    } else {
      check_offsets(column(), begin, end);
    }
    if (categories_as_dictionary_) {
      encode_categories(begin, end);
    } else {
      int64_t row = begin;
      if (options().use_dictionary && options().string_encoding == Encoding::kPlain) {
        row = encode_dictionary(begin, end);
      }
      if (row < end) encode_plain(row, end);
    }
    if (has_min_max_ && min_.size() <= kMaxStatisticsSize && max_.size() <= kMaxStatisticsSize) {
      set_min_max(std::string(min_), std::string(max_), false);
    }
  }

  const uint8_t *page_validity(int64_t begin, int64_t end, int64_t *nulls) override {
    if (!indices_) return ColumnWriter::page_validity(begin, end, nulls);
    return indices_->page_validity(begin, end, validity_scratch(), nulls);
  }

 private:
  // The value of row i of the column (an entry of the dictionary for a
  // categorical). REQUIRES: row i is valid.
  std::string_view entry(int64_t d) const {
    return {bytes_ + offsets_[d], static_cast<size_t>(offsets_[d + 1] - offsets_[d])};
  }
  std::string_view value(int64_t i) const { return entry(indices_ ? indices_->index(i) : i); }
  bool is_valid(int64_t i) const {
    if (indices_) return indices_->is_valid(i);
    if (validity_ == nullptr) return true;
    const int64_t slot = validity_offset_ + i;
    return (validity_[slot >> 3] >> (slot & 7)) & 1;
  }

  void add_to_stats(std::string_view v) {
    if (!has_min_max_) {
      min_ = max_ = v;
      has_min_max_ = true;
      return;
    }
    // string_view compares as unsigned bytes (char_traits<char>::compare is
    // memcmp), the order Parquet defines for BYTE_ARRAY.
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  // Append the PLAIN encoding of `values` to `out`.
  template <class Values>
  static void put_plain(const Values &values, ByteBuffer &out) {
    for (std::string_view v : values) {
      uint8_t *p = out.grow(4 + v.size());
      const auto length = static_cast<uint32_t>(v.size());
      std::memcpy(p, &length, 4);
      if (!v.empty()) std::memcpy(p + 4, v.data(), v.size());
    }
  }

  // Categorical fast path: the categories are the dictionary page, the codes
  // the indices; the statistics come from the categories the rows use.
  void encode_categories(int64_t begin, int64_t end) {
    const int64_t entries = column().dictionary().length();
    used_.assign(static_cast<size_t>(entries), 0);
    const int bit_width = index_bit_width(static_cast<size_t>(entries));
    const int64_t page_rows = std::clamp<int64_t>(
        std::min<int64_t>(options().data_page_size, int64_t{1} << 27) * 8 / bit_width, 64,
        int64_t{1} << 30);
    for (int64_t a = begin; a < end;) {
      const int64_t b = std::min(end, a + page_rows);
      int64_t nulls = 0;
      const uint8_t *validity = page_validity(a, b, &nulls);
      scratch().indices.clear();
      for (int64_t i = a; i < b; ++i) {
        const int64_t k = i - a;
        if (validity != nullptr && !((validity[k >> 3] >> (k & 7)) & 1)) continue;
        const int64_t d = indices_->index(i);
        scratch().indices.push_back(static_cast<uint32_t>(d));
        used_[static_cast<size_t>(d)] = 1;
      }
      begin_page(validity, b - a, nulls);
      put_indices(scratch().indices, bit_width);
      finish_page(b - a, Encoding::kRleDictionary);
      a = b;
    }
    scratch().plain.clear();
    for (int64_t d = 0; d < entries; ++d) {
      const std::string_view v = entry(d);
      put_plain(std::span<const std::string_view>(&v, 1), scratch().plain);
      if (used_[static_cast<size_t>(d)]) add_to_stats(v);
    }
    write_dictionary_page(scratch().plain.bytes(), entries);
  }

  // Write the pages of the dictionary-encoded part of rows [begin, end);
  // return the first row not written (end unless the dictionary filled up).
  int64_t encode_dictionary(int64_t begin, int64_t end) {
    strings_.clear();
    scratch().indices.clear();
    const int64_t limit = options().dictionary_page_size_limit;
    const int64_t batch = batch_rows();
    int64_t row = begin;
    int64_t page_start = begin;
    bool full = false;
    while (row < end && !full) {
      const int64_t stop = std::min(end, row + batch);
      for (; row < stop; ++row) {
        if (!is_valid(row)) continue;
        const int64_t index = strings_.insert(value(row), limit);
        if (index < 0) {
          full = true;
          break;
        }
        scratch().indices.push_back(static_cast<uint32_t>(index));
      }
      const int bit_width = index_bit_width(strings_.size());
      // Indices plus definition levels (a bit per row at most), so that a run
      // of nulls still makes pages.
      const int64_t estimate = static_cast<int64_t>(scratch().indices.size()) * bit_width / 8 +
                               (row - page_start) / 8;
      const bool page_full =
          estimate >= options().data_page_size || row - page_start >= (int64_t{1} << 30);
      if (page_full && row > page_start) {
        flush_indices(page_start, row);
        page_start = row;
      }
    }
    if (row > page_start) flush_indices(page_start, row);
    if (strings_.size() > 0) {
      scratch().plain.clear();
      put_plain(strings_.values(), scratch().plain);
      write_dictionary_page(scratch().plain.bytes(), static_cast<int64_t>(strings_.size()));
      for (std::string_view v : strings_.values()) add_to_stats(v);
    }
    return row;
  }

  // Write rows [begin, end) as one RLE_DICTIONARY page with the indices
  // gathered in scratch().indices.
  void flush_indices(int64_t begin, int64_t end) {
    int64_t nulls = 0;
    const uint8_t *validity = page_validity(begin, end, &nulls);
    begin_page(validity, end - begin, nulls);
    if (strings_.size() == 0) {
      // Only nulls so far: a PLAIN page (levels and no values) needs no
      // dictionary.
      finish_page(end - begin, Encoding::kPlain);
    } else {
      put_indices(scratch().indices, index_bit_width(strings_.size()));
      finish_page(end - begin, Encoding::kRleDictionary);
    }
    scratch().indices.clear();
  }

  void encode_plain(int64_t begin, int64_t end) {
    const int64_t page_size = options().data_page_size;
    for (int64_t a = begin; a < end;) {
      // Close the page once its values reach the page size.
      int64_t b = a;
      int64_t bytes = 0;
      while (b < end && bytes < page_size && b - a < (int64_t{1} << 30)) {
        if (is_valid(b)) bytes += 4 + static_cast<int64_t>(value(b).size());
        ++b;
      }
      int64_t nulls = 0;
      const uint8_t *validity = page_validity(a, b, &nulls);
      begin_page(validity, b - a, nulls);
      ByteBuffer &out = page();
      out.reserve(out.size() + static_cast<size_t>(bytes));
      for (int64_t i = a; i < b; ++i) {
        const int64_t k = i - a;
        if (validity != nullptr && !((validity[k >> 3] >> (k & 7)) & 1)) continue;
        const std::string_view v = value(i);
        uint8_t *p = out.grow(4 + v.size());
        const auto length = static_cast<uint32_t>(v.size());
        std::memcpy(p, &length, 4);
        if (!v.empty()) std::memcpy(p + 4, v.data(), v.size());
        add_to_stats(v);
      }
      finish_page(b - a, Encoding::kPlain);
      a = b;
    }
  }

  std::optional<DictionaryIndexReader> indices_;
  const int32_t *offsets_ = nullptr;
  const char *bytes_ = nullptr;
  const uint8_t *validity_ = nullptr;
  int64_t validity_offset_ = 0;
  bool categories_as_dictionary_ = false;

  StringDictionary strings_;
  std::vector<uint8_t> used_;
  bool has_min_max_ = false;
  std::string_view min_;
  std::string_view max_;
};

}  // namespace

std::unique_ptr<ColumnWriter> make_byte_array_column_writer(const Column &column,
                                                            const ColumnWriterOptions &options) {
  return std::make_unique<ByteArrayColumnWriter>(column, options);
}

}  // namespace quilt::parquet
