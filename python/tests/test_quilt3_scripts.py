"""Scripts written for quilt3 run unchanged with `import quiltcpp as quilt3`."""

import os
import pathlib
import subprocess
import sys

import quiltcpp

SCRIPTS = pathlib.Path(__file__).parent / "scripts"


def test_docs_walkthrough(tmp_path):
    env = dict(os.environ)
    # The script imports the same quiltcpp as the tests (the fresh build).
    env["PYTHONPATH"] = str(pathlib.Path(quiltcpp.__file__).resolve().parent.parent)
    run = subprocess.run([sys.executable, str(SCRIPTS / "quilt3_docs_walkthrough.py"),
                          str(tmp_path / "registry")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("built ") and len(lines[0]) == 6 + 64
    assert "banana.txt 7 sha2-256-chunked" in lines
    assert "stuff/notes.md 8 sha2-256-chunked" in lines
    assert "['aleksey/hello_world']" in lines
    assert lines[-1] == "ok"
