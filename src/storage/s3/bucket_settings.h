#pragma once

// Per-bucket S3 settings: a registry in a Ceph or MinIO bucket needs its own endpoint while
// others stay on AWS. They live in quiltcpp's own configuration file,
// `${QUILTCPP_CONFIG:-${XDG_CONFIG_HOME:-~/.config}/quiltcpp/config.yml}`:
//
//   s3:
//     buckets:
//       team-data:
//         endpoint_url: http://127.0.0.1:7480
//         region: us-east-1
//         profile: ceph
//         addressing: path        # or virtual
//         no_sign_request: false
//         conditional_writes: false  # the server honours If-Match on PUT (AWS does)
//
// Command-line flags win over these, and these win over the environment and the AWS files.

#include <string>

#include "storage/s3/config.h"

namespace quilt::s3 {

/// Return the path of quiltcpp's configuration file (it need not exist).
std::string quiltcpp_config_path();

/// Return `overrides` with every field it leaves unset taken from the settings of `bucket`, if
/// the configuration file has any. Throws Corrupt naming the file when it is not YAML, and
/// InvalidArgument naming the file, bucket and setting for a bad value or an unknown setting.
ConfigOverrides with_bucket_settings(const std::string& bucket, ConfigOverrides overrides);

}  // namespace quilt::s3
