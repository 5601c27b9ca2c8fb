#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "quilt/errors.h"
#include "quilt/ndarray.h"
#include "test_util.h"

namespace quilt {
namespace {

constexpr DType kAllDtypes[] = {
    DType::kBool,    DType::kInt8,    DType::kInt16,     DType::kInt32,     DType::kInt64,
    DType::kUInt8,   DType::kUInt16,  DType::kUInt32,    DType::kUInt64,    DType::kFloat16,
    DType::kFloat32, DType::kFloat64, DType::kComplex64, DType::kComplex128};

std::string to_npy(const NDArray& a, NpyWriteOptions options = {}) {
  std::string out;
  write_npy(
      a, [&out](std::span<const uint8_t> b) { out.append(b.begin(), b.end()); }, options);
  return out;
}

// Keep the string alive as the buffer's owner.
Buffer buffer_of(std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  return Buffer(owned->data(), owned->size(), owned);
}

NDArray patterned(DType dtype, std::vector<int64_t> shape, Order order) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<uint8_t> bytes(static_cast<size_t>(n) * dtype_size(dtype));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  if (dtype == DType::kBool) {
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = i % 3 == 0;
  }
  return NDArray::make(dtype, std::move(shape), Buffer::from_vector(std::move(bytes)), order);
}

template <class F>
std::string corrupt_message(F f) {
  try {
    f();
  } catch (const Corrupt& e) {
    return e.what();
  }
  return "(no Corrupt)";
}

TEST(Npy, RoundTripsEveryDtypeInBothOrders) {
  for (DType dtype : kAllDtypes) {
    for (Order order : {Order::kC, Order::kFortran}) {
      NDArray a = patterned(dtype, {2, 3}, order);
      NDArray b = read_npy(buffer_of(to_npy(a)), "mem");
      EXPECT_TRUE(a.equals(b)) << dtype_name(dtype);
      EXPECT_EQ(b.order(), order);
    }
  }
}

TEST(Npy, RoundTripsZeroDimensionalAndEmptyArrays) {
  for (std::vector<int64_t> shape : {std::vector<int64_t>{}, {0}, {3, 0}, {0, 5, 2}}) {
    NDArray a = patterned(DType::kFloat64, shape, Order::kC);
    NDArray b = read_npy(buffer_of(to_npy(a)), "mem");
    EXPECT_TRUE(a.equals(b));
    EXPECT_EQ(b.shape(), shape);
  }
  NDArray scalar = NDArray::from_vector(DType::kInt64, std::vector<int64_t>{42}, {});
  EXPECT_EQ(scalar.size(), 1);
  EXPECT_EQ(read_npy(buffer_of(to_npy(scalar)), "mem").values<int64_t>()[0], 42);
}

TEST(Npy, WritesNumpysHeaderLayout) {
  NDArray a = NDArray::from_vector(DType::kFloat64, std::vector<double>(12, 1.0), {3, 4});
  std::string bytes = to_npy(a);
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes.substr(10, dict.size()), dict);
  EXPECT_EQ(bytes.size(), 128u + 96u);  // header padded to 64 bytes, then the data
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_EQ(static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8, 118);
  NDArray one = NDArray::from_vector(DType::kUInt8, std::vector<uint8_t>{1}, {1});
  EXPECT_NE(to_npy(one).find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(to_npy(one).find("'shape': (1,)"), std::string::npos);
}

TEST(Npy, WritesAndReadsVersions1To3) {
  NDArray a = patterned(DType::kInt32, {4, 2}, Order::kFortran);
  for (int version : {1, 2, 3}) {
    std::string bytes = to_npy(a, {.version = version});
    EXPECT_EQ(bytes[6], static_cast<char>(version));
    EXPECT_EQ((bytes.size() - a.nbytes()) % 64, 0u);
    EXPECT_TRUE(a.equals(read_npy(buffer_of(bytes), "mem")));
  }
  EXPECT_THROW(to_npy(a, {.version = 4}), InvalidArgument);
}

TEST(Npy, LongHeaderMovesToVersion2) {
  NDArray a = patterned(DType::kUInt8, std::vector<int64_t>(30000, 1), Order::kC);
  std::string bytes = to_npy(a);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_TRUE(a.equals(read_npy(buffer_of(bytes), "mem")));
  EXPECT_THROW(to_npy(a, {.version = 1}), InvalidArgument);
}

TEST(Npy, ReadsBigEndianBySwapping) {
  std::string header = "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size());
  bytes += '\0';
  bytes += header + std::string("\x00\x00\x01\x02\xff\xff\xff\xfe", 8);
  NDArray a = read_npy(buffer_of(bytes), "be.npy");
  EXPECT_EQ(a.values<int32_t>()[0], 0x0102);
  EXPECT_EQ(a.values<int32_t>()[1], -2);
}

TEST(Npy, ReadingIsZeroCopyWhenAligned) {
  NDArray a = patterned(DType::kFloat64, {8}, Order::kC);
  Buffer bytes = buffer_of(to_npy(a));
  NDArray b = read_npy(bytes, "mem");
  EXPECT_EQ(b.data().data(), bytes.data() + 128);
  EXPECT_EQ(b.data().owner(), bytes.owner());
}

std::string valid_npy() {
  return to_npy(NDArray::from_vector(DType::kInt16, std::vector<int16_t>{1, 2, 3}, {3}));
}

std::string with_header(std::string dict) {
  dict += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(dict.size() & 0xFF);
  bytes += static_cast<char>(dict.size() >> 8);
  return bytes + dict;
}

TEST(Npy, RejectsBadInputWithClearErrors) {
  auto read = [](std::string bytes) { return read_npy(buffer_of(std::move(bytes)), "x.npy"); };
  std::string good = valid_npy();
  EXPECT_EQ(read(good).size(), 3);
  std::string msg = corrupt_message([&] { read(good.substr(0, good.size() - 1)); });
  EXPECT_NE(msg.find("NPY x.npy: shape (3) of <i2 needs 6 data bytes, found 5"), std::string::npos)
      << msg;
  msg = corrupt_message([&] { read(good.substr(0, 40)); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = corrupt_message([&] { read(good.substr(0, 5)); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = corrupt_message([&] { read("\x93NUMPZ" + good.substr(6)); });
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
  msg = corrupt_message([&] { read(with_header("['descr', '<i2']")); });
  EXPECT_NE(msg.find("header is not a dict"), std::string::npos) << msg;
  msg = corrupt_message(
      [&] { read(with_header("{'descr': '<q9', 'fortran_order': False, 'shape': (0,), }")); });
  EXPECT_NE(msg.find("unknown descr '<q9'"), std::string::npos) << msg;
  msg = corrupt_message(
      [&] { read(with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }")); });
  EXPECT_NE(msg.find("needs 4 data bytes, found 0"), std::string::npos) << msg;
  msg = corrupt_message([&] { read(with_header("{'descr': '<i2', 'shape': (0,), }")); });
  EXPECT_NE(msg.find("lacks"), std::string::npos) << msg;
  msg = corrupt_message([&] { read(with_header("{'descr': '<i2', 'shape': (-1,), }")); });
  EXPECT_NE(msg.find("non-negative integer"), std::string::npos) << msg;
  msg = corrupt_message([&] {
    read(with_header("{'descr': [('a', '<i2')], 'fortran_order': False, 'shape': (0,), }"));
  });
  EXPECT_NE(msg.find("structured"), std::string::npos) << msg;
  std::string v9 = good;
  v9[6] = 9;
  msg = corrupt_message([&] { read(v9); });
  EXPECT_NE(msg.find("unsupported format version 9.0"), std::string::npos) << msg;
}

TEST(Npy, ReadsFilesAndNamesMissingOnes) {
  test::TempDir dir;
  std::string path = dir.write("a.npy", valid_npy());
  EXPECT_EQ(read_npy_file(path).values<int16_t>()[2], 3);
  EXPECT_THROW(read_npy_file(path + ".missing"), IoError);
  std::string bad = dir.write("bad.npy", "nope");
  std::string msg = corrupt_message([&] { read_npy_file(bad); });
  EXPECT_NE(msg.find(bad), std::string::npos) << msg;
}

}  // namespace
}  // namespace quilt

namespace quilt {
namespace {

TEST(Npy, EveryTruncationIsCorrupt) {
  const std::string good =
      to_npy(NDArray::from_vector(DType::kFloat32, std::vector<float>{1, 2, 3}, {3}));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(read_npy(buffer_of(good.substr(0, n)), "cut.npy"), Corrupt) << n;
  }
}

TEST(Npy, RejectsShapesThatOverflow) {
  std::string msg = corrupt_message([] {
    read_npy(buffer_of(with_header("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (4611686018427387904, 4), }")),
             "huge.npy");
  });
  EXPECT_NE(msg.find("overflows"), std::string::npos) << msg;
  msg = corrupt_message([] {
    read_npy(buffer_of(with_header("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (99999999999999999999,), }")),
             "huge.npy");
  });
  EXPECT_NE(msg.find("too large"), std::string::npos) << msg;
}

}  // namespace
}  // namespace quilt
