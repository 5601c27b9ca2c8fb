"""Shared fixtures: every test gets its own data directory and registry."""

import os
import pathlib
import tempfile

import pytest

# hypothesis keeps caches (its Unicode tables) in .hypothesis/ under the
# current directory; keep them out of the source tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "quiltcpp-hypothesis"))

import quiltcpp

_BUILD_DIR = os.environ.get("QUILTCPP_TEST_BUILD_DIR")
if _BUILD_DIR:
    # scripts/test runs the module it just built; a stale installed copy would
    # make every result meaningless.
    _where = pathlib.Path(quiltcpp.__file__).resolve()
    if not str(_where).startswith(str(pathlib.Path(_BUILD_DIR).resolve())):
        raise RuntimeError(f"quiltcpp imported from {_where}, not from the build {_BUILD_DIR}")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point the content store (XDG_DATA_HOME) and the default registry into tmp_path."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("QUILTCPP_REGISTRY", str(tmp_path / "registry"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "registry"
    return str(path)


@pytest.fixture
def s3_env(monkeypatch, tmp_path):
    """The S3 test server's settings (scripts/s3-server writes them to the file
    QUILT_TEST_S3_ENV names), with this process's AWS variables pointed at it and
    a manifest cache of the test's own. Skips without a server, or fails under
    QUILT_REQUIRE_S3=1."""
    path = os.environ.get("QUILT_TEST_S3_ENV")
    if not path:
        if os.environ.get("QUILT_REQUIRE_S3") == "1":
            pytest.fail("QUILT_REQUIRE_S3=1 but QUILT_TEST_S3_ENV is not set")
        pytest.skip("no S3 test server (scripts/s3-server start DIR; QUILT_TEST_S3_ENV=DIR/env)")
    settings = {}
    with open(path) as f:
        for line in f:
            name, sep, value = line.strip().partition("=")
            if sep:
                settings[name] = value.strip("'")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", settings["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", settings["AWS_SECRET_ACCESS_KEY"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings["S3_ENDPOINT"])
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return settings
