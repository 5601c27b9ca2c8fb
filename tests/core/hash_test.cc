#include "quilt/hash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "core/sha256_lanes.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr char kPython[] = "/usr/bin/python3";

// The inputs of chunked_checksums.tsv: bytes(i % 251 for i in range(size)).
std::vector<uint8_t> pattern_bytes(size_t size) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(i % 251);
  return out;
}

std::vector<std::vector<std::string>> read_tsv(const std::string& name) {
  std::string path = std::string(QUILT_TEST_DATA_DIR) + "/compat/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::istringstream split(line);
    for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

// Run `script` under /usr/bin/python3 and return its standard output.
std::string run_python(const std::string& script) {
  std::string command = std::string(kPython) + " -c '" + script + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) out.append(buffer, n);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(HashType, NamesRoundTrip) {
  for (HashType t : {HashType::kSha256, HashType::kSha2256Chunked, HashType::kCrc64Nvme}) {
    EXPECT_EQ(parse_hash_type(hash_type_name(t)), t);
  }
  EXPECT_EQ(hash_type_name(HashType::kSha256), "SHA256");
  EXPECT_EQ(hash_type_name(HashType::kSha2256Chunked), "sha2-256-chunked");
  EXPECT_EQ(hash_type_name(HashType::kCrc64Nvme), "CRC64NVME");
}

TEST(HashType, UnknownNameNamesItAndTheKnownOnes) {
  try {
    parse_hash_type("md5");
    FAIL() << "md5 was accepted";
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("'md5'"), std::string::npos) << message;
    EXPECT_NE(message.find("SHA256"), std::string::npos) << message;
    EXPECT_NE(message.find("sha2-256-chunked"), std::string::npos) << message;
    EXPECT_NE(message.find("CRC64NVME"), std::string::npos) << message;
  }
  // Manifest names are case-sensitive, as quilt3's are.
  EXPECT_THROW(parse_hash_type("sha256"), InvalidArgument);
  EXPECT_THROW(parse_hash_type(""), InvalidArgument);
}

TEST(ChunkedHash, EmptyInput) {
  EXPECT_EQ(hash_bytes({}).value, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(hash_bytes({}).type, HashType::kSha2256Chunked);
}

TEST(ChunkedHash, PartSizesMatchQuilt3) {
  auto rows = read_tsv("chunk_sizes.tsv");
  ASSERT_GE(rows.size(), 9u);
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    uint64_t size = std::stoull(row[0]);
    uint64_t part_size = chunked_part_size(size);
    EXPECT_EQ(part_size, std::stoull(row[1])) << "size " << size;
    EXPECT_EQ((size + part_size - 1) / part_size, std::stoull(row[2])) << "size " << size;
  }
}

TEST(ChunkedHash, PartSizeDoublesOnlyPastTenThousandParts) {
  EXPECT_EQ(chunked_part_size(10000 * 8 * kMiB), 8 * kMiB);
  EXPECT_EQ(chunked_part_size(10000 * 8 * kMiB + 1), 16 * kMiB);
  EXPECT_EQ(chunked_part_size(UINT64_C(1) << 50), UINT64_C(1) << 37);  // 1 PiB: 8192 parts
}

TEST(ChunkedHash, MatchesQuilt3Vectors) {
  auto rows = read_tsv("chunked_checksums.tsv");
  ASSERT_GE(rows.size(), 6u);
  ThreadPool pool(2);
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    std::vector<uint8_t> data = pattern_bytes(std::stoull(row[0]));
    EXPECT_EQ(hash_bytes(data).value, row[2]) << "size " << row[0] << ", no pool";
    EXPECT_EQ(hash_bytes(data, HashType::kSha2256Chunked, &pool).value, row[2])
        << "size " << row[0] << ", pool";
    EXPECT_TRUE(verify_bytes(data, Hash{HashType::kSha2256Chunked, row[2]}, &pool));
  }
}

TEST(ChunkedHash, MatchesPythonHashlibAroundPartBoundaries) {
  std::mt19937_64 rng(20240611);
  std::vector<uint64_t> sizes = {8 * kMiB - 1, 8 * kMiB + 1, 16 * kMiB, 24 * kMiB + 1};
  for (int i = 0; i < 3; ++i) {
    int64_t jitter = static_cast<int64_t>(rng() % 2001) - 1000;
    sizes.push_back((1 + rng() % 3) * 8 * kMiB + jitter);
  }
  std::string args;
  for (uint64_t s : sizes) args += std::to_string(s) + ",";
  std::string script =
      "import hashlib, base64\n"
      "pattern = bytes(range(251))\n"
      "for size in [" +
      args +
      "]:\n"
      "    data = (pattern * (size // 251 + 1))[:size]\n"
      "    part = 8 << 20\n"
      "    while -(-size // part) > 10000: part *= 2\n"
      "    parts = [hashlib.sha256(data[i:i + part]).digest() for i in range(0, size, part)]\n"
      "    print(base64.b64encode(hashlib.sha256(b\"\".join(parts)).digest()).decode())\n";
  std::vector<std::string> expected = lines_of(run_python(script));
  ASSERT_EQ(expected.size(), sizes.size()) << kPython << " did not answer (is it installed?)";
  ThreadPool pool(2);
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<uint8_t> data = pattern_bytes(sizes[i]);
    EXPECT_EQ(hash_bytes(data, HashType::kSha2256Chunked, &pool).value, expected[i])
        << "size " << sizes[i];
    EXPECT_EQ(hash_bytes(data).value, expected[i]) << "size " << sizes[i] << ", no pool";
  }
}

