// Json against the manifests quilt3 wrote (tests/data/compat): every line
// re-encodes to the same bytes, and the canonical encoding gives quilt3's top hash.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "quilt/json.h"

namespace quilt {
namespace {

const std::filesystem::path kCompatDir = std::filesystem::path(QUILT_TEST_DATA_DIR) / "compat";

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::filesystem::path> manifests() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(kCompatDir)) {
    if (e.path().extension() == ".jsonl") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    hex.push_back("0123456789abcdef"[digest[i] >> 4]);
    hex.push_back("0123456789abcdef"[digest[i] & 0xF]);
  }
  return hex;
}

/// quilt3's top hash, built from Json alone: canonical package meta, then
/// `{"hash","logical_key","meta","size"}` of each entry in manifest order.
std::string top_hash_of(const std::vector<std::string>& lines) {
  std::string text;
  Json meta = Json::parse(lines.at(0));
  meta.erase("top_hash");
  meta.dump_canonical(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    const Json line = Json::parse(lines[i]);
    if (line.find("physical_keys") == nullptr) continue;  // directory meta
    Json part = Json::object();
    part.set("hash", *line.find("hash"));
    part.set("logical_key", *line.find("logical_key"));
    part.set("meta", line.find("meta") ? *line.find("meta") : Json::object());
    part.set("size", *line.find("size"));
    part.dump_canonical(text);
  }
  return sha256_hex(text);
}

TEST(Json, ManifestLinesFromQuilt3RoundTripByteForByte) {
  const auto files = manifests();
  ASSERT_GE(files.size(), 8u) << "compat manifests missing under " << kCompatDir;
  size_t checked = 0;
  for (const auto& path : files) {
    const auto lines = read_lines(path);
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(Json::parse(lines[i]).manifest_text(), lines[i]) << path << " line " << i + 1;
      ++checked;
    }
  }
  EXPECT_GE(checked, 50u);
}

TEST(Json, CanonicalEncodingGivesQuilt3TopHashes) {
  std::map<std::string, std::string> expected;
  for (const auto& row : read_lines(kCompatDir / "top_hashes.tsv")) {
    const size_t tab = row.find('\t');
    if (tab != std::string::npos) expected[row.substr(0, tab)] = row.substr(tab + 1);
  }
  ASSERT_GE(expected.size(), 8u);
  for (const auto& [file, hash] : expected) {
    EXPECT_EQ(top_hash_of(read_lines(kCompatDir / file)), hash) << file;
  }
}

TEST(Json, FloatsAndBigIntsPrintAsQuilt3Printed) {
  // floats_meta.jsonl holds quilt3's own printing of these values (manifest
  // form); the canonical form differs only in separators and key order.
  const auto lines = read_lines(kCompatDir / "floats_meta.jsonl");
  const Json meta = Json::parse(lines.at(0));
  const Json* user_meta = meta.find("user_meta");
  ASSERT_NE(user_meta, nullptr);
  const std::map<std::string, std::string> printed = {{"f01", "0.1"},
                                                      {"f1e_7", "1e-07"},
                                                      {"f1e16", "1e+16"},
                                                      {"f1", "1.0"},
                                                      {"fneg0", "-0.0"},
                                                      {"flong", "123456789.12345679"},
                                                      {"f1e15", "1000000000000000.0"},
                                                      {"f1e_4", "0.0001"},
                                                      {"f1e_5", "1e-05"},
                                                      {"f1e22", "1e+22"},
                                                      {"f1e100", "1e+100"},
                                                      {"fmin", "5e-324"},
                                                      {"fmax", "1.7976931348623157e+308"},
                                                      {"fminnorm", "2.2250738585072014e-308"},
                                                      {"f03", "0.30000000000000004"},
                                                      {"third", "0.3333333333333333"},
                                                      {"f100", "100.0"},
                                                      {"fneg", "-2.5"},
                                                      {"f2p53", "9007199254740992.0"},
                                                      {"f1_5e300", "1.5e+300"},
                                                      {"i2p53p1", "9007199254740993"},
                                                      {"i2p63", "9223372036854775808"},
                                                      {"i2p63m1", "9223372036854775807"},
                                                      {"i2p64p1", "18446744073709551617"},
                                                      {"ineg2p63m1", "-9223372036854775809"},
                                                      {"i10p30", "1000000000000000000000000000000"},
                                                      {"izero", "0"},
                                                      {"ineg", "-1"},
                                                      {"int_vs_float", "[1,1.0,0,-0.0]"}};
  ASSERT_EQ(user_meta->size(), printed.size());
  for (const auto& [key, text] : printed) {
    const Json* v = user_meta->find(key);
    ASSERT_NE(v, nullptr) << key;
    EXPECT_EQ(v->canonical(), text) << key;
    EXPECT_EQ(Json::parse(text), *v) << key;
  }
  EXPECT_EQ(user_meta->find("i2p63")->kind(), Json::Kind::kBigInt);
  EXPECT_EQ(user_meta->find("f2p53")->kind(), Json::Kind::kDouble);
}

}  // namespace
}  // namespace quilt
