"""`course publish`, `course links` and `course collect` (course_utils.instructor.hub), without a hub.

The whole path on a real JupyterHub is tests/hub/ (`make test-hub`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from course_utils.instructor.cli import main
from course_utils.instructor.hub.collect import collect, read_roster
from course_utils.instructor.hub.links import clone_folder, hub_button, nbgitpuller_link
from course_utils.instructor.hub.publish import PublishError, cell_changes, publish

REPO = Path(__file__).resolve().parents[1]
NB02 = "02_probabilistic_losses.ipynb"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="homes owned by other users need root to make")


# --- links -----------------------------------------------------------------------------------------------


def test_link_is_nbgitpullers_form_with_the_clone_folder_in_urlpath():
    link = nbgitpuller_link("https://hub.example.edu/", "https://git.example.edu/cnn/cnn-course.git", NB02, "term1")
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "repo": "https://git.example.edu/cnn/cnn-course.git",
        "branch": "term1",
        "urlpath": f"lab/tree/cnn-course.git/{NB02}",  # nbgitpuller keeps .git in the folder's name
    }


@pytest.mark.parametrize(("repo", "folder"), [("https://h/x/course/", "course"), ("/srv/repos/cnn", "cnn")])
def test_clone_folder_is_named_as_nbgitpuller_names_it(repo, folder):
    assert clone_folder(repo) == folder


@pytest.mark.parametrize(
    ("hub", "notebook", "branch", "words"),
    [
        ("hub.example.edu", NB02, "main", r"http\(s\) URL"),
        ("https://hub", "../../etc/passwd", "main", "course notebook name"),
        ("https://hub", NB02, "--upload-pack=x", "branch"),
    ],
)
def test_bad_link_input_is_refused_with_the_rule(hub, notebook, branch, words):
    with pytest.raises(ValueError, match=words):
        nbgitpuller_link(hub, "https://git/x/cnn", notebook, branch)


def test_book_button_only_when_a_hub_is_configured():
    assert hub_button(NB02, {}) == ""
    button = hub_button(NB02, {"COURSE_HUB_URL": "https://hub", "COURSE_HUB_REPO": "https://git/x/cnn"})
    assert button.startswith("```{button-link} https://hub/hub/user-redirect/git-pull?")
    assert f"Open {NB02} on the class hub" in button
    with pytest.raises(ValueError, match="both"):
        hub_button(NB02, {"COURSE_HUB_URL": "https://hub"})


def test_course_links_prints_a_link_per_student_notebook(capsys):
    assert (
        main(["links", "--hub", "https://hub", "--repo", "https://git/x/cnn", "--edition", str(REPO / "student")]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Students' clone folder: ~/cnn"
    names = sorted(p.name for p in (REPO / "student").glob("[0-9][0-9]_*.ipynb"))
    assert [line.split("\t")[0] for line in lines[1:]] == names


# --- publish ---------------------------------------------------------------------------------------------


def _edition(folder: Path) -> Path:
    folder.mkdir()
    for name in (NB02, "03_backprop.ipynb"):
        (folder / name).write_bytes((REPO / "student" / name).read_bytes())
    (folder / "README.md").write_text("the student edition\n")
    return folder


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_publish_commits_each_edition_on_top_and_summarizes_cells(tmp_path):
    edition, repo = _edition(tmp_path / "edition"), tmp_path / "class-repo"
    assert publish(edition, repo).startswith("Publish the student edition: first release, 3 files")
    first = _git(repo, "rev-parse", "HEAD").strip()
    nb = json.loads((edition / NB02).read_text())
    nb["cells"][2]["source"] = "## 1 · Gaussian → squared loss (corrected)\n"
    (edition / NB02).write_text(json.dumps(nb, indent=1))
    (edition / "README.md").unlink()
    summary = publish(edition, repo)
    assert summary == f"Publish the student edition: {NB02} (1 cell changed); README.md (removed)"
    assert _git(repo, "rev-parse", "HEAD~1").strip() == first  # the history only grows
    assert _git(repo, "log", "-1", "--format=%s").strip() == summary
    assert publish(edition, repo) == "Nothing to publish: the repository already holds this edition."


def test_publish_refuses_a_dirty_clone_and_a_folder_that_is_no_edition(tmp_path):
    edition, repo = _edition(tmp_path / "edition"), tmp_path / "class-repo"
    publish(edition, repo)
    (repo / "stray.txt").write_text("somebody's edit")
    with pytest.raises(PublishError, match="uncommitted changes"):
        publish(edition, repo)
    with pytest.raises(PublishError, match="no notebooks"):
        publish(tmp_path, tmp_path / "other")


def test_a_refused_push_is_never_forced(tmp_path, capsys):
    edition, origin, repo = _edition(tmp_path / "edition"), tmp_path / "origin.git", tmp_path / "clone"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True, capture_output=True)
    assert main(["publish", str(edition), str(repo), "--push"]) == 0
    other = tmp_path / "other"  # a colleague publishes first
    subprocess.run(["git", "clone", "-q", str(origin), str(other)], check=True)
    (other / "NOTE.md").write_text("x\n")
    _git(other, "add", "NOTE.md")
    _git(other, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "note")
    _git(other, "push", "-q")
    (edition / "README.md").write_text("changed\n")
    capsys.readouterr()
    assert main(["publish", str(edition), str(repo), "--push"]) == 1
    assert "Never force-push" in capsys.readouterr().err
    assert "NOTE.md" in _git(origin, "ls-tree", "--name-only", "main")  # the colleague's commit is still there


def test_cell_changes_match_cells_by_id():
    old = {"cells": [{"id": "a", "cell_type": "code", "source": "1"}, {"id": "b", "cell_type": "code", "source": "2"}]}
    new = {"cells": [{"id": "a", "cell_type": "code", "source": "1!"}, {"id": "c", "cell_type": "code", "source": ""}]}
    assert cell_changes(json.dumps(old), json.dumps(new)) == (1, 1, 1)


# --- collect ---------------------------------------------------------------------------------------------


def _home(root: Path, uid: int, files: dict[str, bytes], folder: str = "cnn") -> Path:
    home = root / f"home{uid}"
    (home / folder / ".ipynb_checkpoints").mkdir(parents=True)
    for name, data in files.items():
        (home / folder / name).write_bytes(data)
    for path in [home, *home.rglob("*")]:
        os.lchown(path, uid, uid)
    home.chmod(0o700)
    return home


@as_root
def test_collect_takes_only_the_owners_regular_files_at_the_notebooks_own_path(tmp_path):
    import pwd

    uid = pwd.getpwnam("nobody").pw_uid
    home = _home(tmp_path, uid, {NB02: b'{"cells": []}', "02_probabilistic_losses-Copy1.ipynb": b"{}"})
    (home / "cnn" / ".ipynb_checkpoints" / "02_probabilistic_losses-checkpoint.ipynb").write_bytes(b"{}")
    secret = tmp_path / "instructor-solutions.ipynb"
    secret.write_text("the answers")
    os.symlink(secret, home / "cnn" / "03_backprop.ipynb")  # a link out of the home: never followed
    os.mkfifo(home / "cnn" / "04_sgd.ipynb")  # would block a plain open()
    foreign = home / "cnn" / "05_mlp_on_images.ipynb"
    foreign.write_text("planted by someone else")
    os.chown(foreign, 0, 0)
    names = [NB02, "03_backprop.ipynb", "04_sgd.ipynb", "05_mlp_on_images.ipynb", "06_convolution.ipynb"]
    roster = tmp_path / "roster.csv"
    roster.write_text("hub_user,lms_id\nnobody,s1234\n")
    (result,) = collect([home], "cnn", names, tmp_path / "out", read_roster(roster))
    assert result.student == "s1234" and result.copied == [NB02]
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.ipynb")) == [
        f"s1234/{NB02}"
    ]
    line = result.line()
    for expected in (
        "03_backprop.ipynb: a symbolic link",
        "04_sgd.ipynb: 04_sgd.ipynb is not a regular file",
        "05_mlp_on_images.ipynb: 05_mlp_on_images.ipynb belongs to uid 0",
        "06_convolution.ipynb: not there",
        "02_probabilistic_losses-Copy1.ipynb: not a course notebook's own path",
    ):
        assert expected in line, line


@as_root
def test_collect_refuses_a_linked_clone_folder_root_homes_and_users_off_the_roster(tmp_path):
    import pwd

    uid = pwd.getpwnam("nobody").pw_uid
    home = _home(tmp_path, uid, {}, folder="elsewhere")
    os.symlink(home / "elsewhere", home / "cnn")
    root_home = tmp_path / "roothome"
    (root_home / "cnn").mkdir(parents=True)
    results = collect([home, root_home], "cnn", [NB02], tmp_path / "out", None)
    assert results[0].student == "nobody" and results[0].skipped == ["cnn/: a symbolic link or not a folder"]
    assert results[1].skipped == ["the home belongs to root, not to a student"]
    (off,) = collect([home], "cnn", [NB02], tmp_path / "out", {"someone": "s1"})
    assert off.skipped == ["hub user nobody is not on the roster"] and not off.student


def test_roster_must_have_its_columns_and_plain_ids(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("user,id\na,b\n")
    with pytest.raises(ValueError, match="hub_user and lms_id"):
        read_roster(roster)
    roster.write_text("hub_user,lms_id\na,../../x\n")
    with pytest.raises(ValueError, match="line 2"):
        read_roster(roster)


def test_course_cache_moves_what_the_course_writes_into_the_home(monkeypatch, tmp_path):
    from course_utils.data import repo_data_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE", "~/.cache/cnn-course")
    assert repo_data_dir() == tmp_path / ".cache" / "cnn-course"
    monkeypatch.delenv("COURSE_CACHE")
    assert repo_data_dir() == REPO / "data"


def test_the_book_shows_the_hub_button_only_when_configured(monkeypatch):
    from course_utils.instructor.notebooks import read_notebook
    from course_utils.instructor.site import book_notebook

    nb = read_notebook(REPO / "notebooks" / NB02)
    monkeypatch.delenv("COURSE_HUB_URL", raising=False)
    monkeypatch.delenv("COURSE_HUB_REPO", raising=False)
    assert "button-link" not in book_notebook(nb, NB02).cells[1].source
    hub, repo = "https://hub.example.edu", "https://git.example.edu/cnn/cnn-course"
    monkeypatch.setenv("COURSE_HUB_URL", hub)
    monkeypatch.setenv("COURSE_HUB_REPO", repo)
    run_line = book_notebook(nb, NB02).cells[1].source
    assert run_line.startswith(f"```{{button-link}} {nbgitpuller_link(hub, repo, NB02)}")
