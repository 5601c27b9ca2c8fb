#include "formats/parquet/column_writer.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <mutex>
#include <new>
#include <string>

#include "formats/parquet/delta.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

std::string column_message(const Column &column, const std::string &message) {
  return "column '" + column.name() + "': " + message;
}

}  // namespace

void PopulatedDeleter::operator()(uint8_t *p) const noexcept {
  if (p != nullptr) ::munmap(p, size);
}

PopulatedBytes allocate_populated(size_t size) {
  // Whole pages: the rest of the last page is usable anyway.
  size = (size + 4095) / 4096 * 4096;
  void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return PopulatedBytes(static_cast<uint8_t *>(p), PopulatedDeleter{size});
}

void ByteBuffer::reserve(size_t capacity) {
  if (capacity <= capacity_) return;
  size_t grown = std::max({capacity, capacity_ * 2, size_t{4096}});
  PopulatedBytes fresh = allocate_populated(grown);
  if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
  data_ = std::move(fresh);
  capacity_ = grown;
}

void BlockList::append(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const size_t index = size_ / kBlockSize;
    const size_t offset = size_ % kBlockSize;
    if (index == blocks_.size()) blocks_.push_back(allocate_populated(kBlockSize));
    const size_t n = std::min(kBlockSize - offset, bytes.size());
    std::memcpy(blocks_[index].get() + offset, bytes.data(), n);
    size_ += n;
    bytes = bytes.subspan(n);
  }
}

size_t WriterScratch::footprint() const {
  return page.capacity() + validity.capacity() + plain.capacity() + bits.capacity() +
         indices.capacity() * sizeof(uint32_t) +
         2 * page.capacity();  // the compressor's buffer and the RLE encoders, roughly
}

namespace {

// The caches of scratches and outputs: at most kMaxCachedBytes each, so a
// process that once wrote a huge table does not keep its buffers forever.
constexpr size_t kMaxCachedBytes = size_t{128} << 20;

template <class T>
struct Cache {
  std::mutex mu;
  std::vector<std::unique_ptr<T>> free;  // guarded by mu
  size_t bytes = 0;                      // guarded by mu

  std::unique_ptr<T> take() {
    std::lock_guard lock(mu);
    if (free.empty()) return nullptr;
    std::unique_ptr<T> item = std::move(free.back());
    free.pop_back();
    bytes -= item->footprint();
    return item;
  }
  void give(std::unique_ptr<T> item) {
    if (!item) return;
    const size_t size = item->footprint();
    std::lock_guard lock(mu);
    if (bytes + size > kMaxCachedBytes) return;
    bytes += size;
    free.push_back(std::move(item));
  }
};

template <class T>
Cache<T> &cache_of() {
  static Cache<T> *cache = new Cache<T>;  // never destroyed: no exit-time order issue
  return *cache;
}

}  // namespace

std::unique_ptr<WriterScratch> acquire_writer_scratch(Codec codec, int level) {
  std::unique_ptr<WriterScratch> scratch = cache_of<WriterScratch>().take();
  if (!scratch) {
    scratch = std::make_unique<WriterScratch>();
    scratch->index_encoders.resize(33);
  }
  if (!scratch->compressor || scratch->codec != codec || scratch->level != level) {
    scratch->compressor = std::make_unique<Compressor>(codec, level);
    scratch->codec = codec;
    scratch->level = level;
  }
  return scratch;
}

void release_writer_scratch(std::unique_ptr<WriterScratch> scratch) {
  cache_of<WriterScratch>().give(std::move(scratch));
}

std::unique_ptr<ChunkOutput> acquire_chunk_output() {
  std::unique_ptr<ChunkOutput> output = cache_of<ChunkOutput>().take();
  if (!output) return std::make_unique<ChunkOutput>();
  output->dictionary.clear();
  output->data.clear();
  return output;
}

void release_chunk_output(std::unique_ptr<ChunkOutput> output) {
  cache_of<ChunkOutput>().give(std::move(output));
}

