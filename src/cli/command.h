#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

namespace quilt {
class Json;
}

namespace quilt::cli {


/// Register a command on `app`; the returned callback runs it after parsing.
using CommandRunner = std::function<int()>;

/// Add `quiltcpp hash FILE... [--type T] [--json]`.
void add_hash_command(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `quiltcpp top-hash MANIFEST [--json]`.
void add_top_hash_command(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `build` and `push` (package a directory, or push a built revision).
void add_build_push_commands(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `install`.
void add_install_command(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `browse`, `log` and `list-packages`.
void add_browse_commands(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `diff` and `verify` (exit 1 when they find differences).
void add_diff_verify_commands(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `delete` and `rollback`.
void add_delete_rollback_commands(CLI::App& app, std::shared_ptr<CommandRunner> run);

/// Add `quiltcpp convert IN OUT [--compression C] [--row-group-size N]`.
void add_convert_command(CLI::App& app, std::shared_ptr<CommandRunner> run);

/// Add `quiltcpp head REF [-n N] [--json]` and `quiltcpp schema REF [--json]`.
void add_head_schema_commands(CLI::App& app, std::shared_ptr<CommandRunner> run);

/// Print a JSON value on stdout, one line.
void print_json(const Json& value);

/// Return the exit code DESIGN.md assigns to the exception in flight, after
/// printing it as one line on stderr. Call only inside a catch block.
int report_current_exception();

}  // namespace quilt::cli
