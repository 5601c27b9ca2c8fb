#include "storage/s3/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "quilt/errors.h"

extern char** environ;  // NOLINT: POSIX declares it in no header

namespace quilt::s3 {
namespace {

// ---------------------------------------------------------------------------------------------
// The shared AWS files, parsed as botocore parses them (Python's configparser, then its own
// nested-section step): full-line comments only, option names lower-cased, `=` or `:` between
// name and value, an indented line continuing the option above it.

// One option of a section: a plain value, or a nested section (`s3 =` followed by indented
// `name = value` lines).
struct IniValue {
  std::string text;
  std::map<std::string, std::string> nested;
  bool is_nested = false;
};

using IniSection = std::map<std::string, IniValue>;

struct IniFile {
  std::string path;  // empty: no file (HOME unset and no variable naming one)
  bool exists = false;
  std::map<std::string, IniSection> sections;  // by the name between the brackets
};

std::string trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r\n\f\v");
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t\r\n\f\v");
  return std::string(s.substr(begin, end - begin + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

[[noreturn]] void throw_parse_error(const std::string& path, int line, const std::string& what) {
  throw InvalidArgument(path + ":" + std::to_string(line) + ": " + what);
}

// Split the continuation lines of a nested option (`s3 =` then indented lines) into names and
// values. Blank lines are skipped; a line without '=' is an error at its own line number.
void add_nested_line(IniValue& value, const std::string& text, const std::string& path, int line) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    // Never echo the line: it may be a secret that lost its `name =`.
    throw_parse_error(path, line, "expected 'name = value' in a nested section");
  }
  std::string name = lower(trim(text.substr(0, eq)));
  if (name.empty()) throw_parse_error(path, line, "a nested setting without a name");
  value.nested[name] = trim(text.substr(eq + 1));
}

IniFile parse_ini(const std::string& path) {
  IniFile file;
  file.path = path;
  if (path.empty()) return file;
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return file;  // a missing file is no error
  if (std::filesystem::is_directory(status)) {
    throw IoError("AWS configuration file " + path + " is a directory", EISDIR);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io_error("cannot read AWS configuration file", path, errno);
  file.exists = true;

  IniSection* section = nullptr;
  IniValue* option = nullptr;  // the option that more deeply indented lines continue
  size_t option_indent = 0;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string text = trim(line);
    // Blank lines are skipped, inside a nested section too, as botocore does.
    if (text.empty()) continue;
    if (text.front() == '#' || text.front() == ';') continue;
    size_t indent = line.find_first_not_of(" \t");
    if (option != nullptr && indent > option_indent) {
      if (option->is_nested) {
        add_nested_line(*option, text, path, number);
      } else {
        option->text += "\n" + text;  // configparser's multi-line value
      }
      continue;
    }
    if (text.front() == '[') {
      if (text.back() != ']' || text.size() < 3) {
        throw_parse_error(path, number, "a section header must look like [name]");
      }
      std::string name = trim(std::string_view(text).substr(1, text.size() - 2));
      if (name.empty()) throw_parse_error(path, number, "empty section name");
      if (file.sections.count(name) != 0) {
        throw_parse_error(path, number, "section [" + name + "] appears twice");
      }
      section = &file.sections[name];
      option = nullptr;
      continue;
    }
    size_t delimiter = text.find_first_of("=:");
    if (delimiter == std::string::npos || delimiter == 0) {
      // Never echo the line: it may be a secret key that lost its `name =`.
      throw_parse_error(path, number, "expected [section], 'name = value' or a comment");
    }
    if (section == nullptr) {
      throw_parse_error(path, number, "a setting before the first [section]");
    }
    std::string name = lower(trim(text.substr(0, delimiter)));
    if (section->count(name) != 0) {
      throw_parse_error(path, number, "setting '" + name + "' appears twice in its section");
    }
    IniValue& value = (*section)[name];
    value.text = trim(text.substr(delimiter + 1));
    value.is_nested = value.text.empty();
    option = &value;
    option_indent = indent;
  }
  if (in.bad()) throw_io_error("cannot read AWS configuration file", path, errno);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Profiles.

// A profile as seen in one file: where it is (for messages) and its section.
struct ProfileSection {
  const IniSection* section = nullptr;
  std::string where;  // "/root/.aws/config [profile dev]"
};

// `[NAME]` in the credentials file.
ProfileSection credentials_profile(const IniFile& file, const std::string& profile) {
  auto it = file.sections.find(profile);
  if (it == file.sections.end()) return {};
  return {&it->second, file.path + " [" + profile + "]"};
}

// `[profile NAME]` in the config file, or `[default]` for the default profile. Another plain
// `[NAME]` there is not a profile (the AWS CLI ignores it).
ProfileSection config_profile(const IniFile& file, const std::string& profile) {
  for (const auto& [name, section] : file.sections) {
    if (name.rfind("profile", 0) == 0 && name.size() > 7 && (name[7] == ' ' || name[7] == '\t') &&
        trim(std::string_view(name).substr(8)) == profile) {
      return {&section, file.path + " [" + name + "]"};
    }
  }
  if (profile == "default") {
    auto it = file.sections.find("default");
    if (it != file.sections.end()) return {&it->second, file.path + " [default]"};
  }
  return {};
}

// A setting of the profile and where it was found: the credentials file's section wins key by
// key over the config file's, as botocore merges them.
struct Setting {
  const IniValue* value = nullptr;
  std::string where;
};

Setting profile_setting(const ProfileSection& credentials, const ProfileSection& config,
                        const std::string& name) {
  for (const ProfileSection* p : {&credentials, &config}) {
    if (p->section == nullptr) continue;
    auto it = p->section->find(name);
    if (it != p->section->end()) return {&it->second, p->where};
  }
  return {};
}

// A plain value of the profile (a nested section given where a value belongs is an error).
std::optional<std::pair<std::string, std::string>> profile_value(const ProfileSection& credentials,
                                                                 const ProfileSection& config,
                                                                 const std::string& name) {
  Setting s = profile_setting(credentials, config, name);
  if (s.value == nullptr) return std::nullopt;
  if (s.value->is_nested && !s.value->nested.empty()) {
    throw InvalidArgument(s.where + ": '" + name + "' must be a value, not a nested section");
  }
  if (s.value->text.empty()) return std::nullopt;
  return std::make_pair(s.value->text, s.where);
}

// A setting of the nested `s3 =` section of the profile.
std::optional<std::pair<std::string, std::string>> profile_s3_value(
    const ProfileSection& credentials, const ProfileSection& config, const std::string& name) {
  Setting s = profile_setting(credentials, config, "s3");
  if (s.value == nullptr) return std::nullopt;
  if (!s.value->is_nested) {
    throw InvalidArgument(s.where +
                          ": 's3' must be a nested section ('s3 =' then indented "
                          "'name = value' lines)");
  }
  auto it = s.value->nested.find(name);
  if (it == s.value->nested.end() || it->second.empty()) return std::nullopt;
  return std::make_pair(it->second, s.where + " s3." + name);
}

// ---------------------------------------------------------------------------------------------
// The environment and validation.

// A size as the AWS CLI writes one: digits, optionally followed by KB, MB, GB or TB (or KiB,
// MiB, GiB, TiB), each a power of 1024.
uint64_t parse_size(const std::string& text, const std::string& where) {
  auto bad = [&]() -> uint64_t {
    throw InvalidArgument("bad size '" + text + "' (from " + where +
                          "): expected bytes, or a number with KB, MB, GB or TB");
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return bad();
  uint64_t value = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() == 3 && unit[1] == 'I') unit.erase(1, 1);  // KiB -> KB
  static const std::pair<const char*, int> kUnits[] = {{"", 0}, {"B", 0}, {"KB", 10}, {"MB", 20}, {"GB", 30}, {"TB", 40}};
  for (const auto& [name, shift] : kUnits) {
    if (unit == name) {
      if (shift > 0 && value > (~uint64_t{0} >> shift)) return bad();
      return value << shift;
    }
  }
  return bad();
}

std::optional<std::string> env_value(const Environment& environment, const std::string& name) {
  auto it = environment.find(name);
  if (it == environment.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// `~` and `~/...` expand to HOME, as the AWS CLI expands these paths.
std::string expand_home(const std::string& path, const Environment& environment) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    if (auto home = env_value(environment, "HOME")) return *home + path.substr(1);
  }
  return path;
}

std::string shared_file_path(const Environment& environment, const char* variable,
                             const char* default_name) {
  if (auto path = env_value(environment, variable)) return expand_home(*path, environment);
  if (auto home = env_value(environment, "HOME")) return *home + "/.aws/" + default_name;
  return {};
}

std::string describe_file(const IniFile& file, const char* variable) {
  if (file.path.empty()) return std::string("no file (HOME and ") + variable + " are unset)";
  return file.exists ? file.path : file.path + " (absent)";
}

// The URL with any user info replaced, for messages: user info may carry a password. Anything
// before the last '@' counts, since a pasted secret may hold '/' (which would end the authority).
std::string redact_url(const std::string& url) {
  size_t at = url.rfind('@');
  if (at == std::string::npos) return url;
  size_t scheme_end = url.find("://");
  size_t authority = scheme_end == std::string::npos || scheme_end > at ? 0 : scheme_end + 3;
  return url.substr(0, authority) + "<user info removed>" + url.substr(at);
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// Check an endpoint URL and return it normalised: lower-case scheme, no trailing '/'.
std::string validate_endpoint(const std::string& url, const std::string& where) {
  auto bad = [&](const std::string& why) -> InvalidArgument {
    return InvalidArgument("bad S3 endpoint URL '" + redact_url(url) + "' (from " + where +
                           "): " + why);
  };
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw bad("expected http://HOST[:PORT] or https://...");
  std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") throw bad("the scheme must be http or https");
  if (url.find('@') != std::string::npos) throw bad("user info is not allowed");
  std::string rest = url.substr(scheme_end + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t stop = rest.find_first_of("/?#");
  if (stop != std::string::npos) {
    switch (rest[stop]) {
      case '?':
        throw bad("a query is not allowed");
      case '#':
        throw bad("a fragment is not allowed");
      default:
        throw bad("a path is not allowed (the bucket goes in the request, not here)");
    }
  }
  std::string host = rest;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // IPv6 literal
    size_t close = rest.find(']');
    if (close == std::string::npos) throw bad("unclosed '[' in the host");
    host = rest.substr(0, close + 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) throw bad("empty port");
    }
    std::string inside = host.substr(1, host.size() - 2);
    if (inside.empty() ||
        inside.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      throw bad("malformed IPv6 address");
    }
  } else {
    size_t colon = rest.find(':');
    if (colon != std::string::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      if (port.empty()) throw bad("empty port");
    }
    if (host.empty()) throw bad("no host");
    if (!std::all_of(host.begin(), host.end(), is_host_char))
      throw bad("bad character in the host");
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      throw bad("the port must be a number from 1 to 65535");
    }
  }
  return scheme + "://" + rest;
}

void validate_region(const std::string& region, const std::string& where) {
  bool ok = !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
  if (!ok) {
    throw InvalidArgument("bad AWS region '" + region + "' (from " + where +
                          "): expected letters, digits, '-', '_' or '.', like us-east-1");
  }
}

// Profile settings that obtain credentials in ways quiltcpp does not implement; a profile
// holding one and no keys would otherwise go anonymous and fail later with a puzzling 403.
constexpr const char* kUnsupportedCredentialSettings[] = {
    "role_arn",    "credential_process",      "sso_start_url",
    "sso_session", "web_identity_token_file", "credential_source"};

// Static keys of one profile section, or nullopt when it has neither key.
std::optional<Credentials> section_credentials(const ProfileSection& p) {
  if (p.section == nullptr) return std::nullopt;
  auto get = [&](const char* name) -> std::string {
    auto it = p.section->find(name);
    return it == p.section->end() ? std::string() : it->second.text;
  };
  std::string id = get("aws_access_key_id");
  std::string secret = get("aws_secret_access_key");
  if (id.empty() && secret.empty()) return std::nullopt;
  if (id.empty()) {
    throw InvalidArgument(p.where + " has aws_secret_access_key but no aws_access_key_id");
  }
  if (secret.empty()) {
    throw InvalidArgument(p.where + " has aws_access_key_id " + id +
                          " but no aws_secret_access_key");
  }
  Credentials credentials{id, secret, std::nullopt};
  std::string token = get("aws_session_token");
  if (!token.empty()) credentials.session_token = token;
  return credentials;
}

bool parse_no_sign_request(const std::string& value) {
  std::string v = lower(value);
  if (v == "true") return true;
  if (v == "false") return false;
  throw InvalidArgument("AWS_NO_SIGN_REQUEST must be true or false, got '" + value + "'");
}

}  // namespace

Environment process_environment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const char* eq = std::strchr(*entry, '=');
    if (eq == nullptr) continue;
    environment.emplace(std::string(*entry, static_cast<size_t>(eq - *entry)), std::string(eq + 1));
  }
  return environment;
}

