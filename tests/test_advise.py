"""``harness advise``: a run of the advise plan on one dataset, and an answer made of its figures."""

import json
from pathlib import Path

import pytest
from runs import InterruptAfter, latest

from harness.analysis import advice
from harness.analysis.advice import Figures, choice
from harness.cli import main
from harness.generate import generate
from harness.metrics import GC_S, GC_SHARE, KEY_SETS, WALL_S
from harness.runs import lifecycle, results
from harness.store import write_dataset


@pytest.fixture
def small_plan(monkeypatch):
    """The advise plan cut down to spread and one candidate (a full one is minutes, not seconds)."""
    monkeypatch.setattr(advice, "CANDIDATES", ("slots",))


def advise(tmp_path, capsys, *argv):
    """``harness advise ARGV --no-report``, into ``tmp_path/results`` unless it resumes a run."""
    capsys.readouterr()
    argv = [str(arg) for arg in argv]
    into = [] if "--resume" in argv else ["--out", str(tmp_path / "results")]
    code = main(["advise", *argv, *into, "--no-report"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.integration
def test_advise_measures_the_dataset_and_answers_with_its_own_figures(tmp_path, capsys, small_plan):
    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 120, sessions=1))
    code, out, err = advise(tmp_path, capsys, dataset)
    assert code == 0, err
    run_dir = latest(tmp_path / "results", "advise")
    manifest = results.load_manifest(run_dir)
    assert manifest["plan"] == "advise" and manifest["status"] == "complete"
    planned = {(job["measurer"], job["strategy"], job["params"].get("gc_mode")) for job in manifest["jobs"]}
    assert ("gcprobe", "spread", "disabled") in planned and ("memory", "slots", None) in planned
    figures = Figures(run_dir)
    assert len(figures.all("gcprobe", "spread", WALL_S, "enabled")) == advice.REPEATS  # interleaved processes
    spread_share = figures.get("gcprobe", "spread", GC_SHARE, "enabled")
    assert f"GC share {spread_share:.0%}" in out
    assert f"{figures.get('census', 'spread', KEY_SETS['info']):.0f} distinct key sets" in out
    picked = choice(figures)  # the report's rule: faster, and at most half of spread's GC time
    wall, gc = (figures.get("gcprobe", "slots", metric, "enabled") for metric in (WALL_S, GC_S))
    qualifies = gc <= 0.5 * figures.get("gcprobe", "spread", GC_S, "enabled")
    assert (picked.strategy == "slots") is (qualifies and wall < figures.get("gcprobe", "spread", WALL_S, "enabled"))
    if picked.strategy == "slots":
        assert "What removes most of it on this interpreter: slots" in out
    else:
        assert f"Nothing here beats spread: {picked.reason}." in out
    assert "(The rule: The answer names, per interpreter, the strategy" in out
    assert "class UserMessage:" in out or "class User" in out  # the generated __slots__ classes
    assert out.rstrip().splitlines()[-1] == f"run: {run_dir}"


@pytest.mark.integration
def test_advise_writes_the_code_to_a_file_when_asked(tmp_path, capsys, small_plan):
    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 60, sessions=1))
    (tmp_path / "adopt.py").write_text("# mine\n")
    code, _, err = advise(tmp_path, capsys, dataset, "--code", tmp_path / "adopt.py")
    assert code == 2 and err.count("\n") == 1 and "exists; name a new file, or give --force" in err
    assert (tmp_path / "adopt.py").read_text() == "# mine\n"
    code, out, err = advise(tmp_path, capsys, dataset, "--code", tmp_path / "adopt.py", "--force")
    assert code == 0, err
    source = (tmp_path / "adopt.py").read_text()
    compile(source, "adopt.py", "exec")  # it is Python
    assert "__slots__" in source and f"The code to adopt it is in {tmp_path / 'adopt.py'}." in out


@pytest.mark.parametrize(
    ("target", "force"),
    [("d.sqlite", False), ("d.sqlite", True), ("d.sqlite.manifest.json", True), ("other.sqlite", True)],
)
def test_code_is_never_written_over_a_dataset_or_a_file_advise_reads(tmp_path, capsys, target, force):
    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 20, sessions=1))
    write_dataset(tmp_path / "other.sqlite", generate("realistic", 4, 20, sessions=1))
    before = (tmp_path / target).read_bytes()
    code, out, err = advise(tmp_path, capsys, dataset, "--code", tmp_path / target, *(["--force"] if force else []))
    assert code == 2 and err.count("\n") == 1 and f"--code {tmp_path / target}" in err, err
    assert (tmp_path / target).read_bytes() == before and out == ""
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_code_into_a_directory_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    import harness.commands.advise as command

    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 20, sessions=1))
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = command.os.access
    monkeypatch.setattr(command.os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode))
    code, out, err = advise(tmp_path, capsys, dataset, "--code", locked / "adopt.py")
    assert code == 2 and err.count("\n") == 1 and "cannot be written" in err, err
    assert out == "" and not (tmp_path / "results").exists()


