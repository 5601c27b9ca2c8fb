"""DataFrames through set, build, browse and deserialize, unchanged."""

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import quiltcpp


def round_trip(df, registry, key="df.parquet"):
    """set -> deserialize in memory, and set -> build -> browse -> deserialize."""
    pkg = quiltcpp.Package()
    pkg.set(key, df)
    direct = pkg[key].deserialize()
    pkg.build("test/frames", registry=registry, message="frames")
    browsed = quiltcpp.Package.browse("test/frames", registry=registry)
    again = browsed[key]()
    pdt.assert_frame_equal(direct, again, check_exact=True)
    return direct


def check(df, registry):
    pdt.assert_frame_equal(round_trip(df, registry), df, check_exact=True)


def test_numeric_dtypes(registry):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        name: rng.integers(-100, 100, 50).astype(name)
        for name in ["int8", "int16", "int32", "int64"]})
    for name in ["uint8", "uint16", "uint32", "uint64"]:
        df[name] = rng.integers(0, 200, 50).astype(name)
    df["uint64_big"] = np.array([2**64 - 1 - i for i in range(50)], dtype="uint64")
    df["f32"] = rng.standard_normal(50).astype("float32")
    df["f64"] = rng.standard_normal(50)
    df.loc[3, "f64"] = np.nan
    df["inf"] = np.where(np.arange(50) % 2 == 0, np.inf, -np.inf)
    df["neg_zero"] = -0.0
    check(df, registry)


def test_bools_datetimes_nat(registry):
    df = pd.DataFrame({
        "b": [True, False, True, True, False, False, True, False, True],
        "t": pd.to_datetime(["2020-01-01", None, "1969-12-31 23:59:59.999999999",
                             "2262-04-11", "1677-09-22", None, "2000-02-29 12:00:00.5",
                             "1970-01-01", "2024-06-30 01:02:03.000004"]),
    })
    check(df, registry)


def test_object_strings_with_nulls_and_unicode(registry):
    df = pd.DataFrame({"s": ["plain", None, "", "é", "\U0001F600 astral", "line\u2028sep",
                             "nul\x00byte", np.nan, "quote\"comma,"]})
    out = round_trip(df, registry)
    # NaN and None are both nulls: they come back as None, as pyarrow gives them.
    expected = df.copy()
    expected.loc[7, "s"] = None
    pdt.assert_frame_equal(out, expected, check_exact=True)


def test_ascii_strings_of_every_short_length_across_chunks(registry):
    # ASCII str objects are copied without the GIL, a chunk of 65,536 rows at a
    # time, short ones with overlapping word stores: every length from 0 to
    # 40, a None now and then, over several chunks, must come back as it was.
    letters = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    values = []
    for i in range(200_003):
        if i % 9973 == 0:
            values.append(None)
        else:
            start = i % 20
            values.append(letters[start:start + (i % 41)])
    df = pd.DataFrame({"s": values})
    check(df, registry)


def test_huge_strings(registry):
    df = pd.DataFrame({"s": ["x" * (8 << 20), "\U0001F600" * (1 << 20), "short"]})
    check(df, registry)


def test_bytes_column(registry):
    df = pd.DataFrame({"b": [b"\x00\xff", None, b""]})
    check(df, registry)


def test_categoricals(registry):
    df = pd.DataFrame({
        "c": pd.Categorical(["a", "b", None, "a"], categories=["b", "a", "unused"]),
        "o": pd.Categorical(["lo", "hi", "hi", "lo"], categories=["lo", "hi"], ordered=True),
        "n": pd.Categorical([3, 1, 3, None]),
    })
    check(df, registry)


def test_nullable_dtypes(registry):
    df = pd.DataFrame({
        "Int64": pd.array([1, None, -3, 2**62], dtype="Int64"),
        "Int8": pd.array([1, None, -3, 7], dtype="Int8"),
        "UInt32": pd.array([1, None, 3, 4], dtype="UInt32"),
        "Float64": pd.array([1.5, None, 3.0, -0.0], dtype="Float64"),
        "boolean": pd.array([True, None, False, True], dtype="boolean"),
        "string": pd.array(["a", None, "\U0001F600", ""], dtype="string"),
    })
    check(df, registry)