void copy_bits(const uint8_t *src, int64_t offset, int64_t count, uint8_t *dst) {
  if (count <= 0) return;
  const int64_t out_bytes = (count + 7) / 8;
  const uint8_t *s = src + offset / 8;
  const int shift = static_cast<int>(offset % 8);
  if (shift == 0) {
    std::memcpy(dst, s, static_cast<size_t>(out_bytes));
  } else {
    // Output byte k takes the high bits of s[k] and the low bits of s[k + 1];
    // s[k + 1] exists only while it still holds bits of the range.
    const int64_t in_bytes = (shift + count + 7) / 8;
    for (int64_t k = 0; k < out_bytes; ++k) {
      unsigned v = s[k] >> shift;
      if (k + 1 < in_bytes) v |= static_cast<unsigned>(s[k + 1]) << (8 - shift);
      dst[k] = static_cast<uint8_t>(v);
    }
  }
  if (count % 8 != 0) dst[out_bytes - 1] &= static_cast<uint8_t>((1u << (count % 8)) - 1);
}

int64_t count_set_bits(const uint8_t *bits, int64_t count) {
  int64_t total = 0;
  int64_t i = 0;
  for (; i + 64 <= count; i += 64) {
    uint64_t word;
    std::memcpy(&word, bits + i / 8, 8);
    total += std::popcount(word);
  }
  for (; i + 8 <= count; i += 8) total += std::popcount(static_cast<unsigned>(bits[i / 8]));
  if (i < count) {
    total += std::popcount(static_cast<unsigned>(bits[i / 8] & ((1u << (count - i)) - 1)));
  }
  return total;
}

const uint8_t *DictionaryIndexReader::page_validity(int64_t begin, int64_t end, ByteBuffer &bits,
                                                    int64_t *nulls) const {
  const int64_t count = end - begin;
  const size_t bytes = static_cast<size_t>((count + 7) / 8 + 8);
  bits.clear();
  uint8_t *out = bits.grow(bytes);
  std::memset(out, 0, bytes);
  *nulls = 0;
  for (int64_t k = 0; k < count; ++k) {
    if (is_valid(begin + k)) {
      out[k >> 3] |= static_cast<uint8_t>(1u << (k & 7));
    } else {
      ++*nulls;
    }
  }
  return *nulls == 0 ? nullptr : out;
}

DictionaryIndexReader::DictionaryIndexReader(const Column &column)
    : column_(&column),
      dictionary_length_(column.dictionary().length()),
      data_(column.values_buffer().data()),
      width_(column.type().index_type().bit_width() / 8),
      is_signed_(column.type().index_type().is_signed_integer()),
      offset_(column.offset()) {
  if (column.null_count() > 0) validity_ = column.validity_buffer().data();
  const Column &dictionary = column.dictionary();
  if (dictionary.null_count() > 0) {
    dict_validity_ = dictionary.validity_buffer().data();
    dict_offset_ = dictionary.offset();
  }
}

void DictionaryIndexReader::check_range(int64_t begin, int64_t end) const {
  for (int64_t i = begin; i < end; ++i) {
    const int64_t slot = offset_ + i;
    if (validity_ != nullptr && !((validity_[slot >> 3] >> (slot & 7)) & 1)) continue;
    const int64_t d = index(i);
    if (d < 0 || d >= dictionary_length_) [[unlikely]] {
      throw InvalidArgument(column_message(
          *column_, "dictionary index " + std::to_string(d) + " at row " + std::to_string(i) +
                        " is outside the dictionary of " + std::to_string(dictionary_length_)));
    }
  }
}

void check_offsets(const Column &column, int64_t begin, int64_t end) {
  std::span<const int32_t> offsets = column.offsets();
  const auto data_size = static_cast<int64_t>(column.data_buffer().size());
  bool ok = offsets[begin] >= 0 && offsets[end] <= data_size;
  for (int64_t i = begin; i < end; ++i) ok &= offsets[i] <= offsets[i + 1];
  if (!ok) {
    throw InvalidArgument(column_message(column, "string offsets of rows " + std::to_string(begin) +
                                                     ".." + std::to_string(end) +
                                                     " are not ascending within the data"));
  }
}

ColumnWriter::ColumnWriter(const Column &column, PhysicalType type,
                           const ColumnWriterOptions &options)
    : column_(column), options_(options), output_(acquire_chunk_output()) {
  metadata_.type = type;
  metadata_.path_in_schema = {column.name()};
  metadata_.codec = options.codec;
}

ColumnWriter::~ColumnWriter() {
  release_writer_scratch(std::move(scratch_));
  release_chunk_output(std::move(output_));
}

int64_t ColumnWriter::batch_rows() const {
  return std::clamp<int64_t>(options_.data_page_size, 64, 8192);
}

