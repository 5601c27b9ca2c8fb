#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/json.h"
#include "quilt/physical_key.h"
#include "quilt/thread_pool.h"
#include "storage/s3/clients.h"

namespace quilt::cli {
namespace {

struct HashArgs {
  std::vector<std::string> files;
  std::string type = "sha2-256-chunked";
  bool json = false;
};

// Accept the manifest spelling of a hash type in any letter case.
HashType parse_type_option(const std::string& text) {
  for (HashType t : {HashType::kSha2256Chunked, HashType::kSha256, HashType::kCrc64Nvme}) {
    std::string_view name = hash_type_name(t);
    if (name.size() == text.size() &&
        std::equal(name.begin(), name.end(), text.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return t;
    }
  }
  return parse_hash_type(text);  // throws InvalidArgument listing the known types
}

FileHash hash_stdin(HashType type, ThreadPool& pool) {
  StreamHasher hasher(type, std::nullopt, &pool);
  std::vector<uint8_t> buffer(1 << 20);
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", "standard input", errno);
    if (n == 0) break;
    hasher.update({buffer.data(), static_cast<size_t>(n)});
  }
  uint64_t size = hasher.size();
  return FileHash{"-", size, hasher.finish()};
}

// Hash an S3 object by streaming it: nothing is written to disk.
FileHash hash_s3_object(const std::string& url, HashType type, ThreadPool& pool) {
  // The bar starts with the first bytes, when hash_object's HEAD has given the size.
  std::optional<ProgressBar> progress;
  s3::ObjectHash result = s3::hash_object(
      PhysicalKey::from_url(url), type, &pool, [&](uint64_t bytes, uint64_t size) {
        if (!progress) progress.emplace("hash", 1, size);
        progress->add(0, bytes);
      });
  return FileHash{url, result.size, result.hash};
}

void print_json(const std::vector<FileHash>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    const FileHash& r = results[i];
    Json row = Json::object();
    row.set("path", Json(r.path));
    row.set("size", Json(r.size));
    Json hash = Json::object();
    hash.set("type", Json(std::string(hash_type_name(r.hash.type))));
    hash.set("value", Json(r.hash.value));
    row.set("hash", std::move(hash));
    out += i == 0 ? "" : ", ";
    row.dump_manifest(out);
  }
  out += "]\n";
  std::fputs(out.c_str(), stdout);
}

int run_hash(const HashArgs& args) {
  HashType type = parse_type_option(args.type);
  ThreadPool pool;
  std::vector<FileHash> results;
  std::vector<std::string> paths;
  auto is_s3 = [](const std::string& f) { return f.starts_with("s3://"); };
  for (const std::string& f : args.files) {
    if (f != "-" && !is_s3(f)) paths.push_back(f);
  }
  std::vector<FileHash> file_results = hash_files(paths, type, pool);
  size_t next = 0;
  for (const std::string& f : args.files) {
    if (f == "-") {
      results.push_back(hash_stdin(type, pool));
    } else if (is_s3(f)) {
      results.push_back(hash_s3_object(f, type, pool));
    } else {
      results.push_back(std::move(file_results[next++]));
    }
  }
  if (args.json) {
    print_json(results);
  } else if (results.size() == 1) {
    std::printf("%s\n", results[0].hash.value.c_str());
  } else {
    for (const FileHash& r : results) std::printf("%s  %s\n", r.hash.value.c_str(), r.path.c_str());
  }
  return 0;
}

}  // namespace

void add_hash_command(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd = app.add_subcommand(
      "hash",
      "Print the hash of files ('-' reads standard input, s3://BUCKET/KEY[?versionId=V] streams "
      "an S3 object), as a manifest records it");
  cmd->add_option("files", args->files, "Files or s3:// URLs to hash")->required();
  cmd->add_option("--type,-t", args->type,
                  "Hash type: sha2-256-chunked (default), SHA256 or CRC64NVME");
  cmd->add_flag("--json", args->json, "Print a JSON array of {path, size, hash}");
  cmd->callback([run, args] { *run = [args] { return run_hash(*args); }; });
}

}  // namespace quilt::cli
