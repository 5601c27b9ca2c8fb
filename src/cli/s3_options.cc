#include "cli/s3_options.h"

#include <map>

namespace quilt::cli {

void add_s3_options(CLI::App* command, s3::ConfigOverrides& overrides) {
  const std::string group = "S3";
  command
      ->add_option_function<std::string>(
          "--endpoint-url", [&overrides](const std::string& v) { overrides.endpoint_url = v; },
          "S3 endpoint, e.g. http://127.0.0.1:7480 (default: AWS_ENDPOINT_URL, the profile, AWS)")
      ->group(group);
  command
      ->add_option_function<std::string>(
          "--profile", [&overrides](const std::string& v) { overrides.profile = v; },
          "Profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE, 'default')")
      ->group(group);
  command
      ->add_option_function<std::string>(
          "--region", [&overrides](const std::string& v) { overrides.region = v; },
          "Region to sign for (default: AWS_REGION, the profile's, us-east-1)")
      ->group(group);
  command
      ->add_flag_function(
          "--no-sign-request", [&overrides](int64_t) { overrides.anonymous = true; },
          "Send requests unsigned (public buckets)")
      ->group(group);
  static const std::map<std::string, s3::Addressing> kStyles = {{"path", s3::Addressing::kPath},
                                                                {"virtual", s3::Addressing::kVirtual}};
  command
      ->add_option_function<std::string>(
          "--addressing", [&overrides](const std::string& v) { overrides.addressing = kStyles.at(v); },
          "Bucket addressing: path or virtual (default: virtual for AWS, path elsewhere)")
      ->check(CLI::IsMember({"path", "virtual"}))
      ->group(group);
}

}  // namespace quilt::cli
