// Cross-checks against Debian's numpy (/usr/bin/python3): numpy writes, we
// read; we write, numpy reads; and our bytes equal numpy's.
#include <gtest/gtest.h>

#include <sstream>

#include "quilt/ndarray.h"
#include "test_util.h"

namespace quilt {
namespace {

bool have_numpy() {
  try {
    test::run_python("import numpy\n");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Writes NAME.npy plus NAME.raw (the elements, little-endian, in memory order)
// for every case, and prints the names.
constexpr const char* kGenerate = R"PY(
import numpy as np, os, sys
d = sys.argv[1] if len(sys.argv) > 1 else os.environ["NPY_DIR"]
rng = np.random.default_rng(7)
codes = ['?', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', 'c8', 'c16']
shapes = [(), (0,), (3, 0), (5,), (2, 3), (2, 3, 4)]
for code in codes:
    for si, shape in enumerate(shapes):
        for order in 'CF':
            x = rng.standard_normal(shape) * 1000
            if code == '?':
                a = x > 0
            elif code.startswith('c'):
                a = (x + 1j * rng.standard_normal(shape)).astype(code)
            else:
                a = x.astype('f8').astype(code) if code[0] == 'f' else (x % 100).astype(code)
            if code == 'f8' and a.size > 1:
                a.flat[1] = np.nan
            a = np.asfortranarray(a) if order == 'F' else np.ascontiguousarray(a)
            variants = [('v1', a, None)]
            if si == 4:
                variants += [('v2', a, (2, 0)), ('v3', a, (3, 0))]
                if np.dtype(code).itemsize > 1:
                    variants.append(('be', a.astype(np.dtype(code).newbyteorder('>')), None))
            for tag, arr, version in variants:
                name = '%s_%s_%d_%s' % (tag, code.replace('?', 'b'), si, order)
                with open(os.path.join(d, name + '.npy'), 'wb') as f:
                    if version is None:
                        np.save(f, arr)
                    else:
                        np.lib.format.write_array(f, arr, version=version)
                le = arr.astype(arr.dtype.newbyteorder('<'), order='K')
                with open(os.path.join(d, name + '.raw'), 'wb') as f:
                    f.write(le.tobytes(order='A'))
                print(name)
)PY";

// For every NAME.ours.npy: numpy loads it equal to NAME.npy, and (unless the
// original was big-endian) its bytes equal numpy's.
constexpr const char* kCheck = R"PY(
import numpy as np, os, sys
d = os.environ.get("NPY_DIR") or sys.argv[1]
bad = []
for name in sys.stdin.read().split():
    ref = np.load(os.path.join(d, name + '.npy'))
    ours = np.load(os.path.join(d, name + '.ours.npy'))
    same = (ref.shape == ours.shape and ref.dtype.newbyteorder('=') == ours.dtype and
            ref.flags.f_contiguous == ours.flags.f_contiguous and
            np.array_equal(ref, ours, equal_nan=ref.dtype.kind in 'fc'))
    if not same:
        bad.append(name + ': values differ')
    if not name.startswith('be_'):
        a = open(os.path.join(d, name + '.npy'), 'rb').read()
        b = open(os.path.join(d, name + '.ours.npy'), 'rb').read()
        if a != b:
            bad.append(name + ': bytes differ')
print('\n'.join(bad) if bad else 'ok')
)PY";

std::string with_dir(const char* script, const std::string& dir) {
  return "import os\nos.environ['NPY_DIR'] = " + std::string("'") + dir + "'\n" + script;
}

TEST(NpyNumpy, ReadsWhatNumpyWritesAndNumpyReadsWhatWeWrite) {
  // scripts/setup installs python3-numpy: a missing numpy is a broken set-up,
  // which must fail here rather than pass unnoticed.
  ASSERT_TRUE(have_numpy()) << "numpy is not installed for /usr/bin/python3 (scripts/setup)";
  test::TempDir dir;
  const std::string d = dir.path().string();
  std::istringstream names(test::run_python(with_dir(kGenerate, d)));
  std::string name;
  std::string listed;
  int count = 0;
  while (names >> name) {
    SCOPED_TRACE(name);
    NDArray a = read_npy_file(d + "/" + name + ".npy");
    const std::string raw = test::read_file(d + "/" + name + ".raw");
    ASSERT_EQ(a.nbytes(), raw.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(a.data().data()), a.nbytes()), raw);
    NpyWriteOptions options{.version = name[0] == 'v' ? name[1] - '0' : 0};
    std::string out;
    write_npy(
        a, [&out](std::span<const uint8_t> b) { out.append(b.begin(), b.end()); }, options);
    dir.write(name + ".ours.npy", out);
    listed += name + "\n";
    ++count;
  }
  EXPECT_GT(count, 14 * 12);
  EXPECT_EQ(test::run_python(with_dir(kCheck, d), listed), "ok\n");
}

}  // namespace
}  // namespace quilt