def test_tz_aware(registry):
    df = pd.DataFrame({
        "utc": pd.date_range("2020-01-01", periods=4, freq="H", tz="UTC"),
        "ny": pd.date_range("2020-03-08", periods=4, freq="H", tz="America/New_York"),
    })
    df.loc[2, "ny"] = pd.NaT
    check(df, registry)


@pytest.mark.parametrize("index", [
    pd.RangeIndex(3),
    pd.RangeIndex(10, 16, 2, name="r"),
    pd.Index([3, 1, 2]),
    pd.Index(["x", "y", "z"], name="key"),
    pd.DatetimeIndex(["2020-01-01", "2020-01-02", None], name="when"),
    pd.MultiIndex.from_arrays([[1, 1, 2], ["a", "b", "a"]], names=["n", None]),
])
def test_index_round_trips(index, registry):
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0], "w": ["a", "b", "c"]}, index=index)
    check(df, registry)


def test_index_named_like_a_column(registry):
    df = pd.DataFrame({"v": [1, 2]}, index=pd.Index([5, 6], name="v"))
    check(df, registry)


def test_columns_index_name_and_int_names(registry):
    df = pd.DataFrame(np.arange(6).reshape(2, 3))
    check(df, registry)
    named = pd.DataFrame({"a": [1]})
    named.columns.name = "fields"
    check(named, registry)


def test_empty_frames(registry):
    check(pd.DataFrame({"a": pd.Series([], dtype="int64"), "s": pd.Series([], dtype=object)}),
          registry)
    check(pd.DataFrame({"a": [1, 2]}).iloc[:0], registry)


def test_sliced_and_noncontiguous_columns(registry):
    big = pd.DataFrame(np.arange(40.0).reshape(10, 4), columns=list("abcd"))
    check(big.iloc[2:7, [3, 1]], registry)
    check(big[big.a > 10], registry)


def test_zero_copy_does_not_keep_mutations_out(registry):
    # The C++ table views the numpy memory; the bytes are written before set() returns,
    # so changing the frame afterwards changes nothing stored.
    df = pd.DataFrame({"a": np.arange(5, dtype="int64")})
    pkg = quiltcpp.Package()
    pkg.set("a.parquet", df)
    df.loc[0, "a"] = 99
    assert pkg["a.parquet"]()["a"].tolist() == [0, 1, 2, 3, 4]


def test_csv_gives_what_read_csv_gives(registry, tmp_path):
    df = pd.DataFrame({"i": [1, 2, 3], "f": [1.5, None, 2.0], "s": ["a", None, "c,d"],
                       "b": [True, False, True]}, index=[7, 8, 9])
    pkg = quiltcpp.Package()
    pkg.set("d.csv", df)
    pkg.set("d.tsv", df)
    got = pkg["d.csv"].deserialize()
    df.to_csv(tmp_path / "pandas.csv", index=False)
    pdt.assert_frame_equal(got, pd.read_csv(tmp_path / "pandas.csv"), check_exact=True)
    pdt.assert_frame_equal(pkg["d.tsv"](), got, check_exact=True)
    # And the bytes are pandas' own.
    assert pkg["d.csv"].get_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_unsupported_dtype_is_a_clear_error():
    pkg = quiltcpp.Package()
    df = pd.DataFrame({"td": pd.to_timedelta([1, 2], unit="s")})
    with pytest.raises(quiltcpp.InvalidArgumentError, match="td"):
        pkg.set("x.parquet", df)
    mixed = pd.DataFrame({"m": ["a", 1]})
    with pytest.raises(quiltcpp.InvalidArgumentError, match="column 'm': row 1 holds a int"):
        pkg.set("x.parquet", mixed)
    surrogate = pd.DataFrame({"s": ["\ud800"]})
    with pytest.raises(quiltcpp.InvalidArgumentError, match="not valid Unicode"):
        pkg.set("x.parquet", surrogate)
    assert "x.parquet" not in pkg