void ColumnWriter::write_chunk(int64_t begin, int64_t end) {
  output_->dictionary.clear();
  output_->data.clear();
  // The working buffers are held only while encoding, and given back even
  // when encoding throws.
  scratch_ = acquire_writer_scratch(options_.codec, options_.compression_level);
  struct Release {
    std::unique_ptr<WriterScratch> &scratch;
    ~Release() { release_writer_scratch(std::move(scratch)); }
  } release{scratch_};
  nulls_ = 0;
  other_encodings_ = 0;
  has_plain_ = false;
  has_dictionary_ = false;
  metadata_.num_values = end - begin;
  metadata_.total_compressed_size = 0;
  metadata_.total_uncompressed_size = 0;
  metadata_.statistics.reset();
  if (options_.write_statistics) metadata_.statistics.emplace();
  encode(begin, end);

  metadata_.encodings.clear();
  if (has_plain_ || has_dictionary_) metadata_.encodings.push_back(Encoding::kPlain);
  metadata_.encodings.push_back(Encoding::kRle);
  if (has_dictionary_) metadata_.encodings.push_back(Encoding::kRleDictionary);
  for (Encoding e : {Encoding::kDeltaBinaryPacked, Encoding::kDeltaLengthByteArray,
                     Encoding::kDeltaByteArray, Encoding::kByteStreamSplit}) {
    if ((other_encodings_ >> static_cast<int>(e)) & 1) metadata_.encodings.push_back(e);
  }
  metadata_.dictionary_page_offset.reset();
  if (has_dictionary_) metadata_.dictionary_page_offset = 0;
  metadata_.data_page_offset = static_cast<int64_t>(output_->dictionary.size());
  if (metadata_.statistics) metadata_.statistics->null_count = nulls_;
}

const uint8_t *ColumnWriter::page_validity(int64_t begin, int64_t end, int64_t *nulls) {
  *nulls = 0;
  if (column_.null_count() == 0 || end == begin) return nullptr;
  const int64_t count = end - begin;
  ByteBuffer &scratch = scratch_->validity;
  scratch.clear();
  // 8 bytes of slack: readers of the bitmap load whole 64-bit words.
  uint8_t *bits = scratch.grow(static_cast<size_t>((count + 7) / 8 + 8));
  copy_bits(column_.validity_buffer().data(), column_.offset() + begin, count, bits);
  std::memset(bits + (count + 7) / 8, 0, 8);
  *nulls = count - count_set_bits(bits, count);
  return *nulls == 0 ? nullptr : bits;
}

void ColumnWriter::begin_page(const uint8_t *validity, int64_t count, int64_t nulls) {
  ByteBuffer &page = scratch_->page;
  page.clear();
  page.grow(4);
  if (validity == nullptr) {
    // One RLE run of `count` ones.
    page.put_varint(static_cast<uint64_t>(count) << 1);
    page.push_back(1);
  } else {
    // Levels of bit width 1 bit-packed in groups of 8 are the validity bitmap
    // itself: one literal run, no per-value work.
    const int64_t groups = (count + 7) / 8;
    page.put_varint(static_cast<uint64_t>(groups) << 1 | 1);
    page.append({validity, static_cast<size_t>(groups)});
  }
  auto length = static_cast<uint32_t>(page.size() - 4);
  std::memcpy(page.data(), &length, 4);
  nulls_ += nulls;
  page_nulls_ = nulls;
}

