import subprocess
import sys
from pathlib import Path

from course_utils import data
from course_utils.instructor.cli import main


def test_env_prints_the_report(capsys):
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "Data root" in out


def test_data_status_and_verify_with_real_data(capsys):
    assert data.find_mnist() is not None
    assert main(["data", "status"]) == 0
    assert "checksums ok" in capsys.readouterr().out
    assert main(["data", "verify"]) == 0


def test_verify_fails_without_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(data, "repo_data_dir", lambda: tmp_path / "repo")
    assert main(["data", "verify"]) == 1
    assert "MNIST        missing" in capsys.readouterr().out


def test_fetch_reports_failure_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(data, "repo_data_dir", lambda: tmp_path / "repo")
    monkeypatch.setattr(data, "_try_download", lambda name: "URLError: offline")
    assert main(["data", "fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: MNIST files are missing") and "offline" in err


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "course"
    result = subprocess.run([str(script), "data", "status"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "MNIST" in result.stdout
