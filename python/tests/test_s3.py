"""Packages pushed to and installed from an S3 registry (the project's Ceph RGW on loopback,
started by scripts/test; QUILT_TEST_S3_ENV names its settings)."""

import os
import uuid

import numpy as np
import pandas as pd
import pytest

import quiltcpp


def _server():
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
    return settings


@pytest.fixture
def s3_registry(monkeypatch, tmp_path):
    server = _server()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server["AWS_SECRET_ACCESS_KEY"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", server["S3_ENDPOINT"])
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bucket = server["S3_TEST_VERSIONED_BUCKET"]
    return f"s3://{bucket}/python-tests/{uuid.uuid4().hex}"


def test_push_browse_install_a_dataframe(s3_registry, tmp_path):
    df = pd.DataFrame({"id": np.arange(1000, dtype=np.int64),
                       "name": [f"n{i % 7}" for i in range(1000)],
                       "when": pd.date_range("2024-01-01", periods=1000, freq="h", tz="UTC")})
    pkg = quiltcpp.Package()
    pkg.set("tables/df.parquet", df)
    pkg.set("notes.json", {"rows": 1000})
    pushed = pkg.push("team/frames", registry=s3_registry, message="from python")
    entry = pushed["tables/df.parquet"]
    assert entry.physical_key.startswith(s3_registry + "/team/frames/tables/df.parquet?versionId=")

    browsed = quiltcpp.Package.browse("team/frames", registry=s3_registry)
    assert browsed.top_hash == pushed.top_hash
    pd.testing.assert_frame_equal(browsed["tables/df.parquet"].deserialize(), df, check_exact=True)
    assert browsed["notes.json"].deserialize() == {"rows": 1000}
    assert quiltcpp.list_packages(s3_registry) == ["team/frames"]

    dest = tmp_path / "installed"
    quiltcpp.Package.install("team/frames", registry=s3_registry, dest=str(dest))
    assert (dest / "notes.json").read_text() == '{"rows": 1000}'
    assert (dest / "tables/df.parquet").read_bytes() == browsed["tables/df.parquet"].get_bytes()


def test_missing_package_in_s3_is_not_found(s3_registry):
    with pytest.raises(quiltcpp.NotFoundError):
        quiltcpp.Package.browse("team/none", registry=s3_registry)