void ColumnWriter::append_page(PageType type, std::span<const uint8_t> raw,
                               std::span<const uint8_t> tail, int64_t count, Encoding encoding,
                               BlockList &out) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  const size_t raw_size = raw.size() + tail.size();
  if (raw_size > kMax || count > std::numeric_limits<int32_t>::max()) {
    throw InvalidArgument(column_message(
        column_, "a page of " + std::to_string(raw_size) + " bytes is over Parquet's 2 GiB limit"));
  }
  if (type == PageType::kDataPage && options_.data_page_version == 2) {
    append_page_v2(raw, tail, count, encoding, out);
    return;
  }
  const bool stored = options_.codec == Codec::kUncompressed;
  std::span<const uint8_t> packed;
  if (!stored) {
    packed = tail.empty() ? scratch_->compressor->compress(raw)
                          : scratch_->compressor->compress(raw, tail);
  }
  const size_t packed_size = stored ? raw_size : packed.size();
  if (packed_size > kMax) {
    throw InvalidArgument(column_message(column_, "a compressed page is over 2 GiB"));
  }
  PageHeader header;
  header.type = type;
  header.uncompressed_page_size = static_cast<int32_t>(raw_size);
  header.compressed_page_size = static_cast<int32_t>(packed_size);
  if (type == PageType::kDictionaryPage) {
    header.dictionary_page_header.emplace();
    header.dictionary_page_header->num_values = static_cast<int32_t>(count);
    header.dictionary_page_header->encoding = Encoding::kPlain;
  } else {
    header.data_page_header.emplace();
    header.data_page_header->num_values = static_cast<int32_t>(count);
    header.data_page_header->encoding = encoding;
  }
  CompactWriter &writer = scratch_->header;
  writer.clear();
  write_page_header(writer, header);
  out.append(writer.bytes());
  if (stored) {
    out.append(raw);
    out.append(tail);
  } else {
    out.append(packed);
  }
  const auto header_size = static_cast<int64_t>(writer.bytes().size());
  metadata_.total_uncompressed_size += header_size + static_cast<int64_t>(raw_size);
  metadata_.total_compressed_size += header_size + static_cast<int64_t>(packed_size);
}

// A data page v2: the levels (page() holds them as v1 does, after a 4-byte length) stored
// uncompressed before the values, which alone are compressed.
void ColumnWriter::append_page_v2(std::span<const uint8_t> raw, std::span<const uint8_t> tail,
                                  int64_t count, Encoding encoding, BlockList &out) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  uint32_t levels_size;
  std::memcpy(&levels_size, raw.data(), 4);
  std::span<const uint8_t> levels = raw.subspan(4, levels_size);
  std::span<const uint8_t> head = raw.subspan(4 + levels_size);
  const bool stored = options_.codec == Codec::kUncompressed;
  std::span<const uint8_t> packed;
  if (!stored) packed = scratch_->compressor->compress(head, tail);
  const size_t values_size = head.size() + tail.size();
  const size_t packed_size = levels.size() + (stored ? values_size : packed.size());
  if (packed_size > kMax) {
    throw InvalidArgument(column_message(column_, "a compressed page is over 2 GiB"));
  }
  PageHeader header;
  header.type = PageType::kDataPageV2;
  header.uncompressed_page_size = static_cast<int32_t>(levels.size() + values_size);
  header.compressed_page_size = static_cast<int32_t>(packed_size);
  DataPageHeaderV2 &v2 = header.data_page_header_v2.emplace();
  v2.num_values = static_cast<int32_t>(count);
  v2.num_nulls = static_cast<int32_t>(page_nulls_);
  v2.num_rows = static_cast<int32_t>(count);
  v2.encoding = encoding;
  v2.definition_levels_byte_length = static_cast<int32_t>(levels.size());
  v2.repetition_levels_byte_length = 0;
  v2.is_compressed = !stored;
  CompactWriter &writer = scratch_->header;
  writer.clear();
  write_page_header(writer, header);
  out.append(writer.bytes());
  out.append(levels);
  if (stored) {
    out.append(head);
    out.append(tail);
  } else {
    out.append(packed);
  }
  const auto header_size = static_cast<int64_t>(writer.bytes().size());
  metadata_.total_uncompressed_size += header_size + header.uncompressed_page_size;
  metadata_.total_compressed_size += header_size + static_cast<int64_t>(packed_size);
}

Encoding ColumnWriter::value_encoding() const {
  switch (metadata_.type) {
    case PhysicalType::kInt32:
    case PhysicalType::kInt64:
      return options_.integer_encoding;
    case PhysicalType::kFloat:
    case PhysicalType::kDouble:
      return options_.float_encoding;
    case PhysicalType::kByteArray:
      return options_.string_encoding;
    default:
      return Encoding::kPlain;
  }
}

namespace {

// The PLAIN BYTE_ARRAY values of `plain` as views.
std::vector<std::string_view> split_byte_arrays(std::span<const uint8_t> plain) {
  std::vector<std::string_view> values;
  size_t pos = 0;
  while (pos < plain.size()) {
    uint32_t length;
    std::memcpy(&length, plain.data() + pos, 4);
    values.emplace_back(reinterpret_cast<const char *>(plain.data()) + pos + 4, length);
    pos += 4 + length;
  }
  return values;
}

template <typename T>
void recode_delta(std::span<const uint8_t> plain, std::vector<uint8_t> &out) {
  std::vector<T> values(plain.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), plain.data(), values.size() * sizeof(T));
  DeltaBinaryPackedEncoder<T>::encode(values, out);
}

