#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>

#include "cli/command.h"
#include "cli/package_ref.h"
#include "quilt/errors.h"
#include "quilt/json.h"
#include "quilt/registry.h"

namespace quilt::cli {
namespace {

struct BrowseArgs {
  std::string name;
  std::string registry;
  std::string top_hash;
  bool long_listing = false;
  bool json = false;
};

Json entry_json(const ManifestEntry& e) {
  Json out = Json::object();
  out.set("logical_key", Json(e.logical_key));
  out.set("physical_key", Json(e.physical_key.str()));
  out.set("size", Json(e.size));
  Json hash = Json::object();
  hash.set("type", Json(std::string(hash_type_name(e.hash.type))));
  hash.set("value", Json(e.hash.value));
  out.set("hash", std::move(hash));
  out.set("meta", e.meta.value());
  return out;
}

// Print entries as an indented tree: each directory once, where its entries start.
void print_tree(const Package& package) {
  std::string previous_dir;
  for (const ManifestEntry& e : package.entries()) {
    std::string_view key = e.logical_key;
    size_t slash = key.rfind('/');
    std::string_view dir = slash == std::string_view::npos ? "" : key.substr(0, slash + 1);
    // Print the directories of `dir` that the previous entry was not in.
    size_t common = 0;
    for (size_t i = 0; i < std::min(dir.size(), previous_dir.size()); ++i) {
      if (dir[i] != previous_dir[i]) break;
      if (dir[i] == '/') common = i + 1;
    }
    for (size_t start = common; start < dir.size();) {
      size_t end = dir.find('/', start);
      size_t depth = static_cast<size_t>(std::count(dir.begin(), dir.begin() + start, '/'));
      std::printf("%*s%.*s/\n", static_cast<int>(2 * depth), "", static_cast<int>(end - start),
                  dir.data() + start);
      start = end + 1;
    }
    size_t depth = static_cast<size_t>(std::count(dir.begin(), dir.end(), '/'));
    std::printf("%*s%s\n", static_cast<int>(2 * depth), "", std::string(key.substr(dir.size())).c_str());
    previous_dir = std::string(dir);
  }
}

int run_browse(const BrowseArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  Package package = registry->browse(ref.name, args.top_hash.empty() ? ref.top_hash : args.top_hash);
  if (args.json) {
    Json out = Json::object();
    out.set("name", Json(ref.name.str()));
    out.set("top_hash", Json(package.top_hash()));
    out.set("meta", package.meta());
    Json::Array entries;
    for (const ManifestEntry& e : package.entries()) entries.push_back(entry_json(e));
    out.set("entries", Json(std::move(entries)));
    print_json(out);
    return 0;
  }
  std::printf("%s@%s\n", ref.name.str().c_str(), package.top_hash().c_str());
  if (auto message = package.message()) std::printf("message: %s\n", message->c_str());
  if (!args.long_listing) {
    print_tree(package);
    return 0;
  }
  for (const ManifestEntry& e : package.entries()) {
    std::printf("%12llu  %-16s %s  %s\n", static_cast<unsigned long long>(e.size),
                std::string(hash_type_name(e.hash.type)).c_str(), e.hash.value.c_str(),
                e.logical_key.c_str());
  }
  return 0;
}

struct LogArgs {
  std::string name;
  std::string registry;
  bool json = false;
};

int run_log(const LogArgs& args) {
  PackageRef ref = parse_package_ref(args.name);
  std::unique_ptr<Registry> registry = open_registry(args.registry, &ref);
  std::vector<PackageVersion> versions = registry->list_versions(ref.name);
  std::string latest;
  try {
    latest = registry->latest(ref.name);
  } catch (const Error&) {
  }
  Json::Array rows;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    std::time_t t = static_cast<std::time_t>(it->timestamp);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
    if (args.json) {
      Json row = Json::object();
      row.set("top_hash", Json(it->top_hash));
      row.set("timestamp", Json(it->timestamp));
      row.set("latest", Json(it->top_hash == latest));
      rows.push_back(std::move(row));
    } else {
      std::printf("%s  %s UTC%s\n", it->top_hash.c_str(), when,
                  it->top_hash == latest ? "  (latest)" : "");
    }
  }
  if (args.json) print_json(Json(std::move(rows)));
  return 0;
}

struct ListArgs {
  std::string registry;
  bool json = false;
};

int run_list(const ListArgs& args) {
  std::unique_ptr<Registry> registry = open_registry(args.registry);
  Json::Array names;
  for (const std::string& name : registry->list_packages()) {
    if (args.json) {
      names.push_back(Json(name));
    } else {
      std::printf("%s\n", name.c_str());
    }
  }
  if (args.json) print_json(Json(std::move(names)));
  return 0;
}

}  // namespace

void add_browse_commands(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto browse = std::make_shared<BrowseArgs>();
  CLI::App* b = app.add_subcommand("browse", "Show a package revision's entries");
  b->add_option("name", browse->name, "Package name USER/PKG[@HASH] or Quilt URI")->required();
  b->add_option("--registry", browse->registry, "Registry directory or URL (default: local)");
  b->add_option("--top-hash", browse->top_hash, "Revision: a top hash or a prefix of 6+ digits");
  b->add_flag("--long,-l", browse->long_listing, "List sizes and hashes instead of a tree");
  b->add_flag("--json", browse->json, "Print {name, top_hash, meta, entries}");
  b->callback([run, browse] { *run = [browse] { return run_browse(*browse); }; });

  auto log = std::make_shared<LogArgs>();
  CLI::App* l = app.add_subcommand("log", "List a package's revisions, newest first");
  l->add_option("name", log->name, "Package name USER/PKG or Quilt URI")->required();
  l->add_option("--registry", log->registry, "Registry directory or URL (default: local)");
  l->add_flag("--json", log->json, "Print [{top_hash, timestamp, latest}]");
  l->callback([run, log] { *run = [log] { return run_log(*log); }; });

  auto list = std::make_shared<ListArgs>();
  CLI::App* p = app.add_subcommand("list-packages", "List the packages of a registry");
  p->add_option("--registry", list->registry, "Registry directory or URL (default: local)");
  p->add_flag("--json", list->json, "Print a JSON array of names");
  p->callback([run, list] { *run = [list] { return run_list(*list); }; });
}

}  // namespace quilt::cli
