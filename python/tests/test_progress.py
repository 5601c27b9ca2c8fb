"""Progress bars: drawn on stderr for push, install and fetch, silenced by
QUILT_MINIMIZE_STDOUT=true as in quilt3, and never able to break a transfer."""

import os
import subprocess
import sys
import textwrap
import uuid

import quiltcpp
from quiltcpp import _quiltcpp

SCRIPT = textwrap.dedent("""
    import sys
    import quiltcpp
    registry, src, dest, fetched = sys.argv[1:5]
    pkg = quiltcpp.Package()
    pkg.set_dir("d", src)
    pkg.push("me/bars", registry=registry)
    quiltcpp.Package.install("me/bars", registry=registry, dest=dest)
    quiltcpp.Package.browse("me/bars", registry=registry).fetch(fetched)
""")


def run(tmp_path, minimize):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for i in range(120):
        (src / f"f{i:03}.bin").write_bytes(bytes([i]) * (1000 + i))
    env = dict(os.environ)
    # The module under test, wherever this process imported it from.
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(quiltcpp.__file__)))
    env.pop("QUILT_MINIMIZE_STDOUT", None)
    if minimize is not None:
        env["QUILT_MINIMIZE_STDOUT"] = minimize
    tag = str(minimize)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / f"reg-{tag}"), str(src),
         str(tmp_path / f"dest-{tag}"), str(tmp_path / f"fetched-{tag}")],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(os.listdir(tmp_path / f"dest-{tag}" / "d")) == 120
    assert len(os.listdir(tmp_path / f"fetched-{tag}" / "d")) == 120
    return result


def test_bars_on_stderr_with_bytes_and_files(tmp_path):
    result = run(tmp_path, None)
    assert result.stdout == ""
    # One bar each for push, install and fetch; each ends complete, with its file count.
    assert result.stderr.count("Copying objects: 100%") >= 3, result.stderr
    total = sum(1000 + i for i in range(120))
    assert result.stderr.count("120/120 files") >= 3, result.stderr
    assert f"{total / 1024:.0f}k" in result.stderr or "k/" in result.stderr, result.stderr


def test_minimize_stdout_silences_the_bars(tmp_path):
    for value in ("true", "TRUE", "1"):
        result = run(tmp_path, value)
        assert result.stderr == "" and result.stdout == "", result.stderr
    # As in the CLI, "0" and "false" leave the bars on.
    assert "Copying objects" in run(tmp_path, "0").stderr


def test_a_failing_progress_callback_does_not_fail_the_install(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(40):
        (src / f"{i}.txt").write_text("x" * i)
    pkg = quiltcpp.Package()
    pkg.set_dir("", src)
    registry = str(tmp_path / "reg")
    pushed = pkg.push("me/cb", registry=registry)
    raised = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: raised.append(info.exc_value))
    calls = []

    def bad(files, nbytes):
        calls.append((files, nbytes))
        raise RuntimeError("display broke")

    reg = _quiltcpp.Registry(registry)
    reg.install("me/cb", pushed.top_hash, str(tmp_path / "out"), "", bad)
    assert sorted(os.listdir(tmp_path / "out")) == sorted(os.listdir(src))
    # The first report is passed on (later ones within 100 ms are merged away).
    assert calls and all(isinstance(e, RuntimeError) for e in raised) and raised


def test_reports_are_running_totals(tmp_path, s3_env):
    # A push to the S3 test server takes long enough for several reports.
    src = tmp_path / "src"
    src.mkdir()
    sizes = [i % 97 + 1 for i in range(400)]
    for i, size in enumerate(sizes):
        (src / f"{i:04}.bin").write_bytes(b"y" * size)
    pkg = quiltcpp.Package()
    pkg.set_dir("", src)
    registry = f"s3://{s3_env['S3_TEST_BUCKET']}/python-tests/{uuid.uuid4().hex}"
    calls = []
    reg = _quiltcpp.Registry(registry)
    reg.push("me/totals", pkg._cpp(), None, True, False, True,
             progress=lambda files, nbytes: calls.append((files, nbytes)))
    assert len(calls) >= 2, calls
    # Totals never go back and never pass the whole; later reports count more than one
    # file (the C++ side sends increments, summed here).
    assert calls == sorted(calls)
    assert all(f <= len(sizes) and b <= sum(sizes) for f, b in calls)
    assert calls[-1][0] > 1 and calls[-1][1] >= calls[-1][0]