void recode_byte_arrays(std::span<const uint8_t> plain, bool prefixes, std::vector<uint8_t> &out) {
  std::vector<std::string_view> values = split_byte_arrays(plain);
  std::vector<int32_t> prefix_lengths;
  std::vector<int32_t> lengths;
  std::string_view previous;
  for (std::string_view v : values) {
    size_t prefix = 0;
    if (prefixes) {
      const size_t limit = std::min(previous.size(), v.size());
      while (prefix < limit && previous[prefix] == v[prefix]) ++prefix;
      prefix_lengths.push_back(static_cast<int32_t>(prefix));
    }
    lengths.push_back(static_cast<int32_t>(v.size() - prefix));
    previous = v;
  }
  if (prefixes) DeltaBinaryPackedEncoder<int32_t>::encode(prefix_lengths, out);
  DeltaBinaryPackedEncoder<int32_t>::encode(lengths, out);
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t prefix = prefixes ? static_cast<size_t>(prefix_lengths[i]) : 0;
    out.insert(out.end(), values[i].begin() + static_cast<ptrdiff_t>(prefix), values[i].end());
  }
}

}  // namespace

std::span<const uint8_t> ColumnWriter::recode(std::span<const uint8_t> values, Encoding encoding) {
  std::span<const uint8_t> page = scratch_->page.bytes();
  uint32_t levels_size;
  std::memcpy(&levels_size, page.data(), 4);
  const size_t head = 4 + levels_size;
  joined_.assign(page.begin() + static_cast<ptrdiff_t>(head), page.end());
  joined_.insert(joined_.end(), values.begin(), values.end());
  recoded_.assign(page.begin(), page.begin() + static_cast<ptrdiff_t>(head));
  const bool is64 =
      metadata_.type == PhysicalType::kInt64 || metadata_.type == PhysicalType::kDouble;
  switch (encoding) {
    case Encoding::kDeltaBinaryPacked:
      if (is64) {
        recode_delta<int64_t>(joined_, recoded_);
      } else {
        recode_delta<int32_t>(joined_, recoded_);
      }
      break;
    case Encoding::kByteStreamSplit: {
      const size_t width = is64 ? 8 : 4;
      byte_stream_split_encode(joined_.data(), joined_.size() / width, width, recoded_);
      break;
    }
    case Encoding::kDeltaLengthByteArray:
    case Encoding::kDeltaByteArray:
      recode_byte_arrays(joined_, encoding == Encoding::kDeltaByteArray, recoded_);
      break;
    default:
      throw InvalidArgument(column_message(column_, "cannot re-encode PLAIN values"));
  }
  return recoded_;
}

void ColumnWriter::finish_page(int64_t count, Encoding encoding, std::span<const uint8_t> values) {
  const Encoding target = encoding == Encoding::kPlain ? value_encoding() : encoding;
  if (target != encoding) {
    std::span<const uint8_t> page = recode(values, target);
    append_page(PageType::kDataPage, page, {}, count, target, output_->data);
    other_encodings_ |= uint32_t{1} << static_cast<int>(target);
    return;
  }
  append_page(PageType::kDataPage, scratch_->page.bytes(), values, count, encoding, output_->data);
  if (encoding == Encoding::kPlain) has_plain_ = true;
  if (encoding == Encoding::kRleDictionary) has_dictionary_ = true;
}

void ColumnWriter::write_dictionary_page(std::span<const uint8_t> plain, int64_t count) {
  output_->dictionary.clear();
  append_page(PageType::kDictionaryPage, plain, {}, count, Encoding::kPlain, output_->dictionary);
  has_dictionary_ = true;
}

void ColumnWriter::set_min_max(std::string min, std::string max, bool signed_order) {
  if (!metadata_.statistics) return;
  Statistics &s = *metadata_.statistics;
  if (signed_order) {
    s.min = min;
    s.max = max;
  }
  s.min_value = std::move(min);
  s.max_value = std::move(max);
  s.is_min_value_exact = true;
  s.is_max_value_exact = true;
}

RleEncoder &ColumnWriter::index_encoder(int bit_width) {
  std::unique_ptr<RleEncoder> &encoder = scratch_->index_encoders.at(static_cast<size_t>(bit_width));
  if (!encoder) encoder = std::make_unique<RleEncoder>(bit_width);
  encoder->clear();
  return *encoder;
}