TEST(Sha256Hash, HexMatchesOpenSslAndHashlib) {
  std::vector<uint8_t> data = pattern_bytes(1000003);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr), 1);
  std::string hex = detail::to_hex({digest, length});
  Hash h = hash_bytes(data, HashType::kSha256);
  EXPECT_EQ(h.type, HashType::kSha256);
  EXPECT_EQ(h.value, hex);
  std::string python = run_python(
      "import hashlib\n"
      "print(hashlib.sha256((bytes(range(251)) * 4000)[:1000003]).hexdigest())\n");
  EXPECT_EQ(python, hex + "\n") << kPython << " must be installed";
  EXPECT_EQ(hash_bytes({}, HashType::kSha256).value,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Hash, VerifyAcceptsEitherHexCase) {
  std::string text = "hello";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  std::string hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  EXPECT_TRUE(verify_bytes(bytes, Hash{HashType::kSha256, hex}));
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(verify_bytes(bytes, Hash{HashType::kSha256, upper}));
  EXPECT_FALSE(verify_bytes(bytes, Hash{HashType::kSha256, hex.substr(1)}));
  EXPECT_FALSE(verify_bytes(bytes, Hash{HashType::kSha2256Chunked, hex}));
}

// Feed each lane its own message in random pieces, all lanes at each step,
// and compare every digest with OpenSSL's.
void check_lanes(size_t lanes, bool allow_sha_ni, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<uint8_t>> messages(lanes);
  for (auto& m : messages) {
    size_t length = rng() % 4 == 0 ? rng() % 3 * 64 + rng() % 2 : rng() % 70000;
    m.resize(length);
    for (uint8_t& b : m) b = static_cast<uint8_t>(rng());
  }
  detail::Sha256Lanes sha(lanes, allow_sha_ni);
  std::vector<size_t> at(lanes, 0);
  for (bool more = true; more;) {
    more = false;
    std::vector<std::span<const uint8_t>> pieces(lanes);
    for (size_t i = 0; i < lanes; ++i) {
      size_t n =
          std::min<size_t>(messages[i].size() - at[i], rng() % 3 == 0 ? rng() % 70 : rng() % 9000);
      pieces[i] = std::span<const uint8_t>(messages[i]).subspan(at[i], n);
      at[i] += n;
      more = more || at[i] < messages[i].size();
    }
    sha.update(pieces);
  }
  std::vector<detail::Sha256Digest> digests = sha.finish();
  ASSERT_EQ(digests.size(), lanes);
  for (size_t i = 0; i < lanes; ++i) {
    EXPECT_EQ(digests[i], detail::sha256(messages[i]))
        << "lanes=" << lanes << " lane=" << i << " length=" << messages[i].size()
        << " sha_ni=" << allow_sha_ni << " seed=" << seed;
  }
}

TEST(Sha256Hash, LanesMatchOpenSsl) {
  if (!detail::cpu_has_sha_ni()) {
    std::printf("note: no SHA-NI on this CPU; only the OpenSSL path of Sha256Lanes runs\n");
  }
  for (uint64_t seed = 0; seed < 40; ++seed) {
    for (size_t lanes = 1; lanes <= detail::kMaxSha256Lanes; ++lanes) {
      check_lanes(lanes, true, seed);
      check_lanes(lanes, false, seed);
    }
  }
}

TEST(Sha256Hash, LanesPaddingBoundaries) {
  // Lengths where the padding needs one block or two: 55, 56, 63, 64, 119, 120.
  std::vector<uint8_t> data = pattern_bytes(200);
  for (size_t n : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 200u}) {
    detail::Sha256Lanes sha(4);
    std::span<const uint8_t> m(data.data(), n);
    std::vector<std::span<const uint8_t>> pieces = {m, m.first(n / 2), {}, m.last(n / 3)};
    sha.update(pieces);
    std::vector<detail::Sha256Digest> d = sha.finish();
    EXPECT_EQ(d[0], detail::sha256(m)) << n;
    EXPECT_EQ(d[1], detail::sha256(m.first(n / 2))) << n;
    EXPECT_EQ(d[2], detail::sha256({})) << n;
    EXPECT_EQ(d[3], detail::sha256(m.last(n / 3))) << n;
  }
  EXPECT_THROW(detail::Sha256Lanes(0), InvalidArgument);
  EXPECT_THROW(detail::Sha256Lanes(detail::kMaxSha256Lanes + 1), InvalidArgument);
}

TEST(HashEncoding, Base64PaddingForms) {
  auto b64 = [](std::string_view s) {
    return detail::to_base64({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("\xfb\xff"), "+/8=");
}

}  // namespace
}  // namespace quilt
