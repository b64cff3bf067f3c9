"""deploy/: the local class hub's config, Zero to JupyterHub's values and image, and their sizes agree.

Nothing here starts a hub (tests/hub/ does, `make test-hub`); no Docker engine or Kubernetes is needed."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
sys.path.insert(0, str(DEPLOY))
import hub_settings  # noqa: E402
import sizing  # noqa: E402

VALUES = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text())
MEASURED = json.loads((DEPLOY / "sizing.json").read_text())["measured"]


def test_hub_packages_are_pinned_and_jupyterhub_is_6():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (DEPLOY / "requirements.txt").read_text(), re.M))
    assert set(pins) == {"jupyterhub", "nbgitpuller", "jupyterhub-idle-culler"}
    assert pins["jupyterhub"].startswith("6.")


def test_the_proxy_is_pinned_by_its_lock_file():
    wanted = json.loads((DEPLOY / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
    lock = json.loads((DEPLOY / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == wanted


def test_z2jh_starts_where_the_local_hub_starts_and_reads_the_same_data_path():
    single = VALUES["singleuser"]
    assert single["defaultUrl"] == hub_settings.START_PAGE
    assert single["extraEnv"]["COURSE_DATA"] == hub_settings.DATA_PATH
    assert single["extraEnv"]["COURSE_CACHE"] == hub_settings.CACHE_PATH
    (mount,) = single["storage"]["extraVolumeMounts"]
    assert (mount["mountPath"], mount["readOnly"]) == (hub_settings.DATA_PATH, True)
    assert VALUES["cull"]["enabled"] and VALUES["cull"]["timeout"] == hub_settings.LIMITS["idle_timeout_s"]


def test_the_image_installs_the_same_requirement_files_as_the_local_hub():
    dockerfile = (DEPLOY / "z2jh" / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (\S+) ", dockerfile, re.M)
    assert "deploy/requirements.txt" in copied  # the hub's packages, as make test-hub installs them
    assert "_build/student-edition/requirements.txt" in copied  # the edition's, as .ci/run's EDITION_VENV
    assert "pip install --no-cache-dir --no-deps /tmp/edition" in dockerfile  # the package, not editable
    assert f"COURSE_DATA={hub_settings.DATA_PATH}" in dockerfile
    makefile = (REPO / "Makefile").read_text()
    assert "-r deploy/requirements.txt" in makefile


def test_sizes_are_computed_from_the_measurements():
    data = json.loads((DEPLOY / "sizing.json").read_text())
    student = sizing.per_student(MEASURED)
    assert data["per_student"] == student and data["limits"] == sizing.limits(MEASURED)
    single = VALUES["singleuser"]
    assert single["memory"] == {"guarantee": f"{student['memory_guarantee_gb']:g}G",
                                "limit": f"{student['memory_limit_gb']:g}G"}  # fmt: skip
    assert single["cpu"] == {"guarantee": student["cpu_guarantee"], "limit": student["cpu_limit"]}
    assert hub_settings.LIMITS == sizing.limits(MEASURED)
    assert f"--data={int(student['memory_limit_gb'] * 1024**3)}" in hub_settings.spawner_command(Path("/v"))


def test_the_docs_show_the_table_sizing_computes():
    docs = (REPO / "docs" / "deploy.md").read_text()
    assert sizing.markdown_table(MEASURED) in docs
    assert sizing.markdown_measured(MEASURED) in docs
    assert sizing.markdown_per_student(MEASURED) in docs
    for n in sizing.CLASSES:
        assert f"| {n:,} |" in docs


def _load_real_config(monkeypatch, **env) -> Config:
    monkeypatch.setattr(hub_settings, "configure", lambda c, **kw: c)  # no venv or proxy needed to check sign-in
    for key in ("COURSE_HUB_AUTHENTICATOR", "COURSE_HUB_ROSTER"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = Config()
    path = DEPLOY / "jupyterhub_config.py"
    exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: config, "__file__": str(path)})
    return config


@pytest.mark.parametrize("name", ["", "dummy", "jupyterhub.auth.DummyAuthenticator", "shared-password"])
def test_the_real_config_refuses_a_sign_in_that_lets_anyone_in(monkeypatch, tmp_path, name):
    roster = tmp_path / "roster.csv"
    roster.write_text("hub_user,lms_id\nada,s1\n")
    with pytest.raises(SystemExit, match="COURSE_HUB_AUTHENTICATOR|anyone"):
        _load_real_config(monkeypatch, COURSE_HUB_AUTHENTICATOR=name, COURSE_HUB_ROSTER=str(roster))


def test_the_real_config_lets_in_the_roster_through_the_universitys_sign_in(monkeypatch, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("hub_user,lms_id\nada,s1\nbob,s2\n")
    name = "oauthenticator.generic.LocalGenericOAuthenticator"
    config = _load_real_config(monkeypatch, COURSE_HUB_AUTHENTICATOR=name, COURSE_HUB_ROSTER=str(roster))
    assert config.JupyterHub.authenticator_class == name
    assert config.Authenticator.allowed_users == {"ada", "bob"} and config.Authenticator.allow_all is False
    with pytest.raises(SystemExit, match="ROSTER"):
        _load_real_config(monkeypatch, COURSE_HUB_AUTHENTICATOR=name)
