#include <cstdio>
#include <exception>
#include <memory>

#include "cli/command.h"
#include "cli/s3_options.h"
#include "quilt/errors.h"
#include "quilt/json.h"
#include "storage/s3/clients.h"

namespace quilt::cli {

void print_json(const Json& value) {
  std::string text;
  value.dump_manifest(text);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int report_current_exception() {
  int code = 10;
  std::string message;
  try {
    throw;
  } catch (const InvalidArgument& e) {
    code = 2, message = e.what();
  } catch (const NotFound& e) {
    code = 3, message = e.what();
  } catch (const Corrupt& e) {
    code = 4, message = e.what();
  } catch (const Conflict& e) {
    code = 5, message = e.what();
  } catch (const IoError& e) {
    code = 6, message = e.what();
  } catch (const RemoteError& e) {
    code = 7, message = e.what();
  } catch (const std::bad_alloc&) {
    message = "out of memory";
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown error";
  }
  std::fflush(stdout);
  std::fprintf(stderr, "quiltcpp: error: %s\n", message.c_str());
  return code;
}

}  // namespace quilt::cli

int main(int argc, char** argv) {
  using namespace quilt::cli;
  CLI::App app{"quiltcpp: fast, quilt3-compatible data packages", "quiltcpp"};
  app.set_version_flag("--version", "quiltcpp " QUILT_VERSION);
  app.require_subcommand(1);
  auto run = std::make_shared<CommandRunner>();
  add_hash_command(app, run);
  add_top_hash_command(app, run);
  add_build_push_commands(app, run);
  add_install_command(app, run);
  add_browse_commands(app, run);
  add_diff_verify_commands(app, run);
  add_delete_rollback_commands(app, run);
  add_convert_command(app, run);
  add_head_schema_commands(app, run);
  // Every command that can reach S3 takes the connection flags; they become the defaults of
  // the process's S3 clients (storage/s3/clients.h).
  quilt::s3::ConfigOverrides s3_flags;
  for (CLI::App* command : app.get_subcommands({})) {
    if (command->get_name() != "convert" && command->get_name() != "top-hash") {
      add_s3_options(command, s3_flags);
    }
  }
  try {
    app.parse(argc, argv);
    quilt::s3::set_default_overrides(s3_flags);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 whatever CLI11 would choose (DESIGN.md's table).
    std::fprintf(stderr, "quiltcpp: error: %s\n", e.what());
    std::fprintf(stderr, "Run 'quiltcpp --help' for usage.\n");
    return 2;
  }
  try {
    return (*run)();
  } catch (...) {
    return report_current_exception();
  }
}
