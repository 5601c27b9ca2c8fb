"""quilt3's Package / PackageEntry API: the mutable package and its registries."""

import io

import numpy as np
import pandas as pd
import pytest

import quiltcpp


@pytest.fixture
def files(tmp_path):
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("hello\n")
    (root / "sub" / "b.json").write_text('{"x": [1, 2]}')
    (root / "sub" / "c.bin").write_bytes(b"\x00\x01\x02")
    return root


def test_set_get_in_keys_walk_delete(files):
    pkg = quiltcpp.Package()
    pkg.set("a.txt", str(files / "a.txt"), meta={"k": 1})
    pkg.set_dir("dir", files / "sub")
    assert "a.txt" in pkg and "dir" in pkg and "dir/b.json" in pkg and "nope" not in pkg
    assert pkg.keys() == ["a.txt", "dir"]
    assert [k for k, _ in pkg.walk()] == ["a.txt", "dir/b.json", "dir/c.bin"]
    entry = pkg["a.txt"]
    assert entry.meta == {"k": 1}
    assert entry.size == 6 and entry.hash is None  # hashed at build, as quilt3
    assert entry.get() == (files / "a.txt").as_uri()
    assert pkg.get("a.txt") == entry.get()
    assert entry.get_as_string() == "hello\n"
    assert entry.deserialize() == "hello\n"
    assert pkg["dir/b.json"].get_as_json() == {"x": [1, 2]}
    assert pkg["dir/b.json"]() == {"x": [1, 2]}
    assert pkg["dir/c.bin"].get_bytes() == b"\x00\x01\x02"
    sub = pkg["dir"]
    assert [k for k, _ in sub.walk()] == ["b.json", "c.bin"]
    pkg.delete("dir")
    assert [k for k, _ in pkg.walk()] == ["a.txt"]
    with pytest.raises(KeyError):
        pkg["dir"]
    with pytest.raises(quiltcpp.NotFoundError, match="no entry or directory 'dir'"):
        pkg.delete("dir")


def test_objects_and_their_meta():
    pkg = quiltcpp.Package()
    arr = np.arange(12, dtype="int32").reshape(3, 4)
    pkg.set("a.npy", arr)
    pkg.set("f.npy", np.asfortranarray(arr.astype("float64")))
    pkg.set("o.json", {"b": [1, 2.5, None], "a": "\U0001F600"}, meta={"m": True})
    pkg.set("b.bin", b"\x00raw")
    np.testing.assert_array_equal(pkg["a.npy"](), arr)
    assert pkg["a.npy"]().dtype == np.int32
    np.testing.assert_array_equal(pkg["f.npy"](), arr)
    assert pkg["o.json"]() == {"b": [1, 2.5, None], "a": "\U0001F600"}
    assert pkg["o.json"].meta == {"m": True}
    assert pkg["o.json"]._meta["format"]["name"] == "json"
    assert pkg["b.bin"]() == b"\x00raw"
    assert pkg["a.npy"].hash["type"] == "sha2-256-chunked"
    assert pkg["a.npy"].size == 128 + 48


def test_str_is_a_path_never_content(tmp_path):
    pkg = quiltcpp.Package()
    with pytest.raises(quiltcpp.QuiltIOError, match="no-such-file"):
        pkg.set("x.txt", "no-such-file")
    assert isinstance(quiltcpp.QuiltIOError("x"), OSError)