void ColumnWriter::put_indices(std::span<const uint32_t> indices, int bit_width) {
  RleEncoder &encoder = index_encoder(bit_width);
  encoder.encode_with_bit_width(indices);
  scratch_->page.append(encoder.bytes());
}

std::unique_ptr<ColumnWriter> make_column_writer(const Column &column,
                                                 const ColumnWriterOptions &options) {
  const DataType &type = column.type();
  const DataType &value = type.id() == TypeId::kDictionary ? type.value_type() : type;
  if (value.is_binary_like()) return make_byte_array_column_writer(column, options);
  return make_fixed_column_writer(column, options);
}

SchemaElement column_schema_element(const Column &column) {
  SchemaElement e;
  e.name = column.name();
  e.repetition = Repetition::kOptional;
  const DataType &type =
      column.type().id() == TypeId::kDictionary ? column.type().value_type() : column.type();
  auto integer = [&](PhysicalType physical, int bits, bool is_signed, ConvertedType converted) {
    e.type = physical;
    e.logical_type.kind = LogicalType::Kind::kInteger;
    e.logical_type.bit_width = static_cast<int8_t>(bits);
    e.logical_type.is_signed = is_signed;
    e.converted_type = converted;
  };
  switch (type.id()) {
    case TypeId::kBool:
      e.type = PhysicalType::kBoolean;
      break;
    case TypeId::kInt8:
      integer(PhysicalType::kInt32, 8, true, ConvertedType::kInt8);
      break;
    case TypeId::kInt16:
      integer(PhysicalType::kInt32, 16, true, ConvertedType::kInt16);
      break;
    case TypeId::kInt32:
      integer(PhysicalType::kInt32, 32, true, ConvertedType::kInt32);
      break;
    case TypeId::kInt64:
      integer(PhysicalType::kInt64, 64, true, ConvertedType::kInt64);
      break;
    case TypeId::kUInt8:
      integer(PhysicalType::kInt32, 8, false, ConvertedType::kUint8);
      break;
    case TypeId::kUInt16:
      integer(PhysicalType::kInt32, 16, false, ConvertedType::kUint16);
      break;
    case TypeId::kUInt32:
      integer(PhysicalType::kInt32, 32, false, ConvertedType::kUint32);
      break;
    case TypeId::kUInt64:
      integer(PhysicalType::kInt64, 64, false, ConvertedType::kUint64);
      break;
    case TypeId::kFloat32:
      e.type = PhysicalType::kFloat;
      break;
    case TypeId::kFloat64:
      e.type = PhysicalType::kDouble;
      break;
    case TypeId::kString:
      e.type = PhysicalType::kByteArray;
      e.logical_type.kind = LogicalType::Kind::kString;
      e.converted_type = ConvertedType::kUtf8;
      break;
    case TypeId::kBinary:
      e.type = PhysicalType::kByteArray;
      break;
    case TypeId::kTimestamp: {
      e.type = PhysicalType::kInt64;
      e.logical_type.kind = LogicalType::Kind::kTimestamp;
      e.logical_type.is_adjusted_to_utc = !type.timezone().empty();
      const quilt::TimeUnit unit = type.unit();
      e.logical_type.unit = unit == quilt::TimeUnit::kNano    ? TimeUnit::kNanos
                            : unit == quilt::TimeUnit::kMicro ? TimeUnit::kMicros
                                                              : TimeUnit::kMillis;
      // The legacy TIMESTAMP_MILLIS/MICROS mean UTC-adjusted instants
      // (LogicalTypes.md, backward compatibility), and have no nanosecond
      // form: a local (naive) timestamp carries the logical type alone.
      if (e.logical_type.is_adjusted_to_utc && unit != quilt::TimeUnit::kNano) {
        e.converted_type = unit == quilt::TimeUnit::kMicro ? ConvertedType::kTimestampMicros
                                                           : ConvertedType::kTimestampMillis;
      }
      break;
    }
    case TypeId::kDate32:
      e.type = PhysicalType::kInt32;
      e.logical_type.kind = LogicalType::Kind::kDate;
      e.converted_type = ConvertedType::kDate;
      break;
    case TypeId::kDictionary:
      throw InvalidArgument(column_message(column, "a dictionary of dictionaries"));
  }
  return e;
}

}  // namespace quilt::parquet
