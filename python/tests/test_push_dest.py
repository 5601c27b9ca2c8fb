"""Package.push with dest and selector_fn (quilt3's semantics): a prefix or a callable dest, a
selector that keeps keys, errors from the user's callables, and refusals, into local registries
and an S3 registry on the project's test server (QUILT_TEST_S3_ENV)."""

import pathlib
import uuid

import pytest

import quiltcpp
from quiltcpp import InvalidArgumentError


def _file_url(path):
    return pathlib.Path(path).resolve().as_uri()


@pytest.fixture
def pkg(tmp_path):
    (tmp_path / "src" / "d").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_text("alpha")
    (tmp_path / "src" / "d" / "b.txt").write_text("beta")
    p = quiltcpp.Package()
    p.set_dir("", str(tmp_path / "src"))
    return p


def test_prefix_dest_for_a_local_registry(pkg, registry, tmp_path):
    pushed = pkg.push("me/pkg", registry=registry, dest=str(tmp_path / "out"))
    assert (tmp_path / "out" / "d" / "b.txt").read_text() == "beta"
    assert pushed["d/b.txt"].physical_key == _file_url(tmp_path / "out" / "d" / "b.txt")
    assert not (tmp_path / "registry" / "me").exists()
    browsed = quiltcpp.Package.browse("me/pkg", registry=registry)
    assert browsed["a.txt"].physical_key == _file_url(tmp_path / "out" / "a.txt")
    assert browsed["a.txt"].get_bytes() == b"alpha"


def test_callable_dest_and_selector(pkg, registry, tmp_path):
    seen = []

    def dest(logical_key, entry):
        seen.append((logical_key, entry.size, entry.hash["type"]))
        return _file_url(tmp_path / "by-fn" / (logical_key.replace("/", "_") + ".copy"))

    def only_a(logical_key, entry):
        return logical_key == "a.txt"

    pushed = pkg.push("me/pkg", registry=registry, dest=dest, selector_fn=only_a)
    assert seen == [("a.txt", 5, "sha2-256-chunked")]  # dest is asked only for what the selector copies
    assert (tmp_path / "by-fn" / "a.txt.copy").read_text() == "alpha"
    assert pushed["a.txt"].physical_key == _file_url(tmp_path / "by-fn" / "a.txt.copy")
    # Not selected: the entry keeps its key (a local registry may keep local keys).
    assert pushed["d/b.txt"].physical_key == _file_url(tmp_path / "src" / "d" / "b.txt")


def test_selector_fn_copy_all_and_pathlike_dest(pkg, registry, tmp_path):
    pushed = pkg.push("me/pkg", registry=registry, dest=tmp_path / "all",
                      selector_fn=quiltcpp.Package.selector_fn_copy_all)
    assert pushed["d/b.txt"].physical_key == _file_url(tmp_path / "all" / "d" / "b.txt")


class Refused(Exception):
    pass


@pytest.mark.parametrize("which", ["dest", "selector_fn"])
def test_an_error_in_a_callable_propagates_and_nothing_is_published(pkg, registry, tmp_path,
                                                                    which):
    def raising(logical_key, entry):
        if logical_key == "d/b.txt":
            raise Refused(f"no thanks: {logical_key}")
        return str(tmp_path / "out" / logical_key) if which == "dest" else True

    kwargs = {which: raising}
    with pytest.raises(Refused, match="no thanks: d/b.txt"):
        pkg.push("me/pkg", registry=registry, **kwargs)
    assert quiltcpp.list_packages(registry) == []
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "registry" / "me").exists()


def test_bad_dests_are_refused(pkg, registry, tmp_path):
    with pytest.raises(InvalidArgumentError, match="ftp://host/x"):
        pkg.push("me/pkg", registry=registry, dest="ftp://host/x")
    with pytest.raises(InvalidArgumentError, match="'a.txt'.*'d/b.txt'"):
        pkg.push("me/pkg", registry=registry, dest=lambda lk, e: str(tmp_path / "same"))
    with pytest.raises(TypeError, match="a.txt"):
        pkg.push("me/pkg", registry=registry, dest=lambda lk, e: 42)
    with pytest.raises(InvalidArgumentError, match="workflow"):
        pkg.push("me/pkg", registry=registry, workflow="wf")
    assert quiltcpp.list_packages(registry) == []


@pytest.fixture
def s3(s3_env):
    run = f"python-tests/{uuid.uuid4().hex}"
    return {"registry": f"s3://{s3_env['S3_TEST_BUCKET']}/{run}/reg",
            "dest": f"s3://{s3_env['S3_TEST_VERSIONED_BUCKET']}/{run}/data"}


def test_s3_prefix_dest_in_a_versioned_bucket(pkg, s3):
    pushed = pkg.push("team/data", registry=s3["registry"], dest=s3["dest"] + "/")
    for key, body in (("a.txt", b"alpha"), ("d/b.txt", b"beta")):
        physical = pushed[key].physical_key
        assert physical.startswith(s3["dest"] + "/" + key + "?versionId="), physical
        assert pushed[key].get_bytes() == body
    browsed = quiltcpp.Package.browse("team/data", registry=s3["registry"])
    assert browsed["d/b.txt"].physical_key == pushed["d/b.txt"].physical_key


def test_s3_callable_dest_and_a_kept_local_key_refused(pkg, s3):
    pushed = pkg.push("team/data", registry=s3["registry"],
                      dest=lambda lk, e: f"{s3['dest']}/by-fn/{lk}.{e.size}",
                      selector_fn=quiltcpp.Package.selector_fn_copy_local)
    entry = pushed["a.txt"]
    assert entry.physical_key.startswith(f"{s3['dest']}/by-fn/a.txt.5?versionId="), entry
    assert entry.get_bytes() == b"alpha"

    with pytest.raises(InvalidArgumentError, match="'d/b.txt'.*local"):
        pkg.push("team/data", registry=s3["registry"], message="two",
                 selector_fn=lambda lk, e: lk == "a.txt")
    with pytest.raises(InvalidArgumentError, match="unreachable"):
        pkg.push("team/data", registry=s3["registry"], message="three", dest="/tmp/somewhere")
    versions = quiltcpp.list_package_versions("team/data", registry=s3["registry"])
    assert [name for name, _ in versions][1:] == ["latest"]  # one revision, and latest
    assert {top_hash for _, top_hash in versions} == {pushed.top_hash}
