#include <cstdio>
#include <functional>
#include <string>

#include "cli/command.h"
#include "cli/package_ref.h"
#include "cli/progress.h"
#include "quilt/errors.h"
#include "quilt/json.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"

namespace quilt::cli {
namespace {

struct BuildArgs {
  std::string name;
  std::string dir;
  std::string registry;
  std::string from_registry;
  std::string top_hash;
  std::string message;
  std::string meta;
  std::string dest;      // push --dest: where the data goes (default: the registry)
  std::string selector;  // push --selector: all, local, none (default: see selector_of)
  bool has_message = false;
  bool force = false;
  bool dedupe = false;
  bool json = false;
};

void report(const char* verb, const PackageName& name, const Registry& registry,
            const PushResult& result, bool json) {
  const Package& pkg = result.package;
  if (json) {
    Json out = Json::object();
    out.set("name", Json(name.str()));
    out.set("registry", Json(registry.url()));
    out.set("top_hash", Json(pkg.top_hash()));
    out.set("entries", Json(static_cast<uint64_t>(pkg.entries().size())));
    out.set("bytes", Json(pkg.total_size()));
    out.set("skipped", Json(result.skipped));
    print_json(out);
    return;
  }
  if (result.skipped) {
    std::fprintf(stderr, "%s: %s is already at %s (--dedupe): nothing written\n", verb,
                 name.str().c_str(), pkg.top_hash().c_str());
  } else {
    std::fprintf(stderr, "%s %s: %zu entries, %llu bytes, into %s\n", verb, name.str().c_str(),
                 pkg.entries().size(), static_cast<unsigned long long>(pkg.total_size()),
                 registry.url().c_str());
  }
  std::printf("%s\n", pkg.top_hash().c_str());
}

// The entries `push --selector NAME` copies (quilt3's selector_fn): every one, only local
// files, or none. Without --selector, push's default applies: every entry except those already
// in the bucket their data would go to.
std::function<bool(const ManifestEntry&)> selector_of(const std::string& name) {
  if (name.empty()) return {};
  if (name == "all") return [](const ManifestEntry&) { return true; };
  if (name == "local") return [](const ManifestEntry& e) { return e.physical_key.is_local(); };
  if (name == "none") return [](const ManifestEntry&) { return false; };
  throw InvalidArgument("--selector '" + name + "' is not one of all, local, none");
}

void set_destination(const BuildArgs& args, PushOptions& push) {
  push.dest = args.dest;
  push.selector = selector_of(args.selector);
}

// Package `args.dir` as quilt3's `push --dir` does: the directory alone, with
// user_meta from --meta (null without), on top of the current latest.
int run_dir(const BuildArgs& args, bool copy_data) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  std::string parent;
  try {
    parent = registry->latest(ref.name);
  } catch (const NotFound&) {
  }
  ThreadPool pool;
  PushOptions push;
  push.parent = parent;
  push.force = args.force;
  push.dedupe = args.dedupe;
  push.copy_data = copy_data;
  if (copy_data) set_destination(args, push);
  // Large files go up while they are hashed, before the build (S3 registries only).
  if (copy_data) registry->upload_ahead(ref.name, args.dir, push);
  PackageBuilder builder;
  SetDirOptions options;
  options.meta = args.meta.empty() ? Json() : Json::parse(args.meta);
  builder.set_dir("", args.dir, options);
  builder.set_message(args.has_message ? std::optional<std::string>(args.message) : std::nullopt);
  Package package = builder.build(pool);
  ProgressBar bar("pushing", package.entries().size(), package.total_size());
  if (copy_data) push.on_progress = [&bar](uint64_t files, uint64_t bytes) { bar.add(files, bytes); };
  PushResult result = registry->push(ref.name, package, push, pool);
  bar.finish();
  report(copy_data ? "pushed" : "built", ref.name, *registry, result, args.json);
  return 0;
}

// Push a revision that exists in one registry (the default) into another.
int run_push_revision(const BuildArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> source = open_registry(args.from_registry, &ref);
  if (args.registry.empty()) {
    throw InvalidArgument("push without --dir needs --registry (where to push)");
  }
  std::unique_ptr<Registry> dest = open_registry(args.registry);
  if (dest->url() == source->url()) {
    throw InvalidArgument("push: source and destination are the same registry " + dest->url());
  }
  Package package = source->browse(ref.name, args.top_hash.empty() ? ref.top_hash : args.top_hash);
  std::string parent;
  try {
    parent = dest->latest(ref.name);
  } catch (const NotFound&) {
  }
  ThreadPool pool;
  PushOptions push;
  push.parent = parent;
  push.force = args.force;
  push.dedupe = args.dedupe;
  set_destination(args, push);
  ProgressBar bar("pushing", package.entries().size(), package.total_size());
  push.on_progress = [&bar](uint64_t files, uint64_t bytes) { bar.add(files, bytes); };
  PushResult result = dest->push(ref.name, package, push, pool);
  bar.finish();
  report("pushed", ref.name, *dest, result, args.json);
  return 0;
}

CLI::App* add_common(CLI::App& app, const char* name, const char* help, BuildArgs& args) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("name", args.name, "Package name USER/PKG or Quilt URI")->required();
  cmd->add_option("--registry", args.registry, "Registry directory or URL (default: local)");
  cmd->add_option("--message,-m", args.message, "Message of the new revision");
  cmd->add_option("--meta", args.meta, "Package user_meta as JSON");
  cmd->add_flag("--force", args.force, "Write even if latest moved since the start");
  cmd->add_flag("--dedupe", args.dedupe, "Write nothing when latest has the same top hash");
  cmd->add_flag("--json", args.json, "Print {name, registry, top_hash, entries, bytes, skipped}");
  return cmd;
}

}  // namespace

void add_build_push_commands(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto build = std::make_shared<BuildArgs>();
  CLI::App* b = add_common(app, "build",
                           "Record a directory as a new revision (data stays where it is)", *build);
  b->add_option("--dir", build->dir, "Directory to package")->required();
  b->callback([run, build, b] {
    build->has_message = b->count("--message") > 0;
    *run = [build] { return run_dir(*build, false); };
  });
  auto push = std::make_shared<BuildArgs>();
  CLI::App* p = add_common(app, "push",
                           "Copy a directory (or a revision of another registry) into a registry",
                           *push);
  p->add_option("--dir", push->dir, "Directory to package and push");
  p->add_option("--from-registry", push->from_registry,
                "Without --dir: the registry holding the revision (default: local)");
  p->add_option("--top-hash", push->top_hash, "Without --dir: the revision to push (default: latest)");
  p->add_option("--dest", push->dest,
                "Where the data goes: DEST/<logical key> (s3://BUCKET[/PREFIX], or a directory "
                "for a local registry; default: REGISTRY/USER/PKG)");
  p->add_option("--selector", push->selector,
                "Entries whose data is copied: all, local (only local files) or none (keep every "
                "physical key); default: all except those already in the destination's bucket")
      ->check(CLI::IsMember({"all", "local", "none"}));
  p->callback([run, push, p] {
    push->has_message = p->count("--message") > 0;
    *run = [push] { return push->dir.empty() ? run_push_revision(*push) : run_dir(*push, true); };
  });
}

}  // namespace quilt::cli