def test_serialization_location_and_format_opts(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    pkg = quiltcpp.Package()
    pkg.set("d.parquet", df, serialization_location=tmp_path / "out" / "d.parquet",
            serialization_format_opts={"compression": "zstd"})
    assert pkg["d.parquet"].physical_key == (tmp_path / "out" / "d.parquet").as_uri()
    assert pkg["d.parquet"]._meta["format"] == {"compression": "zstd", "name": "parquet"}
    pd.testing.assert_frame_equal(pkg["d.parquet"](), df)
    with pytest.raises(quiltcpp.InvalidArgumentError, match="different file extensions"):
        pkg.set("e.parquet", df, serialization_location=tmp_path / "e.csv")
    with pytest.raises(quiltcpp.InvalidArgumentError, match="compression"):
        pkg.set("e.parquet", df, serialization_format_opts={"compression": "lz5"})


def test_meta_set_meta_and_entry_set_meta():
    pkg = quiltcpp.Package()
    assert pkg.meta == {}
    pkg.set_meta({"owner": "me"})
    assert pkg.meta == {"owner": "me"}
    pkg.set("x.json", [1])
    before = pkg.top_hash
    pkg["x.json"].set_meta({"about": "x"})
    assert pkg["x.json"].meta == {"about": "x"}
    assert pkg.top_hash != before


def test_build_browse_list_versions_delete(registry, files):
    pkg = quiltcpp.Package()
    pkg.set_dir("/", files, meta={"v": 1})
    top1 = pkg.build("me/pkg", registry=registry, message="one")
    assert top1 == pkg.top_hash
    pkg.set("new.json", {"n": 1})
    top2 = pkg.build("me/pkg", registry=registry, message="two")
    assert quiltcpp.list_packages(registry) == ["me/pkg"]
    versions = quiltcpp.list_package_versions("me/pkg", registry)
    assert [h for _, h in versions] == [top1, top2, top2]
    assert versions[-1][0] == "latest" and all(v.isdigit() for v, _ in versions[:-1])
    latest = quiltcpp.Package.browse("me/pkg", registry=registry)
    assert latest.top_hash == top2
    assert latest.meta == {"v": 1}
    old = quiltcpp.Package.browse("me/pkg", registry=registry, top_hash=top1[:10])
    assert old.top_hash == top1
    assert old.diff(latest) == (["new.json"], [], [])
    assert latest.diff(old) == ([], [], ["new.json"])
    manifest = list(latest.manifest)
    assert manifest[0]["message"] == "two" and manifest[0]["user_meta"] == {"v": 1}
    quiltcpp.delete_package("me/pkg", registry=registry, top_hash=top2)
    assert quiltcpp.Package.browse("me/pkg", registry=registry).top_hash == top1
    quiltcpp.delete_package("me/pkg", registry=registry)
    assert quiltcpp.list_packages(registry) == []
    with pytest.raises(quiltcpp.NotFoundError):
        quiltcpp.Package.browse("me/pkg", registry=registry)


def test_default_registry_is_quiltcpp_registry(isolated_home):
    pkg = quiltcpp.Package()
    pkg.set("a.json", {"a": 1})
    top = pkg.build("me/default")
    assert quiltcpp.list_packages() == ["me/default"]
    assert quiltcpp.Package.browse("me/default").top_hash == top


def test_push_install_verify(registry, tmp_path, files):
    pkg = quiltcpp.Package()
    pkg.set_dir("", files)
    pkg.set("df.parquet", pd.DataFrame({"x": [1.0, 2.0]}))
    pushed = pkg.push("me/data", registry=registry, message="m")
    assert pushed.top_hash == pkg.top_hash
    assert pushed["a.txt"].physical_key.startswith((tmp_path / "registry").as_uri())
    dest = tmp_path / "installed"
    installed = quiltcpp.Package.install("me/data", registry=registry, dest=dest)
    assert (dest / "sub" / "b.json").read_text() == '{"x": [1, 2]}'
    assert installed.top_hash == pushed.top_hash
    assert pushed.verify(dest)
    (dest / "a.txt").write_text("changed")
    assert not pushed.verify(dest)
    local = tmp_path / "local"
    copy = quiltcpp.Package.install("me/data", registry=registry, dest_registry=local)
    assert quiltcpp.list_packages(local) == ["me/data"]
    assert copy.top_hash == pushed.top_hash


def test_push_conflict(registry):
    pkg = quiltcpp.Package()
    pkg.set("a.json", {"a": 1})
    first = pkg.push("me/c", registry=registry)
    other = quiltcpp.Package.browse("me/c", registry=registry)
    other.set("b.json", {"b": 2})
    other.push("me/c", registry=registry)
    first.set("c.json", {"c": 3})
    with pytest.raises(quiltcpp.ConflictError):
        first.push("me/c", registry=registry)
    first.push("me/c", registry=registry, force=True)


def test_dump_load(tmp_path):
    pkg = quiltcpp.Package()
    pkg.set("a.json", {"a": "\u2028"})
    pkg.set_meta({"m": [1, 2]})
    buffer = io.StringIO()
    pkg.dump(buffer)
    loaded = quiltcpp.Package.load(io.StringIO(buffer.getvalue()))
    assert loaded.top_hash == pkg.top_hash
    with open(tmp_path / "m.jsonl", "wb") as f:
        pkg.dump(f)
    with open(tmp_path / "m.jsonl", "rb") as f:
        assert quiltcpp.Package.load(f).top_hash == pkg.top_hash
    with pytest.raises(quiltcpp.CorruptError, match="line 1"):
        quiltcpp.Package.load(io.StringIO("not json\n"))


def test_map_filter_fetch(tmp_path, files):
    pkg = quiltcpp.Package()
    pkg.set_dir("", files)
    assert pkg.map(lambda k, e: e.size) == [6, 13, 3]
    only = pkg.filter(lambda k, e: k.endswith(".json"))
    assert [k for k, _ in only.walk()] == ["sub/b.json"]
    fetched = pkg.fetch(tmp_path / "fetched")
    assert (tmp_path / "fetched" / "sub" / "c.bin").read_bytes() == b"\x00\x01\x02"
    assert fetched.top_hash == pkg.top_hash


def test_set_entry_from_another_package(files):
    a = quiltcpp.Package()
    a.set("x.bin", b"123")
    b = quiltcpp.Package()
    b.set("y.bin", a["x.bin"], meta={"from": "a"})
    assert b["y.bin"].hash == a["x.bin"].hash
    assert b["y.bin"].meta == {"from": "a"}


def test_rollback_and_resolve_hash(registry):
    pkg = quiltcpp.Package()
    pkg.set("a.json", {"v": 1})
    first = pkg.build("me/r", registry=registry)
    pkg.set("a.json", {"v": 2})
    second = pkg.build("me/r", registry=registry)
    assert quiltcpp.Package.resolve_hash("me/r", registry, first[:8]) == first
    with pytest.raises(quiltcpp.NotFoundError):
        quiltcpp.Package.resolve_hash("me/r", registry, "0" * 64)
    quiltcpp.Package.rollback("me/r", registry, first[:8])
    assert quiltcpp.Package.browse("me/r", registry=registry).top_hash == first
    assert second in [h for _, h in quiltcpp.list_package_versions("me/r", registry)]


def test_gil_released_while_serializing():
    # A numeric frame is serialized, hashed and written with the GIL released:
    # another Python thread keeps running meanwhile.
    import threading
    import time
    df = pd.DataFrame({f"c{i}": np.random.default_rng(i).standard_normal(1_500_000)
                       for i in range(4)})
    pkg = quiltcpp.Package()
    done = threading.Event()
    span = {}

    def work():
        span["start"] = time.perf_counter()
        pkg.set("big.parquet", df)
        span["end"] = time.perf_counter()
        done.set()

    ticks = []
    thread = threading.Thread(target=work)
    thread.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
    thread.join()
    inside = [t for t in ticks if span["start"] <= t <= span["end"]]
    duration = span["end"] - span["start"]
    assert duration > 0.05
    # Holding the GIL through the call would leave this thread one gap as long as the call.
    gaps = np.diff([span["start"]] + inside + [span["end"]])
    assert gaps.max() < duration * 0.5, (gaps.max(), duration)


def test_threads_share_one_package():
    # set() releases the GIL; concurrent calls on one Package must not race.
    from concurrent.futures import ThreadPoolExecutor
    pkg = quiltcpp.Package()
    frames = {f"t{i}/df.parquet": pd.DataFrame({"v": np.arange(20_000) * i, "s": [str(i)] * 20_000})
              for i in range(16)}

    def put(item):
        key, df = item
        pkg.set(key, df)
        return pkg[key].hash["value"]

    with ThreadPoolExecutor(8) as pool:
        hashes = list(pool.map(put, frames.items()))
        tops = list(pool.map(lambda _: pkg.top_hash, range(4)))
    assert len(set(hashes)) == 16 and len(set(tops)) == 1
    for key, df in frames.items():
        pd.testing.assert_frame_equal(pkg[key](), df, check_exact=True)


def test_path_entry_without_extension_uses_the_logical_key(tmp_path):
    # Before build, an entry set from a path is hashed on demand; its format
    # still comes from the logical key when the file has no extension.
    src = quiltcpp.Package()
    df = pd.DataFrame({"a": [1, 2], "s": ["x", "\U0001F600"]})
    src.set("t.parquet", df)
    plain = tmp_path / "no_extension"
    plain.write_bytes(src["t.parquet"].get_bytes())
    pkg = quiltcpp.Package()
    pkg.set("t.parquet", str(plain))
    assert pkg["t.parquet"].hash is None
    pd.testing.assert_frame_equal(pkg["t.parquet"](), df, check_exact=True)


def test_directory_is_a_live_node(files, registry):
    pkg = quiltcpp.Package()
    pkg.set_dir("d", files)
    sub = pkg["d"]
    assert sub.keys() == ["a.txt", "sub"]
    assert pkg["d/sub"]["b.json"]() == {"x": [1, 2]}
    assert sub["sub/b.json"].get_as_json() == {"x": [1, 2]}
    before = pkg.top_hash
    sub.set("new.json", {"n": 1})              # lands in the package, as in quilt3
    sub["a.txt"].set_meta({"about": "a"})
    assert pkg["d/new.json"]() == {"n": 1}
    assert pkg["d/a.txt"].meta == {"about": "a"}
    sub.set_meta({"dir": "meta"})              # the directory's meta line
    assert pkg["d"].meta == {"dir": "meta"}
    assert pkg.top_hash != before
    lines = [line for line in pkg.manifest if line.get("logical_key") == "d/"]
    assert lines == [{"logical_key": "d/", "meta": {"dir": "meta"}}]
    pkg["d"].delete("sub")
    assert [k for k, _ in pkg.walk()] == ["d/a.txt", "d/new.json"]
    # Built and browsed, the directory meta survives.
    pkg.build("me/dirs", registry=registry)
    assert quiltcpp.Package.browse("me/dirs", registry=registry)["d"].meta == {"dir": "meta"}
    # A directory's own top hash is that of a package of its entries.
    alone = quiltcpp.Package()
    alone.set("a.txt", pkg["d/a.txt"])
    alone.set("new.json", pkg["d/new.json"])
    assert pkg["d"].top_hash == alone.top_hash


def test_entry_set_repoints_in_the_package(files, tmp_path):
    pkg = quiltcpp.Package()
    pkg.set("x.txt", str(files / "a.txt"), meta={"keep": True})
    entry = pkg["x.txt"]
    other = tmp_path / "other.txt"
    other.write_text("other")
    entry.set(other)
    assert pkg["x.txt"].get_as_string() == "other"
    assert pkg["x.txt"].meta == {"keep": True}
    entry.set(meta={"new": 1})
    assert pkg["x.txt"].meta == {"new": 1}
    assert pkg["x.txt"].physical_key == other.as_uri()
