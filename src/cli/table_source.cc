#include "cli/table_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "cli/package_ref.h"
#include "core/unique_fd.h"
#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/package.h"
#include "quilt/registry.h"
#include "storage/s3/clients.h"

namespace quilt::cli {
namespace {

// The tail fetched first from S3: the footer of most files fits, so reading it costs one GET.
constexpr uint64_t kTailBytes = 64 * 1024;

std::string in_quotes(std::string_view s) {
  return "'" + escape_for_message(s) + "'";
}

bool is_table_extension(std::string_view ext) {
  return ext == "parquet" || ext == "csv" || ext == "tsv" || ext == "ssv";
}

// Read a whole local file. Throws IoError naming it.
Buffer read_local_file(const std::string& path) {
  UniqueFd fd = UniqueFd::open(path, O_RDONLY);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) throw IoError("cannot read '" + path + "': not a regular file");
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::pread(fd.get(), bytes.data() + done, bytes.size() - done,
                        static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", path, errno);
    if (n == 0) throw IoError("file '" + path + "' shrank while being read");
    done += static_cast<size_t>(n);
  }
  return Buffer::from_vector(std::move(bytes));
}

}  // namespace

// Ranged GETs of one S3 object (the version its key names, or the one the first GET saw:
// later GETs require its ETag), keeping what was fetched so the reader's small reads (magic,
// footer, page headers) are served from memory.
struct TableSource::S3Reader {
  PhysicalKey key;
  std::string name;
  std::shared_ptr<s3::Client> client;
  uint64_t size = 0;
  std::string etag;
  std::mutex mu;
  std::vector<std::pair<uint64_t, std::string>> ranges;  // guarded by mu: offset -> bytes

  S3Reader(PhysicalKey k, std::string n, std::optional<uint64_t> expected_size)
      : key(std::move(k)), name(std::move(n)), client(s3::client_for_bucket(key.bucket())) {
    if (!expected_size) {
      std::optional<s3::ObjectMeta> meta =
          client->head_object(key.bucket(), key.s3_key(), key.version_id());
      if (!meta) throw NotFound("no such object: " + key.str());
      size = meta->size;
      etag = meta->etag;
    } else {
      size = *expected_size;
    }
    uint64_t tail = std::min(size, kTailBytes);
    if (tail > 0) fetch(size - tail, tail, expected_size.has_value());
  }

  // GET [offset, offset + length) and keep it. `check_size`: the object must be `size` bytes.
  void fetch(uint64_t offset, uint64_t length, bool check_size = false) {
    s3::GetOptions options;
    options.offset = offset;
    options.length = length;
    options.version_id = key.version_id();
    if (!etag.empty()) options.if_match = etag;
    std::string bytes;
    bytes.reserve(static_cast<size_t>(length));
    s3::ObjectMeta meta = client->get_object(
        key.bucket(), key.s3_key(), options,
        [&](std::span<const uint8_t> piece) { bytes.append(piece.begin(), piece.end()); });
    if (check_size && meta.size != size) {
      throw Corrupt("size mismatch for " + name + " (" + key.str() + "): the entry records " +
                    std::to_string(size) + " bytes, the object has " + std::to_string(meta.size));
    }
    if (etag.empty()) etag = meta.etag;
    if (bytes.size() != length) {
      throw RemoteError(key.str() + ": asked for " + std::to_string(length) + " bytes at " +
                        std::to_string(offset) + ", got " + std::to_string(bytes.size()));
    }
    std::lock_guard lock(mu);
    ranges.emplace_back(offset, std::move(bytes));
  }

  void read_at(uint64_t offset, std::span<uint8_t> out) {
    {
      std::lock_guard lock(mu);
      for (const auto& [start, bytes] : ranges) {
        if (offset >= start && offset + out.size() <= start + bytes.size()) {
          std::memcpy(out.data(), bytes.data() + (offset - start), out.size());
          return;
        }
      }
    }
    fetch(offset, out.size());
    read_at(offset, out);
  }
};

TableSource::TableSource(TableSource&&) noexcept = default;
TableSource& TableSource::operator=(TableSource&&) noexcept = default;
TableSource::~TableSource() = default;

namespace {

// The entry `key` of the package `args` names. Throws NotFound / InvalidArgument.
ManifestEntry find_entry(const TableRefArgs& args, std::string& name) {
  PackageRef ref = parse_package_ref(args.ref);
  if (!args.path.empty() && !ref.path.empty() && args.path != ref.path) {
    throw InvalidArgument("two logical keys given: " + in_quotes(ref.path) + " in " +
                          in_quotes(args.ref) + " and --path " + in_quotes(args.path));
  }
  std::string key = args.path.empty() ? ref.path : args.path;
  if (key.empty()) {
    throw InvalidArgument("name the table inside " + in_quotes(args.ref) +
                          ": give --path KEY (or &path=KEY in a Quilt URI)");
  }
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  Package package = registry->browse(ref.name, ref.top_hash);
  name = ref.name.str() + "@" + package.top_hash().substr(0, 8) + ":" + key;
  const ManifestEntry* entry = package.find(key);
  if (entry != nullptr) return *entry;
  std::string dir = key.ends_with('/') ? key : key + "/";
  if (!package.under(dir).empty()) {
    throw InvalidArgument(in_quotes(key) + " is a directory in " + ref.name.str() +
                          ", not a table: name a file entry under it");
  }
  throw NotFound("no logical key " + in_quotes(key) + " in " + ref.name.str() + "@" +
                 package.top_hash());
}

}  // namespace