def test_datetime_categorical(registry):
    df = pd.DataFrame({"d": pd.Categorical(pd.to_datetime(["2020-01-02", "2020-01-01", None]))})
    check(df, registry)


def test_non_string_categoricals_keep_their_categories(registry):
    # Custom order, unused categories, nulls: the Parquet dictionary holds the categories.
    check(pd.DataFrame({
        "i": pd.Categorical([3, 1, None, 3], categories=[3, 2, 1], ordered=True),
        "f": pd.Categorical([0.5, 1.5, 0.5, None], categories=[2.5, 1.5, 0.5]),
        "i8": pd.Categorical(np.array([5, 7, 5, 5], dtype="int8"),
                             categories=np.array([7, 5, 9], dtype="int8")),
        "u": pd.Categorical(np.array([1, 2, 1, 2], dtype="uint32"),
                            categories=np.array([2, 1, 0], dtype="uint32")),
        "d": pd.Categorical(pd.to_datetime(["2020-01-02", "2019-01-01", None, "2020-01-02"]),
                            categories=pd.to_datetime(["2020-01-02", "2021-01-01",
                                                       "2019-01-01"])),
    }), registry)
    # No rows: the categories alone survive, in an empty row group.
    check(pd.DataFrame({"s": pd.Categorical([], categories=["b", "a"]),
                        "i": pd.Categorical([], categories=[3, 1], ordered=True)}), registry)


def test_rows_without_columns(registry):
    # No column chunk holds the rows: the count lives in the Parquet footer only.
    check(pd.DataFrame(index=pd.RangeIndex(3)), registry)
    check(pd.DataFrame(index=pd.RangeIndex(0)), registry)


def test_object_columns_of_bools_and_dates(registry):
    import datetime
    check(pd.DataFrame({"b": [True, None, False], "all": np.array([True, False, True], dtype=object),
                        "d": [datetime.date(2020, 2, 29), None, datetime.date(1969, 12, 31)]}),
          registry)


def test_fixed_offset_zone_and_none_label(registry):
    check(pd.DataFrame({"t": pd.to_datetime(["2020-01-01T00:00:00+05:30", None])}), registry)
    check(pd.DataFrame({None: [1, 2], "x": [3, 4]}), registry)


def test_datetime_index_with_tz(registry):
    # A DatetimeIndex's freq is not stored (as with pyarrow); values, zone and name are.
    df = pd.DataFrame({"v": [1, 2, 3]},
                      index=pd.DatetimeIndex(["2020-01-01", "2020-01-03", "2020-01-02"],
                                             tz="Europe/Paris", name="t"))
    check(df, registry)


def test_long_object_columns_across_chunks(registry):
    # Object columns are encoded in chunks of 65,536 rows, ASCII ones without the
    # GIL: mix chunks that take that path with chunks that need the slow one.
    n = 300_000
    values = np.array([f"v{i % 977}" for i in range(n)], dtype=object)
    values[70_000] = "\u00e9t\u00e9 \U0001F600"    # non-ASCII in the second chunk
    values[70_001] = np.nan                          # NaN: a null
    values[140_000:200_000] = None                   # a whole chunk of nulls and more
    values[250_000] = pd.NA
    df = pd.DataFrame({"s": values, "b": [bytes([i % 256]) * (i % 5) for i in range(n)]})
    out = round_trip(df, registry)
    expected = df.copy()
    expected.loc[[70_001, 250_000], "s"] = None
    pdt.assert_frame_equal(out, expected, check_exact=True)

    later_bytes = np.array(["x"] * n, dtype=object)
    later_bytes[200_000] = b"raw"
    with pytest.raises(quiltcpp.InvalidArgumentError,
                       match="column 's': row 200000 holds a bytes among strings"):
        quiltcpp.Package().set("x.parquet", pd.DataFrame({"s": later_bytes}))
    subclass = type("Name", (str,), {})
    named = np.array([subclass("a"), "b"] * 40_000, dtype=object)
    pdt.assert_frame_equal(round_trip(pd.DataFrame({"s": named}), registry),
                           pd.DataFrame({"s": np.array(["a", "b"] * 40_000, dtype=object)}),
                           check_exact=True)
