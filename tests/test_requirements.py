"""requirements.txt is the one list; environment.yml must say exactly the same."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not pinned with =="
            pins[name.lower().replace("_", "-")] = version
    return pins


def requirements_pins():
    return _pins((REPO / "requirements.txt").read_text().splitlines())


def environment_pins():
    """The pip section of environment.yml (a tiny parser: the file is flat)."""
    lines = (REPO / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\s*-\s*pip:\s*$", line))
    pip_lines = []
    for line in lines[start + 1 :]:
        match = re.match(r"\s+-\s+(.+)$", line)
        if not match:
            break
        if not match.group(1).startswith("-e "):  # the course package itself
            pip_lines.append(match.group(1))
    return _pins(pip_lines)


def test_requirements_are_pinned_and_include_torch():
    pins = requirements_pins()
    assert pins["torch"] == "2.14.1"
    assert pins["torchvision"] == "0.29.1"
    for name in (
        "jupyterlab",
        "ipywidgets",
        "nbval",
        "numpy",
        "matplotlib",
        "tqdm",
        "pytest",
        "hypothesis",
        "jax",
    ):
        assert name in pins, f"{name} is not pinned in requirements.txt"


def test_environment_yml_matches_requirements():
    assert environment_pins() == requirements_pins()


def test_environment_yml_python_matches_pyproject():
    env = (REPO / "environment.yml").read_text()
    assert re.search(r"^\s+-\s+python>=3\.10", env, re.M)
    assert 'requires-python = ">=3.10"' in (REPO / "pyproject.toml").read_text()
