#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/package_ref.h"
#include "quilt/registry.h"

namespace quilt::cli {
namespace {

struct DeleteArgs {
  std::string name;
  std::string registry;
  std::string top_hash;
};

int run_delete(const DeleteArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  std::string hash = args.top_hash.empty() ? ref.top_hash : args.top_hash;
  if (hash.empty()) {
    registry->delete_package(ref.name);
    std::fprintf(stderr, "deleted %s from %s\n", ref.name.str().c_str(), registry->url().c_str());
  } else {
    std::string full = registry->resolve(ref.name, hash);
    registry->delete_version(ref.name, full);
    std::fprintf(stderr, "deleted revision %s of %s\n", full.c_str(), ref.name.str().c_str());
  }
  return 0;
}

struct RollbackArgs {
  std::string name;
  std::string registry;
  std::string top_hash;
};

int run_rollback(const RollbackArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  std::string full = registry->resolve(ref.name, args.top_hash.empty() ? ref.top_hash : args.top_hash);
  registry->rollback(ref.name, full);
  std::printf("%s\n", full.c_str());
  return 0;
}

}  // namespace

void add_delete_rollback_commands(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto del = std::make_shared<DeleteArgs>();
  CLI::App* d = app.add_subcommand("delete", "Delete a package, or one revision (--top-hash)");
  d->add_option("name", del->name, "Package name USER/PKG[@HASH] or Quilt URI")->required();
  d->add_option("--registry", del->registry, "Registry directory or URL (default: local)");
  d->add_option("--top-hash", del->top_hash, "Delete only this revision; latest moves back");
  d->callback([run, del] { *run = [del] { return run_delete(*del); }; });

  auto rb = std::make_shared<RollbackArgs>();
  CLI::App* r = app.add_subcommand("rollback", "Point latest at an earlier revision");
  r->add_option("name", rb->name, "Package name USER/PKG or Quilt URI")->required();
  r->add_option("--registry", rb->registry, "Registry directory or URL (default: local)");
  r->add_option("--top-hash", rb->top_hash, "The revision: a top hash or a prefix of 6+ digits")->required();
  r->callback([run, rb] { *run = [rb] { return run_rollback(*rb); }; });
}

}  // namespace quilt::cli
