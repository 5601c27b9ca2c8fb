#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/package_ref.h"
#include "quilt/json.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"

namespace quilt::cli {
namespace {

Json string_array(const std::vector<std::string>& items) {
  Json::Array out;
  for (const std::string& s : items) out.push_back(Json(s));
  return Json(std::move(out));
}

void print_lines(const char* mark, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) std::printf("%s %s\n", mark, key.c_str());
}

struct DiffArgs {
  std::string from;
  std::string to;
  std::string registry;
  bool json = false;
};

// diff FROM TO: what changed going from the first revision to the second.
int run_diff(const DiffArgs& args) {
  PackageRef from = parse_package_ref(args.from);
  PackageRef to = parse_package_ref(args.to);
  Package old_pkg = open_registry(args.registry, &from)->browse(from.name, from.top_hash);
  Package new_pkg = open_registry(args.registry, &to)->browse(to.name, to.top_hash);
  PackageDiff diff = old_pkg.diff(new_pkg);
  if (args.json) {
    Json out = Json::object();
    out.set("added", string_array(diff.added));
    out.set("modified", string_array(diff.modified));
    out.set("deleted", string_array(diff.deleted));
    print_json(out);
  } else {
    print_lines("+", diff.added);
    print_lines("~", diff.modified);
    print_lines("-", diff.deleted);
  }
  return diff.empty() ? 0 : 1;
}

struct VerifyArgs {
  std::string name;
  std::string registry;
  std::string top_hash;
  std::string dir;
  bool extra_files_ok = false;
  bool json = false;
};

int run_verify(const VerifyArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  Package package = registry->browse(ref.name, args.top_hash.empty() ? ref.top_hash : args.top_hash);
  ThreadPool pool;
  VerifyResult result = package.verify(args.dir, pool);
  bool ok = result.ok(args.extra_files_ok);
  if (args.json) {
    Json out = Json::object();
    out.set("ok", Json(ok));
    out.set("missing", string_array(result.missing));
    out.set("modified", string_array(result.modified));
    out.set("extra", string_array(result.extra));
    print_json(out);
  } else {
    print_lines("missing ", result.missing);
    print_lines("modified", result.modified);
    if (!args.extra_files_ok) print_lines("extra   ", result.extra);
    std::fprintf(stderr, "%s: %s %s@%s\n", args.dir.c_str(), ok ? "matches" : "does not match",
                 ref.name.str().c_str(), package.top_hash().substr(0, 12).c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace

void add_diff_verify_commands(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto diff = std::make_shared<DiffArgs>();
  CLI::App* d = app.add_subcommand("diff", "Compare two revisions (exit 1 when they differ)");
  d->add_option("from", diff->from, "USER/PKG[@HASH] or Quilt URI (old side)")->required();
  d->add_option("to", diff->to, "USER/PKG[@HASH] or Quilt URI (new side)")->required();
  d->add_option("--registry", diff->registry, "Registry directory or URL (default: local)");
  d->add_flag("--json", diff->json, "Print {added, modified, deleted}");
  d->callback([run, diff] { *run = [diff] { return run_diff(*diff); }; });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* v = app.add_subcommand("verify", "Check a directory against a revision (exit 1 on differences)");
  v->add_option("name", verify->name, "Package name USER/PKG[@HASH] or Quilt URI")->required();
  v->add_option("--dir", verify->dir, "Directory to check")->required();
  v->add_option("--registry", verify->registry, "Registry directory or URL (default: local)");
  v->add_option("--top-hash", verify->top_hash, "Revision: a top hash or a prefix of 6+ digits");
  v->add_flag("--extra-files-ok", verify->extra_files_ok, "Files no entry names are not a difference");
  v->add_flag("--json", verify->json, "Print {ok, missing, modified, extra}");
  v->callback([run, verify] { *run = [verify] { return run_verify(*verify); }; });
}

}  // namespace quilt::cli
