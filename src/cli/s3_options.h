#pragma once

#include <CLI/CLI.hpp>

#include "storage/s3/config.h"

namespace quilt::cli {

/// Add the S3 connection flags (--endpoint-url, --profile, --region, --no-sign-request,
/// --addressing) to `command`; they fill `overrides`, which win over the environment, the
/// per-bucket configuration and the AWS files (docs/s3.md).
void add_s3_options(CLI::App* command, s3::ConfigOverrides& overrides);

}  // namespace quilt::cli
