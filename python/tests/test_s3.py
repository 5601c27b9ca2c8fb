"""Packages pushed to and installed from an S3 registry (the project's Ceph RGW on loopback,
started by scripts/test; QUILT_TEST_S3_ENV names its settings)."""

import uuid

import numpy as np
import pandas as pd
import pytest

import quiltcpp


@pytest.fixture
def s3_registry(s3_env):
    bucket = s3_env["S3_TEST_VERSIONED_BUCKET"]
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
