// String, binary and categorical columns: one task per column decodes its chunks in row order,
// appending bytes to one GrowingData (strings) or codes into one int32 buffer (categoricals), so
// nothing moves or is copied twice. A categorical's categories are the union of the chunks'
// dictionaries in order of first appearance; a chunk's dictionary maps to them once, and each row
// then costs one table lookup.

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/utf8.h"
#include "formats/parquet/delta.h"
#include "formats/parquet/plain.h"
#include "formats/parquet/reader.h"
#include "formats/parquet/reader_decode.h"
#include "formats/table_internal.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct VariableOutput::State {
  const ColumnPlan& plan;
  std::string context;
  int64_t num_rows;
  int64_t row = 0;
  int64_t nulls = 0;
  bool check_utf8;
  OutputBuffer values;  // int32 offsets (num_rows + 1), or int32 codes of a categorical
  OutputBuffer validity;
  std::optional<GrowingData> data;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> codes;
  std::vector<std::string_view> categories;  // keys of `codes`, in code order

  State(const ColumnPlan& p, int64_t rows, bool prefault, const std::string& source)
      : plan(p), context(column_context(source, p.name)), num_rows(rows) {
    check_utf8 = plan.type.id() == TypeId::kString ||
                 (plan.categorical && plan.type.value_type().id() == TypeId::kString);
    auto n = static_cast<size_t>(rows);
    values = allocate_output((n + (plan.categorical ? 0 : 1)) * 4, prefault, context);
    if (plan.optional) validity = allocate_output((n + 7) / 8, prefault, context);
    if (!plan.categorical) data.emplace(prefault, context);
  }

  int32_t intern(std::string_view value) {
    auto it = codes.find(value);
    if (it != codes.end()) return it->second;
    auto code = static_cast<int32_t>(categories.size());
    auto inserted = codes.emplace(std::string(value), code).first;
    categories.push_back(inserted->first);
    return code;
  }
};

namespace {

// Decodes the pages of one chunk into the column's State.
class VariableChunk {
 public:
  VariableChunk(VariableOutput::State& state, const ChunkJob& job, Workspace& work)
      : s_(state), job_(job), work_(work) {}

  void run(PageReader& pages) {
    Page page;
    while (pages.next(page)) {
      if (page.type == PageType::kDictionaryPage) {
        read_dictionary(page);
      } else {
        read_page(page);
      }
    }
  }

 private:
  // The width of a value with no length prefix: FIXED_LEN_BYTE_ARRAY's, or a categorical
  // number's physical width; 0 for BYTE_ARRAY.
  size_t fixed_width() const {
    switch (job_.plan->physical) {
      case PhysicalType::kFixedLenByteArray:
        return static_cast<size_t>(job_.plan->type_length);
      case PhysicalType::kInt32:
      case PhysicalType::kFloat:
        return 4;
      case PhysicalType::kInt64:
      case PhysicalType::kDouble:
        return 8;
      default:
        return 0;
    }
  }
  bool is_fixed() const { return fixed_width() > 0; }

  // Fill views[0, n) with the next n PLAIN values.
  void plain_views(PlainDecoder& d, std::string_view* views, size_t n) {
    if (is_fixed()) {
      size_t width = fixed_width();
      std::span<const uint8_t> bytes = d.decode_fixed_len(n, width);
      for (size_t i = 0; i < n; ++i) {
        views[i] = {reinterpret_cast<const char*>(bytes.data()) + i * width, width};
      }
    } else {
      d.decode_byte_arrays(std::span<std::string_view>(views, n));
    }
    if (s_.check_utf8) check_utf8(views, n, "value");
  }

  static void check_utf8(const std::string_view* views, size_t n, const char* what) {
    for (size_t i = 0; i < n; ++i) {
      if (!is_valid_utf8(views[i])) {
        throw Corrupt(std::string(what) + " '" + escape_for_message(views[i]) +
                      "' of a UTF-8 column is not UTF-8");
      }
    }
  }

