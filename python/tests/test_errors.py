"""The exception classes of DESIGN.md's table, raised with the C++ messages."""

import os
import subprocess

import pytest

import quiltcpp
from quiltcpp import _quiltcpp

CLI = os.path.join(os.environ.get("QUILTCPP_TEST_BUILD_DIR", "build"), "quiltcpp")


def test_hierarchy():
    assert issubclass(quiltcpp.InvalidArgumentError, quiltcpp.QuiltException)
    assert issubclass(quiltcpp.InvalidArgumentError, ValueError)
    assert issubclass(quiltcpp.NotFoundError, LookupError)
    assert issubclass(quiltcpp.QuiltIOError, OSError)
    for cls in (quiltcpp.CorruptError, quiltcpp.ConflictError, quiltcpp.RemoteError):
        assert issubclass(cls, quiltcpp.QuiltException)
    assert not issubclass(quiltcpp.CorruptError, ValueError)


def test_invalid_argument():
    pkg = quiltcpp.Package()
    with pytest.raises(quiltcpp.InvalidArgumentError) as bad_key:
        pkg.set("a/../b.json", {"x": 1})
    assert "a/../b.json" in str(bad_key.value)
    with pytest.raises(ValueError, match="bad name"):
        pkg.build("bad name", registry="r")
    with pytest.raises(quiltcpp.InvalidArgumentError, match="does not know how to serialize"):
        pkg.set("x.parquet", {"not": "a table"})
    with pytest.raises(quiltcpp.InvalidArgumentError, match="serialize a set"):
        pkg.set("x.json", {1, 2})


def test_not_found(registry):
    with pytest.raises(quiltcpp.NotFoundError) as err:
        quiltcpp.Package.browse("no/such", registry=registry)
    assert isinstance(err.value, LookupError)
    with pytest.raises(quiltcpp.NotFoundError):
        quiltcpp.list_package_versions("no/such", registry)


def test_corrupt_hash_mismatch(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("original")
    pkg = quiltcpp.Package()
    pkg.set("f.txt", str(target))
    built = quiltcpp.Package.load(_dump(pkg))  # entries now carry their hash
    target.write_text("tampered")
    with pytest.raises(quiltcpp.CorruptError, match="f.txt"):
        built["f.txt"].get_bytes()


def test_io_error_names_the_path(tmp_path):
    pkg = quiltcpp.Package()
    with pytest.raises(OSError, match="missing-dir"):
        pkg.set_dir("d", tmp_path / "missing-dir")


def test_messages_are_the_cli_messages(registry):
    # The same C++ error reaches the CLI's stderr and the Python exception.
    with pytest.raises(quiltcpp.NotFoundError) as err:
        quiltcpp.Package.browse("no/such", registry=registry)
    if not os.path.exists(CLI):
        pytest.skip("CLI not built")
    run = subprocess.run([CLI, "browse", "no/such", "--registry", registry],
                         capture_output=True, text=True)
    assert run.returncode == 3
    assert str(err.value) in run.stderr


def test_bad_registry_urls():
    with pytest.raises(quiltcpp.InvalidArgumentError):
        _quiltcpp.Registry("s3://")
    with pytest.raises(quiltcpp.InvalidArgumentError):
        _quiltcpp.Registry("https://example.com/registry")


def _dump(pkg):
    import io
    buffer = io.StringIO()
    pkg.dump(buffer)
    buffer.seek(0)
    return buffer