TableSource TableSource::open(const TableRefArgs& args) {
  TableSource source;
  const FormatRegistry& formats = FormatRegistry::builtin();
  if (!args.path.empty() || args.ref.starts_with("quilt+")) {
    ManifestEntry entry = find_entry(args, source.name_);
    const PhysicalKey& pk = entry.physical_key;
    if (pk.is_s3()) {
      source.s3_ = pk;
    } else if (pk.is_local()) {
      source.local_path_ = pk.local_path();
    } else {
      throw InvalidArgument("cannot read " + in_quotes(entry.logical_key) + " from " + pk.str() +
                            ": only file:// and s3:// entries are read");
    }
    source.size_ = entry.size;
    // Objects in the content store have no extension; the logical key's stands in.
    source.ext_ = extension_of(pk.is_s3() ? pk.s3_key() : source.local_path_);
    if (source.ext_.empty()) source.ext_ = extension_of(entry.logical_key);
    source.meta_ = entry.meta.value();
    const Format& format = formats.for_meta(source.meta_, source.ext_);
    if (format.name() == "parquet") {
      source.format_ = TableFormat::kParquet;
    } else if (format.name() == "csv") {
      source.format_ = TableFormat::kCsv;
      source.csv_format_ = &format;
    } else {
      throw InvalidArgument(in_quotes(entry.logical_key) + " is not a table: its format is " +
                            in_quotes(format.name()) + " (tables: parquet, csv, tsv, ssv)");
    }
    return source;
  }
  source.name_ = args.ref;
  if (args.ref.starts_with("s3://")) {
    source.s3_ = PhysicalKey::from_url(args.ref);
    source.ext_ = extension_of(source.s3_->s3_key());
  } else {
    source.local_path_ =
        args.ref.starts_with("file://") ? PhysicalKey::from_url(args.ref).local_path() : args.ref;
    source.ext_ = extension_of(source.local_path_);
  }
  if (!is_table_extension(source.ext_)) {
    throw InvalidArgument(in_quotes(args.ref) + " is not a table: its extension is " +
                          in_quotes(source.ext_.empty() ? "(none)" : "." + source.ext_) +
                          " (tables: .parquet, .csv, .tsv, .ssv; a package entry needs --path)");
  }
  if (source.ext_ == "parquet") {
    source.format_ = TableFormat::kParquet;
  } else {
    source.format_ = TableFormat::kCsv;
    source.csv_format_ = formats.find_name("csv");
  }
  return source;
}

ParquetFileInfo TableSource::parquet_info() {
  if (s3_) {
    if (!s3_reader_) {
      s3_reader_ = std::make_unique<S3Reader>(*s3_, name_, size_);
      byte_source_ = std::make_unique<ParquetByteSource>();
      byte_source_->name = name_;
      byte_source_->size = s3_reader_->size;
      S3Reader* reader = s3_reader_.get();
      byte_source_->read_at = [reader](uint64_t offset, std::span<uint8_t> out) {
        reader->read_at(offset, out);
      };
    }
    return read_parquet_info(*byte_source_);
  }
  return read_parquet_info_file(local_path_);
}

Table TableSource::read_parquet_row_groups(const std::vector<int>& groups,
                                           std::optional<std::vector<std::string>> columns) {
  ParquetReadOptions options;
  options.row_groups = groups;
  options.columns = std::move(columns);
  if (!s3_) return read_parquet_file(local_path_, options);
  if (!s3_reader_) parquet_info();
  // One GET for the byte span of the row groups wanted, instead of one per page.
  ParquetFileInfo info = read_parquet_info(*byte_source_);
  uint64_t first = UINT64_MAX, end = 0;
  for (int g : groups) {
    if (g < 0 || static_cast<size_t>(g) >= info.row_groups.size()) continue;
    const ParquetRowGroupInfo& rg = info.row_groups[static_cast<size_t>(g)];
    if (rg.end_byte <= rg.first_byte) continue;
    first = std::min(first, rg.first_byte);
    end = std::max(end, rg.end_byte);
  }
  if (end > first) s3_reader_->fetch(first, end - first);
  return read_parquet(*byte_source_, options);
}

Table TableSource::read_csv_table() {
  Buffer bytes;
  if (s3_) {
    s3::GetOptions options;
    options.version_id = s3_->version_id();
    std::string body =
        s3::client_for_bucket(s3_->bucket())->get_object_bytes(s3_->bucket(), s3_->s3_key(), options);
    if (size_ && body.size() != *size_) {
      throw Corrupt("size mismatch for " + name_ + " (" + s3_->str() + "): the entry records " +
                    std::to_string(*size_) + " bytes, the object has " +
                    std::to_string(body.size()));
    }
    auto owned = std::make_shared<const std::string>(std::move(body));
    bytes = Buffer(owned->data(), owned->size(), owned);
  } else {
    bytes = read_local_file(local_path_);
  }
  Object object = csv_format_->read(bytes, meta_, ext_, name_, nullptr);
  return std::get<Table>(std::move(object));
}

}  // namespace quilt::cli