  void read_dictionary(const Page& page) {
    check_dictionary_count(page, is_fixed() ? fixed_width() : 4);
    dictionary_size_ = static_cast<size_t>(page.num_values);
    dictionary_ = work_.dictionary_values.reserve_as<std::string_view>(dictionary_size_);
    PlainDecoder d(page.data, "dictionary page");
    plain_views(d, dictionary_, dictionary_size_);
    has_dictionary_ = true;
    if (!s_.plan.categorical) return;
    remap_ = work_.remap.reserve_as<int32_t>(dictionary_size_);
    for (size_t i = 0; i < dictionary_size_; ++i) remap_[i] = s_.intern(dictionary_[i]);
  }

  void read_page(const Page& page) {
    std::span<const uint8_t> data = page.data;
    Levels levels(page, data, s_.plan.optional);
    std::optional<PlainDecoder> plain;
    std::optional<Indices> indices;
    std::optional<ByteArrayDeltaDecoder> delta;
    std::optional<ByteStreamSplitDecoder> split;
    size_t width = fixed_width();
    auto n_values = static_cast<size_t>(page.num_values);
    switch (page.encoding) {
      case Encoding::kPlainDictionary:
      case Encoding::kRleDictionary:
        indices.emplace(data, dictionary_size_, has_dictionary_);
        break;
      case Encoding::kPlain:
        plain.emplace(data, "PLAIN values");
        break;
      case Encoding::kDeltaLengthByteArray:
      case Encoding::kDeltaByteArray:
        delta.emplace(data, page.encoding == Encoding::kDeltaByteArray, n_values, width);
        break;
      case Encoding::kByteStreamSplit:
        split.emplace(data, width);
        break;
      default:
        throw InvalidArgument("encoding " + std::to_string(static_cast<int>(page.encoding)) +
                              " is not supported in a string, binary or categorical column");
    }
    auto n = static_cast<size_t>(page.num_values);
    for (size_t done = 0; done < n;) {
      size_t b = std::min(kBatch, n - done);
      uint8_t* lev = levels.has_levels() ? work_.levels.reserve(b) : nullptr;
      size_t valid = lev != nullptr ? levels.next(lev, b) : b;
      s_.nulls += static_cast<int64_t>(b - valid);
      const uint32_t* idx = nullptr;
      std::string_view* views = nullptr;
      if (indices) {
        idx = indices->next(valid, work_.indices);
      } else {
        views = work_.dense.reserve_as<std::string_view>(valid);
        if (plain) {
          plain_views(*plain, views, valid);
        } else if (delta) {
          delta->next(views, valid);
          if (s_.check_utf8) check_utf8(views, valid, "value");
        } else {
          uint8_t* bytes = work_.levels_other.reserve(valid * width);
          split->decode(bytes, valid);
          for (size_t i = 0; i < valid; ++i) {
            views[i] = {reinterpret_cast<const char*>(bytes) + i * width, width};
          }
        }
      }
      if (s_.plan.categorical) {
        write_codes(b, lev, idx, views);
      } else if (idx != nullptr) {
        write_strings(
            b, lev, [&](size_t k) { return dictionary_[idx[k]]; }, valid);
      } else {
        write_strings(
            b, lev, [&](size_t k) { return views[k]; }, valid);
      }
      if (lev != nullptr) write_bits(s_.validity.data, s_.row, lev, b);
      s_.row += static_cast<int64_t>(b);
      done += b;
    }
  }

  template <typename Value>
  void write_strings(size_t b, const uint8_t* lev, Value value, size_t valid) {
    size_t total = 0;
    for (size_t k = 0; k < valid; ++k) total += value(k).size();
    uint8_t* dst = s_.data->room(total);
    auto cur = static_cast<int32_t>(s_.data->size());
    int32_t* offsets = reinterpret_cast<int32_t*>(s_.values.data) + s_.row;
    size_t k = 0;
    for (size_t i = 0; i < b; ++i) {
      offsets[i] = cur;
      if (lev != nullptr && lev[i] == 0) continue;
      std::string_view v = value(k++);
      std::memcpy(dst, v.data(), v.size());
      dst += v.size();
      cur += static_cast<int32_t>(v.size());
    }
    s_.data->advance(total);
  }

