#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

namespace quilt::cli {


/// Register a command on `app`; the returned callback runs it after parsing.
using CommandRunner = std::function<int()>;

/// Add `quiltcpp hash FILE... [--type T] [--json]`.
void add_hash_command(CLI::App& app, std::shared_ptr<CommandRunner> run);
/// Add `quiltcpp top-hash MANIFEST [--json]`.
void add_top_hash_command(CLI::App& app, std::shared_ptr<CommandRunner> run);

/// Return the exit code DESIGN.md assigns to the exception in flight, after
/// printing it as one line on stderr. Call only inside a catch block.
int report_current_exception();

}  // namespace quilt::cli
