#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "quilt/json.h"
#include "quilt/manifest.h"
#include "quilt/thread_pool.h"

namespace quilt::cli {
namespace {

struct TopHashArgs {
  std::string manifest;
  bool json = false;
};

int run_top_hash(const TopHashArgs& args) {
  ThreadPool pool;
  ManifestReadOptions options;
  options.pool = &pool;
  std::string path = args.manifest == "-" ? "/dev/stdin" : args.manifest;
  auto loaded = std::make_unique<Manifest>(read_manifest_file(path, options));
  const Manifest& manifest = *loaded;
  std::string top_hash = compute_top_hash(manifest, &pool);
  // The process ends next: the OS takes the pages back far faster than
  // millions of frees would, so the manifest is deliberately not destroyed.
  (void)loaded.release();
  if (!args.json) {
    std::printf("%s\n", top_hash.c_str());
    return 0;
  }
  Json out = Json::object();
  out.set("manifest", Json(args.manifest));
  out.set("top_hash", Json(top_hash));
  out.set("entries", Json(static_cast<uint64_t>(manifest.entries.size())));
  out.set("directories", Json(static_cast<uint64_t>(manifest.directories.size())));
  std::string text;
  out.dump_manifest(text);
  std::printf("%s\n", text.c_str());
  return 0;
}

}  // namespace

void add_top_hash_command(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto args = std::make_shared<TopHashArgs>();
  CLI::App* cmd = app.add_subcommand(
      "top-hash", "Print the top hash of a manifest ('-' reads standard input), as quilt3 computes it");
  cmd->add_option("manifest", args->manifest, "Manifest file (JSON Lines)")->required();
  cmd->add_flag("--json", args->json, "Print {manifest, top_hash, entries, directories}");
  cmd->callback([run, args] { *run = [args] { return run_top_hash(*args); }; });
}

}  // namespace quilt::cli
