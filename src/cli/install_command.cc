#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/package_ref.h"
#include "cli/progress.h"
#include "quilt/json.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "registry/config.h"

namespace quilt::cli {
namespace {

struct InstallArgs {
  std::string name;
  std::string registry;
  std::string top_hash;
  std::string dest;
  std::string path;
  bool json = false;
};

// quilt3's default: <default_install_location or the current directory>/USER/PKG.
std::string default_dest(const PackageName& name) {
  QuiltConfig config = read_quilt_config();
  std::string base = config.default_install_location
                         ? local_path_of(*config.default_install_location)
                         : absolute_path(".");
  return base + "/" + name.str();
}

int run_install(const InstallArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  InstallOptions options;
  options.dest = args.dest.empty() ? default_dest(ref.name) : args.dest;
  options.path = args.path.empty() ? ref.path : args.path;
  ThreadPool pool;
  std::string hash = args.top_hash.empty() ? ref.top_hash : args.top_hash;
  Package listed = registry->browse(ref.name, hash);
  ProgressBar bar("installing", listed.entries().size(), listed.total_size());
  options.on_progress = [&bar](uint64_t files, uint64_t bytes) { bar.add(files, bytes); };
  Package package = registry->install(ref.name, listed.top_hash(), options, pool);
  bar.finish();
  size_t files = options.path.empty() ? package.entries().size() : 0;
  if (!options.path.empty()) {
    files = package.find(options.path) ? 1 : package.under(options.path).size();
  }
  if (args.json) {
    Json out = Json::object();
    out.set("name", Json(ref.name.str()));
    out.set("top_hash", Json(package.top_hash()));
    out.set("dest", Json(absolute_path(options.dest)));
    out.set("files", Json(static_cast<uint64_t>(files)));
    print_json(out);
  } else {
    std::fprintf(stderr, "installed %zu files of %s@%s into %s\n", files, ref.name.str().c_str(),
                 package.top_hash().substr(0, 12).c_str(), absolute_path(options.dest).c_str());
  }
  return 0;
}

}  // namespace

void add_install_command(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto args = std::make_shared<InstallArgs>();
  CLI::App* cmd = app.add_subcommand("install", "Copy a package's files into a directory, verified");
  cmd->add_option("name", args->name, "Package name USER/PKG[@HASH] or Quilt URI")->required();
  cmd->add_option("--registry", args->registry, "Registry directory or URL (default: local)");
  cmd->add_option("--top-hash", args->top_hash, "Revision: a top hash or a prefix of 6+ digits");
  cmd->add_option("--dest", args->dest, "Directory to install into (default: ./USER/PKG)");
  cmd->add_option("--path", args->path, "Install only this logical key or directory");
  cmd->add_flag("--json", args->json, "Print {name, top_hash, dest, files}");
  cmd->callback([run, args] { *run = [args] { return run_install(*args); }; });
}

}  // namespace quilt::cli
