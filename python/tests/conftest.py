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