  void write_codes(size_t b, const uint8_t* lev, const uint32_t* idx,
                   const std::string_view* views) {
    int32_t* codes = reinterpret_cast<int32_t*>(s_.values.data) + s_.row;
    size_t k = 0;
    for (size_t i = 0; i < b; ++i) {
      if (lev != nullptr && lev[i] == 0) {
        codes[i] = 0;
        continue;
      }
      codes[i] = idx != nullptr ? remap_[idx[k]] : s_.intern(views[k]);
      ++k;
    }
  }

  VariableOutput::State& s_;
  const ChunkJob& job_;
  Workspace& work_;
  std::string_view* dictionary_ = nullptr;
  size_t dictionary_size_ = 0;
  bool has_dictionary_ = false;
  int32_t* remap_ = nullptr;
};

}  // namespace

VariableOutput::VariableOutput(const ColumnPlan& plan, int64_t num_rows, bool prefault,
                               const std::string& source)
    : state_(std::make_unique<State>(plan, num_rows, prefault, source)) {}

VariableOutput::~VariableOutput() = default;

void VariableOutput::decode_chunk(const ChunkJob& job, Workspace& work) {
  PageReader pages(job, work);
  try {
    VariableChunk(*state_, job, work).run(pages);
  } catch (const Corrupt& e) {
    throw Corrupt(pages.where() + ": " + e.what());
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(pages.where() + ": " + e.what());
  }
}

namespace {

// Convert categories held as physical values of type P to a column of `type` (C type T).
template <typename T, typename P>
Column numeric_categories(const VariableOutput::State& s, const DataType& type) {
  std::vector<T> values(s.categories.size());
  for (size_t i = 0; i < values.size(); ++i) {
    P physical;
    std::memcpy(&physical, s.categories[i].data(), sizeof(P));
    values[i] = static_cast<T>(physical);
  }
  ColumnBuffers buffers;
  buffers.values = Buffer::from_vector(std::move(values));
  return Column::make(s.plan.name, type, static_cast<int64_t>(s.categories.size()),
                      std::move(buffers));
}

// The column of a categorical's categories, in code order.
Column categories_column(const VariableOutput::State& s) {
  const DataType& type = s.plan.type.value_type();
  switch (type.id()) {
    case TypeId::kString:
      return Column::from_strings(
          s.plan.name, std::vector<std::string>(s.categories.begin(), s.categories.end()));
    case TypeId::kInt8:
      return numeric_categories<int8_t, int32_t>(s, type);
    case TypeId::kInt16:
      return numeric_categories<int16_t, int32_t>(s, type);
    case TypeId::kInt32:
    case TypeId::kDate32:
      return numeric_categories<int32_t, int32_t>(s, type);
    case TypeId::kUInt8:
      return numeric_categories<uint8_t, int32_t>(s, type);
    case TypeId::kUInt16:
      return numeric_categories<uint16_t, int32_t>(s, type);
    case TypeId::kUInt32:
      return numeric_categories<uint32_t, int32_t>(s, type);
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return numeric_categories<int64_t, int64_t>(s, type);
    case TypeId::kUInt64:
      return numeric_categories<uint64_t, int64_t>(s, type);
    case TypeId::kFloat32:
      return numeric_categories<float, float>(s, type);
    case TypeId::kFloat64:
      return numeric_categories<double, double>(s, type);
    default:
      throw InvalidArgument(s.context + ": categories of type " + type.to_string() +
                            " are not supported");
  }
}

}  // namespace

Column VariableOutput::finish() {
  State& s = *state_;
  ColumnBuffers buffers;
  if (s.nulls > 0) buffers.validity = s.validity.buffer();
  buffers.null_count = s.nulls;
  buffers.values = s.values.buffer();
  if (s.plan.categorical) {
    buffers.dictionary = std::make_shared<const Column>(categories_column(s));
  } else {
    reinterpret_cast<int32_t*>(s.values.data)[s.num_rows] = static_cast<int32_t>(s.data->size());
    buffers.data = s.data->finish();
  }
  return Column::make(s.plan.name, s.plan.type, s.num_rows, std::move(buffers));
}

}  // namespace quilt::parquet
