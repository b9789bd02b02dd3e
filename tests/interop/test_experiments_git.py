"""Interop: what llmake's experiment machinery writes is read by the real
peers: the run ref by the git CLI (fsck, log, show, cat-file, clone + fetch),
the records by Python's json, the generated Makefile fragments by GNU make
(-q / -n: nothing to do once built), the report by Python's html.parser."""
import json
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("LLMAKE_ROOT", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ.get("LLMAKE_BIN", ROOT / "bin"))
SHARED = Path(os.environ.get("LLMAKE_SHARED", ROOT.parent / "shared" / "data"))
FAKE = ROOT / "tests" / "e2e" / "0600-experiments-fake.inc"


def sh(cmd, cwd, env, check=True):
    r = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True)
    if check:
        assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    if not (BIN / "llmake-experiment").exists():
        pytest.skip("llmake-experiment not built")
    t = tmp_path_factory.mktemp("exp")
    env = dict(os.environ, SHARED=str(SHARED), FAKE_LOG=str(t / "fake.log"),
               PATH=f"{t / 'p' / 'fakebin'}:{BIN}:{os.environ['PATH']}",
               FAKE_KIND_train="train", FAKE_KIND_eval="eval")
    env.pop("MAKEFLAGS", None)
    sh(f". '{FAKE}' && make_project '{t / 'p'}'", t, env)
    p = t / "p"
    (p / "experiments" / "sweeps" / "s.json").write_text(
        json.dumps({"base": "tiny", "grid": {"train.lr": [0.1, 0.2], "train.seed": [1, 2]}}))
    frag = sh("llmake-experiment sweep s", p, env).stdout.strip()
    sh(f"make -s -j2 -f '{frag}'", p, env)
    sh("llmake-experiment report s", p, env)
    return p, env, frag


def test_git_reads_the_run_ref(project):
    p, env, _ = project
    sh("git fsck --strict --no-progress", p, env)
    subjects = sh("git log --format=%s refs/llmake/runs", p, env).stdout.split("\n")
    assert sum(s.startswith("run ") for s in subjects) == 4
    ids = sh("git ls-tree --name-only refs/llmake/runs:runs", p, env).stdout.split()
    assert len(ids) == 4
    for rid in ids:
        rec = json.loads(sh(f"git show refs/llmake/runs:runs/{rid}/run.json", p, env).stdout)
        assert rec["run_id"] == rid
        local = json.loads((p / "out" / "runs" / rec["experiment"] / f"{rid}.json").read_text())
        # the local record is the git one plus its commit id and the curves
        assert local["commit"] and {k: v for k, v in local.items() if k not in ("commit", "curves")} == rec
        curves = json.loads(sh(f"git show refs/llmake/runs:runs/{rid}/curves.json", p, env).stdout)
        assert curves == local["curves"]
        assert [x for x, _ in curves["train"]["loss"]] == list(range(1, 21))
        assert rec["metrics"]["train.loss"] == curves["train"]["loss"][-1][1]
    # the user's side is untouched: HEAD is the project commit, no stash, clean index
    assert sh("git log --format=%s HEAD", p, env).stdout.strip() == "project"
    assert sh("git status --porcelain --untracked-files=no", p, env).stdout == ""


def test_runs_travel_with_a_clone(project, tmp_path):
    p, env, _ = project
    sh(f"git clone -q '{p}' '{tmp_path / 'c'}' && cd '{tmp_path / 'c'}' && "
       "git fetch -q origin refs/llmake/runs:refs/llmake/runs", tmp_path, env)
    out = sh("llmake-runs --exp s.lr-0.2_seed-2", tmp_path / "c", env).stdout
    assert "s.lr-0.2_seed-2" in out


def test_make_sees_nothing_to_do(project):
    p, env, frag = project
    plan = json.loads((p / "out" / "plans" / "s.lr-0.1_seed-1.json").read_text())
    markers = [st["dir"] + "/stage.json" for st in plan["stages"]] + [plan["run_record"]]
    # -q: every target up to date; -n: no command would run; even after touching
    sh("find corpus out -exec touch {} +", p, env)
    r = sh(f"make -q -f '{frag}' " + " ".join(markers), p, env, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    r = sh(f"make -n -f '{frag}' " + " ".join(markers), p, env)
    assert "experiment-stage" not in r.stdout


class _Counter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs = self.polylines = self.eval_rows = 0
        self._in_eval = False
        self.tables = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "loss-curve" in (a.get("class") or ""):
            self.svgs += 1
        if tag == "polyline":
            self.polylines += 1
            assert len(a["points"].split()) >= 2
        if tag == "table":
            self.tables.append(a.get("id"))
            self._in_eval = a.get("id") == "eval-table"
        if tag == "tr" and self._in_eval:
            self.eval_rows += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_eval = False


def test_report_parses(project):
    p, _, _ = project
    c = _Counter()
    c.feed((p / "out" / "reports" / "s.html").read_text())
    assert c.svgs >= 1 and c.polylines >= 4
    assert c.eval_rows == 1 + 4
    assert {"runs", "eval-table", "config-diff"} <= set(c.tables)
