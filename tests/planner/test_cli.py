from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ventureplan.planner.starters import examples

from tests.conftest import with_data


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("example", examples())
def test_init_then_check_is_clean(cli, tmp_path, example, lang):
    path = tmp_path / "plan.yaml"
    code, out, err = cli("init", path, "--example", example, "--lang", lang)
    assert code == 0, err
    assert f"Wrote {path}" in out
    code, out, err = cli("check", "--json", path)
    assert code == 0, out
    doc = json.loads(out)
    assert doc["valid"] is True
    assert doc["findings"] == []  # a starter is lint-clean


def test_example_list_is_what_the_help_says():
    assert examples() == ["minimal", "newslens"]


def test_zh_starter_is_chinese_with_english_field_names(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    cli("init", path, "--lang", "zh")
    from ventureplan.planner.load import load_plan

    plan = load_plan(path).plan
    assert plan.language == "zh"
    han = lambda s: any("\u4e00" <= c <= "\u9fff" for c in s)  # noqa: E731
    assert han(plan.name) and han(plan.business.summary)
    assert all(han(t.name) for t in plan.tasks)
    assert all(han(r.title) for r in plan.risks)
    assert all(han(g.statement) for g in plan.goals)
    assert "depends_on:" in path.read_text()


def test_init_refuses_to_overwrite(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("mine\n")
    code, out, err = cli("init", path)
    assert code == 1
    assert err.strip() == f"error: {path} already exists; pass --force to overwrite it"
    assert path.read_text() == "mine\n"
    code, _, _ = cli("init", path, "--force")
    assert code == 0 and path.read_text().startswith("#")


@pytest.mark.parametrize("args", [["--lang", "fr"], ["--example", "nope"]])
def test_init_bad_option_is_usage_error(cli, tmp_path, args):
    path = tmp_path / "plan.yaml"
    code, out, err = cli("init", path, *args)
    assert code == 2
    assert not path.exists()


def test_init_into_missing_folder(cli, tmp_path):
    code, out, err = cli("init", tmp_path / "no" / "plan.yaml")
    assert code == 1 and "does not exist" in err


def test_check_human_output_lists_warnings_with_fixes(cli, small_plan):
    with_data(small_plan)  # the deadline's warning, and r-quality's: it names no impact
    text = small_plan.read_text().replace("    deadline: 2027-03-31\n", "")
    small_plan.write_text(text)
    code, out, err = cli("check", small_plan)
    assert code == 0
    assert f"{small_plan}:19:5 warning[T] goals[0]: goal 'g-quality' has no deadline" in out
    assert "fix: add deadline: YYYY-MM-DD" in out
    assert f"{small_plan}:51:5 warning[M] risks[0]: risk r-quality affects nothing" in out
    assert "is valid: 3 tasks, 1 risk, 1 goal; 2 warnings" in out


def test_check_json_is_only_json(cli, small_plan):
    with_data(small_plan)  # its data file exists: r-quality, which names no impact, is all
    code, out, err = cli("check", "--json", small_plan)
    assert code == 0
    doc = json.loads(out)
    assert [f["code"] for f in doc.pop("findings")] == ["risk-affects-nothing"]
    assert doc == {
        "file": str(small_plan),
        "valid": True,
        "counts": {"error": 0, "warning": 1, "info": 0},
    }


def test_usage_errors_exit_2(cli):
    assert cli("check")[0] == 2
    assert cli("frobnicate")[0] == 2


def test_schema_command_prints_json(cli):
    code, out, err = cli("schema")
    assert code == 0 and json.loads(out)["title"] == "ventureplan plan file"


def test_help_lists_commands_and_examples():
    proc = subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", "check", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
    )
    assert "Example: ventureplan check plan.yaml" in proc.stdout


def test_planner_import_stays_light():
    code = (
        "import sys, ventureplan.planner, ventureplan.planner.cli.main, ventureplan.planner.pipeline;"
        "heavy = [m for m in ('torch', 'transformers', 'weasyprint', 'matplotlib', 'networkx')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_run_ids_are_names_not_paths(cli, small_plan, monkeypatch):
    """`--resume ID` and VENTUREPLAN_RUN_ID name a folder in runs/; a path is refused before
    any work, and nothing is written anywhere."""
    before = small_plan.read_bytes()
    for bad in ("../../anywhere", "a/b", "..", "/etc", ".hidden", "x" * 200, "a..b"):
        code, out, err = cli("run", small_plan, "--resume", bad)
        assert code == 1 and out == ""
        assert err.startswith(f"error: --resume {bad!r} is not a run id: ")
        assert err.count("\n") == 1
    monkeypatch.setenv("VENTUREPLAN_RUN_ID", "../escape")
    code, out, err = cli("run", small_plan)
    assert code == 1 and err.startswith("error: VENTUREPLAN_RUN_ID '../escape' is not a run id")
    assert small_plan.read_bytes() == before
    assert sorted(p.name for p in small_plan.parent.iterdir()) == ["plan.yaml"]
    assert not (small_plan.parent.parent / "anywhere").exists()


@pytest.mark.slow
def test_ctrl_c_during_a_report_is_one_line_not_a_traceback(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import GOOD

    finished: list[float] = []
    for delay in (0.3, 0.8, 1.5, 2.5, 3.5):  # importing, analysing, rendering
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ventureplan.planner.cli",
                "report",
                str(GOOD / "small.yaml"),
                "-o",
                str(tmp_path / "r.pdf"),
                "-n",
                "2000000",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # a job started in the background inherits SIGINT ignored; a terminal does not
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(delay)
        if proc.poll() is not None:  # a fast machine finished first: nothing to interrupt
            finished.append(delay)
            (tmp_path / "r.pdf").unlink()
            continue
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        if proc.returncode == 0:  # it finished between the look and the signal
            finished.append(delay)
            (tmp_path / "r.pdf").unlink()
            continue
        # -SIGINT: on a loaded machine the signal can land before the interpreter has set
        # its own handler; the default one ends the process silently, which is fine
        assert proc.returncode in (1, 130) or (proc.returncode == -signal.SIGINT and not err), (
            proc.returncode,
            err,
        )
        pdf = tmp_path / "r.pdf"
        if pdf.exists():  # interrupted after the atomic write: whole, never torn
            data = pdf.read_bytes()
            assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
            pdf.unlink()
        assert not list(tmp_path.glob(".*tmp*")), list(tmp_path.iterdir())  # no temporary file
    assert len(finished) <= 2, finished  # the early ones always land mid-run