def test_a_schema_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path, capsys):
    import os

    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 20, sessions=1))
    os.mkfifo(tmp_path / "schema.json")
    code, out, err = advise(tmp_path, capsys, dataset, "--schema", tmp_path / "schema.json")
    assert code == 2 and err.count("\n") == 1 and "is not a regular file" in err and out == ""


@pytest.mark.integration
def test_an_interrupted_advise_is_resumed_by_advise_and_answers(tmp_path, capsys, small_plan, monkeypatch):
    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 40, sessions=1))
    monkeypatch.setattr(lifecycle, "RunProgress", lambda: InterruptAfter(3))
    code, out, err = advise(tmp_path, capsys, dataset)
    (run_dir,) = (tmp_path / "results").iterdir()
    assert code == 130 and out == "" and f"resume with  harness advise --resume {run_dir}" in err
    assert results.load_manifest(run_dir)["command"] == "advise"
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["bench", "--no-report", "--resume", str(run_dir)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith(f"is a run of harness advise: resume it with  harness advise --resume {run_dir}")
    assert results.load_manifest(run_dir)["status"] == "interrupted"
    code, _, err = advise(tmp_path, capsys, dataset, "--resume", run_dir)
    assert code == 2 and "give a DATASET to advise on, or --resume RUN_DIR (one of them)" in err
    code, out, err = advise(tmp_path, capsys, "--resume", run_dir, "--code", tmp_path / "adopt.py")
    assert code == 0, err
    assert results.load_manifest(run_dir)["status"] == "complete"
    assert out.startswith("Your data: 40 messages") and f"The code to adopt it is in {tmp_path / 'adopt.py'}." in out
    assert "class " in (tmp_path / "adopt.py").read_text()


@pytest.mark.integration
def test_a_strategy_that_cannot_build_the_rows_is_named_and_the_run_is_not_complete(tmp_path, capsys, monkeypatch):
    pytest.importorskip("msgspec")
    monkeypatch.setattr(advice, "CANDIDATES", ("msgspec-nogc",))
    dataset = tmp_path / "d.sqlite"
    generated = generate("realistic", 3, 40, sessions=1)
    for row, _ in generated.records:
        if row["data"]["role"] == "assistant":
            row["data"]["cost"] = "free"  # a type the schema does not allow
    write_dataset(dataset, generated)
    code, out, err = advise(tmp_path, capsys, dataset)
    assert code == 1 and "the run is not complete: " in err and "harness advise --resume" in err
    assert "Could not measure msgspec-nogc on this data: " in out and "$.cost" in out
    assert "Nothing here beats spread: the run rebuilt no strategy beside spread." in out


def test_a_dataset_that_is_not_one_is_refused(tmp_path, capsys):
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_text("no")
    code, _, err = advise(tmp_path, capsys, bogus)
    assert code == 2 and err.count("\n") == 1 and "is not a shape-harness dataset" in err
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())
    assert json.dumps(err)  # one printable line


@pytest.mark.integration
def test_advise_on_imported_rows_speaks_of_their_schema(tmp_path, capsys, small_plan):
    rows = tmp_path / "orders.jsonl"
    rows.write_text("".join(json.dumps({"kind": "order", "at": n, "amount": n % 7}) + "\n" for n in range(200)))
    assert main(["import", "rows", "--jsonl", str(rows), "--out", str(tmp_path / "orders.sqlite")]) == 0
    code, out, err = advise(tmp_path, capsys, tmp_path / "orders.sqlite")
    assert code == 0, err
    assert "your parts" not in out  # rows have none
    assert "for the schema 'orders'" in out and "__slots__ = ('kind', 'at', 'amount', )" in out  # inferred schema
    from harness.analysis.answer import answers

    run_dir = latest(tmp_path / "results", "advise")
    (found,) = answers(results.load_tidy(run_dir))  # the report answers on imported rows too (origin "rows")
    assert found.text.startswith("On CPython") and "rebuilding 200 messages of orders.sqlite" in found.text


@pytest.mark.integration
def test_an_edited_schema_builds_the_strategies_and_the_code(tmp_path, capsys, small_plan):
    rows = tmp_path / "orders.jsonl"
    rows.write_text("".join(json.dumps({"kind": "order", "at": n, "amount": n % 7}) + "\n" for n in range(100)))
    assert main(["import", "rows", "--jsonl", str(rows), "--out", str(tmp_path / "orders.sqlite")]) == 0
    edited = tmp_path / "edited.schema.json"
    schema = json.loads((tmp_path / "orders.sqlite.schema.json").read_text())
    schema["name"] = "edited-orders"
    edited.write_text(json.dumps(schema))
    code, out, err = advise(tmp_path, capsys, tmp_path / "orders.sqlite", "--schema", edited)
    assert code == 0, err
    assert "for the schema 'edited-orders'" in out
    run_dir = latest(tmp_path / "results", "advise")
    assert {job.get("schema") for job in results.load_manifest(run_dir)["jobs"]} == {str(edited)}
    edited.write_text('{"format": "shape-harness-schema", "version": 1, "tables": 7}')
    code, _, err = advise(tmp_path / "again", capsys, tmp_path / "orders.sqlite", "--schema", edited)
    assert code == 2 and err.count("\n") == 1 and "edited.schema.json" in err
    assert not (tmp_path / "again").exists()