ClientConfig resolve_config(const ConfigOverrides& overrides, const Environment& environment) {
  // Profile, and whether it was named (a named profile must exist).
  std::string profile = "default";
  std::string profile_origin;
  if (overrides.profile && !overrides.profile->empty()) {
    profile = *overrides.profile;
    profile_origin = "--profile";
  } else if (auto p = env_value(environment, "AWS_PROFILE")) {
    profile = *p;
    profile_origin = "AWS_PROFILE";
  } else if (auto p = env_value(environment, "AWS_DEFAULT_PROFILE")) {
    profile = *p;
    profile_origin = "AWS_DEFAULT_PROFILE";
  }

  IniFile credentials_file =
      parse_ini(shared_file_path(environment, "AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  IniFile config_file = parse_ini(shared_file_path(environment, "AWS_CONFIG_FILE", "config"));
  ProfileSection in_credentials = credentials_profile(credentials_file, profile);
  ProfileSection in_config = config_profile(config_file, profile);
  if (!profile_origin.empty() && in_credentials.section == nullptr &&
      in_config.section == nullptr) {
    throw InvalidArgument(
        "AWS profile '" + profile + "' (from " + profile_origin + ") is defined in neither " +
        describe_file(credentials_file, "AWS_SHARED_CREDENTIALS_FILE") + " ([" + profile +
        "]) nor " + describe_file(config_file, "AWS_CONFIG_FILE") + " ([profile " + profile + "])");
  }

  ClientConfig config;

  // Credentials.
  bool anonymous = false;
  std::string anonymous_origin;
  if (overrides.anonymous) {
    anonymous = *overrides.anonymous;
    anonymous_origin = "--no-sign-request";
  } else if (auto v = env_value(environment, "AWS_NO_SIGN_REQUEST")) {
    anonymous = parse_no_sign_request(*v);
    anonymous_origin = "AWS_NO_SIGN_REQUEST";
  }
  if (anonymous) {
    config.credentials_source = "anonymous (" + anonymous_origin + ")";
  } else {
    auto id = env_value(environment, "AWS_ACCESS_KEY_ID");
    auto secret = env_value(environment, "AWS_SECRET_ACCESS_KEY");
    if (id && !secret) {
      throw InvalidArgument("the environment has AWS_ACCESS_KEY_ID " + *id +
                            " but no AWS_SECRET_ACCESS_KEY");
    }
    if (secret && !id) {
      throw InvalidArgument("the environment has AWS_SECRET_ACCESS_KEY but no AWS_ACCESS_KEY_ID");
    }
    if (id) {
      config.credentials = Credentials{*id, *secret, env_value(environment, "AWS_SESSION_TOKEN")};
      config.credentials_source = "environment";
    } else if (auto c = section_credentials(in_credentials)) {
      config.credentials = std::move(c);
      config.credentials_source = in_credentials.where;
    } else if (auto c = section_credentials(in_config)) {
      config.credentials = std::move(c);
      config.credentials_source = in_config.where;
    } else {
      for (const char* name : kUnsupportedCredentialSettings) {
        Setting s = profile_setting(in_credentials, in_config, name);
        if (s.value != nullptr) {
          throw InvalidArgument(s.where + " obtains credentials with '" + std::string(name) +
                                "', which quiltcpp does not support; give it "
                                "aws_access_key_id and aws_secret_access_key, or set "
                                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        }
      }
      config.credentials_source = "anonymous (no credentials found in the environment, " +
                                  describe_file(credentials_file, "AWS_SHARED_CREDENTIALS_FILE") +
                                  " or " + describe_file(config_file, "AWS_CONFIG_FILE") +
                                  " for profile '" + profile + "')";
    }
  }

  // Region.
  std::optional<std::pair<std::string, std::string>> region;
  if (overrides.region && !overrides.region->empty()) {
    region = {{*overrides.region, "--region"}};
  } else if (auto r = env_value(environment, "AWS_REGION")) {
    region = {{*r, "AWS_REGION"}};
  } else if (auto r = env_value(environment, "AWS_DEFAULT_REGION")) {
    region = {{*r, "AWS_DEFAULT_REGION"}};
  } else {
    region = profile_value(in_credentials, in_config, "region");
  }
  if (region) {
    validate_region(region->first, region->second);
    config.region = region->first;
  }

  // Endpoint.
  std::optional<std::pair<std::string, std::string>> endpoint;
  if (overrides.endpoint_url && !overrides.endpoint_url->empty()) {
    endpoint = {{*overrides.endpoint_url, "--endpoint-url"}};
  } else if (auto e = env_value(environment, "AWS_ENDPOINT_URL_S3")) {
    endpoint = {{*e, "AWS_ENDPOINT_URL_S3"}};
  } else if (auto e = env_value(environment, "AWS_ENDPOINT_URL")) {
    endpoint = {{*e, "AWS_ENDPOINT_URL"}};
  } else if (auto e = profile_s3_value(in_credentials, in_config, "endpoint_url")) {
    endpoint = e;
  } else {
    endpoint = profile_value(in_credentials, in_config, "endpoint_url");
  }
  if (endpoint) config.endpoint = validate_endpoint(endpoint->first, endpoint->second);

  // Addressing.
  if (overrides.addressing) {
    config.addressing = *overrides.addressing;
  } else {
    std::string style = "auto";
    std::string where;
    bool auto_allowed = true;  // the profile may say auto; QUILT_S3_ADDRESSING may not
    if (auto a = env_value(environment, "QUILT_S3_ADDRESSING")) {
      style = *a;
      where = "QUILT_S3_ADDRESSING";
      auto_allowed = false;
    } else if (auto a = profile_s3_value(in_credentials, in_config, "addressing_style")) {
      style = a->first;
      where = a->second;
    }
    std::string allowed = auto_allowed ? "path, virtual or auto" : "path or virtual";
    if (style == "path") {
      config.addressing = Addressing::kPath;
    } else if (style == "virtual") {
      config.addressing = Addressing::kVirtual;
    } else if (style == "auto" && auto_allowed) {
      config.addressing = config.endpoint.empty() ? Addressing::kVirtual : Addressing::kPath;
    } else {
      throw InvalidArgument("bad S3 addressing style '" + style + "' (from " + where +
                            "): expected " + allowed);
    }
  }

  // Conditional writes.
  if (overrides.conditional_writes) {
    config.conditional_writes = *overrides.conditional_writes;
  } else if (auto c = env_value(environment, "QUILT_S3_CONDITIONAL_WRITES")) {
    if (*c != "true" && *c != "false") {
      throw InvalidArgument("QUILT_S3_CONDITIONAL_WRITES must be true or false, not '" + *c + "'");
    }
    config.conditional_writes = *c == "true";
  } else {
    config.conditional_writes = config.endpoint.empty();
  }

  // Multipart threshold.
  constexpr uint64_t kMostInOnePut = uint64_t{5} << 30;
  config.multipart_threshold = config.endpoint.empty() ? uint64_t{8} << 20 : kMostInOnePut;
  std::optional<std::pair<std::string, std::string>> threshold;
  if (overrides.multipart_threshold) {
    threshold = {{std::to_string(*overrides.multipart_threshold), "the caller"}};
  } else if (auto t = env_value(environment, "QUILT_S3_MULTIPART_THRESHOLD")) {
    threshold = {{*t, "QUILT_S3_MULTIPART_THRESHOLD"}};
  } else {
    threshold = profile_s3_value(in_credentials, in_config, "multipart_threshold");
  }
  if (threshold) {
    config.multipart_threshold = parse_size(threshold->first, threshold->second);
    if (config.multipart_threshold > kMostInOnePut) {
      throw InvalidArgument("multipart threshold '" + threshold->first + "' (from " +
                            threshold->second + ") is more than one PUT may carry (5 GiB)");
    }
  }

  // CA bundle.
  if (auto ca = env_value(environment, "AWS_CA_BUNDLE")) {
    config.ca_bundle = expand_home(*ca, environment);
  } else if (auto ca = profile_value(in_credentials, in_config, "ca_bundle")) {
    config.ca_bundle = expand_home(ca->first, environment);
  }
  return config;
}

}  // namespace quilt::s3
