"""Sharded runs (``harness bench --shard I/N``) and merging them (``harness merge``): the shares
partition a plan by whole figures, the shards of the smoke plan merge into the run the unsharded
plan makes, and every merge that would mix plans, commits, splits or machines is refused."""

import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runs import bench, copy_run, harness, latest, links, one_line_error, resume

from harness.protocol.job import Job
from harness.runs import files, lifecycle, merge, results, shards
from harness.runs.files import RunError
from harness.runs.plans import PLANS
from harness.runs.runner import plan
from harness.runtime.python import current

ROOT = Path(__file__).resolve().parent.parent


def planned(name, seed=0):
    """The plan's jobs on the running interpreter, its datasets at made-up paths."""
    chosen = PLANS[name]
    datasets = {spec.key: Path(f"/data/{spec.key}.sqlite") for spec in chosen.datasets}
    return plan(chosen, [current()], datasets, seed=seed)[0], datasets


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 4/4 ", (4, 4))])
def test_a_shard_is_i_of_n(text, expected):
    shard = shards.parse(text)
    assert (shard.index, shard.count) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "junk", "", "2/", "-1/4", "1.5/4", "2/4/8"])
def test_a_shard_that_cannot_be_is_refused(text):
    with pytest.raises(ValueError):
        shards.parse(text)


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "junk"])
def test_bench_refuses_a_bad_shard_in_one_line(tmp_path, text):
    done = harness(tmp_path, "bench", "--plan", "smoke", "--shard", text, "--out", "results")
    assert "--shard" in one_line_error(done)
    assert list(tmp_path.iterdir()) == []


FULL_JOBS = planned("full")[0]


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_the_shards_partition_the_plan_by_whole_figures(count, seed):
    jobs = list(FULL_JOBS)
    random.Random(seed).shuffle(jobs)  # another run's interleaving: the shares must not move
    parts = shards.partition(jobs, count)
    assert sorted(job.id for part in parts for job in part) == sorted(job.id for job in jobs)
    home = {}
    for index, part in enumerate(parts):
        ids = {job.id for job in part}
        assert [job.id for job in jobs if job.id in ids] == [job.id for job in part]  # the planned order kept
        for job in part:
            assert home.setdefault(shards.figure_group(job), index) == index
    again = shards.partition(sorted(jobs, key=lambda job: job.id), count)
    assert [{job.id for job in part} for part in again] == [{job.id for job in part} for part in parts]
    assert all(parts), "a shard of a plan with more figures than shards is never empty"


def test_every_repeat_of_a_figure_is_in_one_shard():
    repeated = [job for job in FULL_JOBS if job.id.endswith("-r2")]
    assert repeated
    parts = [{job.id for job in part} for part in shards.partition(FULL_JOBS, 4)]
    for job in repeated:
        first = job.id[: -len("-r2")] + "-r1"
        assert [first in part for part in parts] == [job.id in part for part in parts]


def test_four_shards_of_the_full_plan_each_hold_about_a_quarter_of_its_estimated_work():
    parts = shards.partition(FULL_JOBS, 4)
    estimated = [shards.estimated_share(FULL_JOBS, part) for part in parts]
    assert sum(estimated) == pytest.approx(1)
    assert max(estimated) <= 0.26


def test_the_cost_model_grows_with_size_calls_and_processes():
    job = next(job for job in FULL_JOBS if job.measurer == "timing" and job.workload == "hydrate_all")
    bigger = replace(job, size=job.size * 2)
    assert shards.job_seconds(bigger) > shards.job_seconds(job) > shards.STARTUP_S["timing"]
    more = replace(job, params={**job.params, "pyperf": {**job.params["pyperf"], "values": 20}})
    assert shards.job_seconds(more) > shards.job_seconds(job)


def test_a_shard_and_its_digest_do_not_depend_on_the_seed_or_the_machine():
    shard = shards.Shard(2, 3)
    jobs_a, paths_a = planned("quick", seed=1)
    jobs_b, _ = planned("quick", seed=2)
    elsewhere = {key: Path("/elsewhere") / path.name for key, path in paths_a.items()}
    jobs_b = [replace(job, dataset=str(elsewhere[Path(job.dataset).stem])) for job in jobs_b]
    recorded = {}
    for jobs, paths in ((jobs_a, paths_a), (jobs_b, elsewhere)):
        datasets = {key: {"path": str(path), "sha256": f"sha-{key}"} for key, path in paths.items()}
        mine, entry = shards.record(shard, "bench", "quick", jobs, datasets, ["cp311"])
        recorded[str(paths)] = ({job.id for job in mine}, entry)
    (ids_a, entry_a), (ids_b, entry_b) = recorded.values()
    assert ids_a == ids_b and entry_a == entry_b
    assert entry_a["index"] == 2 and entry_a["count"] == 3 and entry_a["plan_jobs"] == len(jobs_a)


def test_a_shard_is_never_the_default_run_and_has_a_link_of_its_own():
    assert results.latest_names("quick", ["cp311"], True, (2, 4)) == ["latest-quick-cp311-shard2of4"]
    assert results.latest_names("quick", ["cp311"], True) == ["latest", "latest-quick-cp311"]


def test_the_shard_is_part_of_the_plan_a_resume_checks():
    manifest = {"command": "bench", "jobs": [], "datasets": {}, "interpreters": {}}
    whole = results.plan_digest(manifest)
    sharded = {**manifest, "shard": {"index": 1, "count": 2, "plan_sha256": "x"}}
    assert results.plan_digest(sharded) != whole
    assert results.plan_digest({**sharded, "shard": {"index": 2, "count": 2, "plan_sha256": "x"}}) != (
        results.plan_digest(sharded)
    )


def _fake_shard(directory, index, fingerprint, measurers):
    jobs = [Job(f"cp311-{m}-{index}", m, "spread", "hydrate_all", "/d", 10, interpreter="cp311") for m in measurers]
    manifest = {"shard": {"index": index, "count": 2}, "interpreters": {"cp311": {"fingerprint": fingerprint}}}
    return merge.ShardRun(Path(directory), manifest, jobs)


def test_exact_figures_merge_across_fingerprints_machine_dependent_ones_never():
    census = [_fake_shard("a", 1, "aaa", ["census"]), _fake_shard("b", 2, "bbb", ["census"])]
    merge._check_fingerprints(census)  # exact counts: no refusal
    one_timed = [_fake_shard("a", 1, "aaa", ["census", "timing"]), _fake_shard("b", 2, "bbb", ["census"])]
    merge._check_fingerprints(one_timed)  # the timing figures all come from one machine
    for measurer in ("timing", "gcprobe", "memory"):
        both = [_fake_shard("a", 1, "aaa", [measurer]), _fake_shard("b", 2, "bbb", ["census", measurer])]
        with pytest.raises(RunError, match="a: aaa; b: bbb"):
            merge._check_fingerprints(both)


# Real runs of the smoke plan: whole, and in two shards.


def tag(run_dir):
    """The tag of the one interpreter a run ran on (``cp311`` on CPython 3.11)."""
    (found,) = results.load_manifest(run_dir)["interpreters"]
    return found


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """(cwd, the unsharded smoke run, its two shard runs), all under ``cwd/results``."""
    cwd = tmp_path_factory.mktemp("shards")
    whole = bench(cwd)
    assert whole.returncode == 0, whole.stderr
    unsharded = latest(cwd / "results")
    for index in (1, 2):
        done = bench(cwd, "--shard", f"{index}/2")
        assert done.returncode == 0, done.stderr
    parts = [(cwd / "results" / f"latest-smoke-{tag(unsharded)}-shard{index}of2").resolve() for index in (1, 2)]
    return cwd, unsharded, parts


def _census(run_dir):
    """Every census figure of a run: (job, metric) -> value."""
    rows = results.tidy_rows(results.job_results(run_dir), results.load_manifest(run_dir), run_dir)
    return {(row["job"], row["metric"]): row["value"] for row in rows if row["measurer"] == "census"}


def _entries(root):
    return sorted(path.name for path in Path(root).iterdir())


@pytest.mark.integration
def test_shard_runs_record_their_share_and_are_never_latest(sharded):
    cwd, unsharded, parts = sharded
    whole = results.load_manifest(unsharded)
    manifests = [results.load_manifest(part) for part in parts]
    assert [m["shard"]["index"] for m in manifests] == [1, 2]
    assert {m["shard"]["plan_sha256"] for m in manifests} == {manifests[0]["shard"]["plan_sha256"]}
    assert all(m["shard"]["plan_jobs"] == len(whole["jobs"]) for m in manifests)
    assert sum(m["shard"]["estimated_share"] for m in manifests) == pytest.approx(1, abs=1e-3)
    assert sorted(j["id"] for m in manifests for j in m["jobs"]) == sorted(j["id"] for j in whole["jobs"])
    assert f"latest-smoke-{tag(unsharded)}-shard1of2" in links(cwd / "results")
    assert all(m["links"] == [f"latest-smoke-{tag(unsharded)}-shard{m['shard']['index']}of2"] for m in manifests)


@pytest.mark.integration
def test_a_shard_resumes_as_any_run_does(sharded, tmp_path):
    cwd, _, parts = sharded
    copy = copy_run(parts[0], tmp_path)
    first = results.load_manifest(copy)["jobs"][0]["id"]
    (copy / "jobs" / f"{first}.json").unlink()
    done = resume(cwd, copy)
    assert done.returncode == 0, done.stderr
    assert results.completeness(copy, results.load_manifest(copy))["missing"] == 0
    refused = harness(cwd, "bench", "--no-report", "--resume", copy, "--shard", "1/2")
    assert "--shard" in one_line_error(refused)


@pytest.mark.integration
def test_the_shards_merge_into_the_unsharded_run(sharded, tmp_path):
    _, unsharded, parts = sharded
    merged = merge.merge(list(reversed(parts)), tmp_path)
    manifest, whole = results.load_manifest(merged), results.load_manifest(unsharded)
    assert manifest["status"] == "complete" and manifest["command"] == "merge"
    assert results.completeness(merged, manifest) == {"planned": 20, "ok": 20, "failed": 0, "missing": 0}
    by_id = {job["id"]: job for job in manifest["jobs"]}
    assert by_id == {job["id"]: job for job in whole["jobs"]}  # same ids, same params
    census = _census(merged)
    assert census and census == _census(unsharded)
    assert results.load_tidy(merged)["job"].nunique() == len(by_id)
    assert (merged / "timing" / "suite.json").is_file()
    assert [entry["index"] for entry in manifest["merged_from"]] == [1, 2]
    assert [entry["run"] for entry in manifest["merged_from"]] == [str(part) for part in parts]
    assert manifest["links"] == [f"latest-smoke-{tag(unsharded)}"]
    assert results.resume_command(merged, manifest).startswith("harness merge ")
    assert not any(name.startswith(".merge") for name in _entries(tmp_path))


def _edited_copy(run_dir, tmp_path, edit):
    """A copy of a run whose manifest ``edit`` changed (and was sealed again, as a real run's would be)."""
    copy = copy_run(run_dir, tmp_path / "copies")
    manifest = results.load_manifest(copy)
    edit(manifest)
    manifest["plan_sha256"] = results.plan_digest(manifest)
    files.write_json(copy / "manifest.json", manifest)
    return copy


def _other_commit(manifest):
    manifest["git"] = {**manifest["git"], "commit": "0" * 40}


def _other_machine(manifest):
    manifest["interpreters"][next(iter(manifest["interpreters"]))]["fingerprint"] = "0123456789ab"


def _other_split(manifest):
    manifest["shard"] = {**manifest["shard"], "count": 3}


REFUSALS = {
    "overlap": (lambda parts, tmp: [parts[0], parts[0], parts[1]], "shard 1/2 is given 2 times"),
    "missing": (lambda parts, tmp: [parts[1]], "shard 1/2 missing"),
    "commit": (lambda parts, tmp: [parts[0], _edited_copy(parts[1], tmp, _other_commit)], "not of one commit"),
    "fingerprint": (
        lambda parts, tmp: [parts[0], _edited_copy(parts[1], tmp, _other_machine)],
        "never merged across fingerprints",
    ),
    "split": (lambda parts, tmp: [parts[0], _edited_copy(parts[1], tmp, _other_split)], "not of one split"),
}


@pytest.mark.integration
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_merge_that_would_mix_is_refused_with_nothing_written(sharded, tmp_path, case):
    _, _, parts = sharded
    choose, message = REFUSALS[case]
    given = choose(parts, tmp_path)
    root = tmp_path / "merged"
    with pytest.raises(RunError, match=message) as refused:
        merge.merge(given, root)
    assert "\n" not in str(refused.value)
    assert any(str(run) in str(refused.value) for run in given)
    assert not root.exists()


@pytest.mark.integration
def test_shards_of_different_plans_are_refused(sharded, tmp_path):
    cwd, _, parts = sharded
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(cwd / "datasets", other / "datasets")
    done = bench(other, "--shard", "2/2", "--strategies", "spread")
    assert done.returncode == 0, done.stderr
    with pytest.raises(RunError, match="not of one plan"):
        merge.merge([parts[0], (other / "results" / "latest-smoke-cp311-shard2of2").resolve()], tmp_path / "merged")


@pytest.mark.integration
def test_an_incomplete_or_unsharded_run_is_refused(sharded, tmp_path):
    _, unsharded, parts = sharded
    copy = copy_run(parts[1], tmp_path)
    first = results.load_manifest(copy)["jobs"][0]["id"]
    (copy / "jobs" / f"{first}.json").write_text("{}")
    with pytest.raises(RunError, match="not a complete, verified run"):
        merge.merge([parts[0], copy], tmp_path / "merged")
    with pytest.raises(RunError, match="not a shard run"):
        merge.merge([unsharded], tmp_path / "merged")


@pytest.mark.integration
def test_an_interrupted_merge_leaves_nothing_behind(sharded, tmp_path, monkeypatch):
    _, _, parts = sharded

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(lifecycle, "finish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        merge.merge(parts, tmp_path)
    assert _entries(tmp_path) == []


@pytest.mark.integration
def test_harness_merge_refuses_in_one_line(sharded, tmp_path):
    cwd, _, parts = sharded
    done = harness(cwd, "merge", parts[1], "--out", tmp_path / "merged", "--no-report")
    assert "shard 1/2 missing" in one_line_error(done)
    assert not (tmp_path / "merged").exists()


def test_the_ci_workflow_runs_commands_the_cli_has():
    text = (ROOT / ".github" / "workflows" / "bench.yml").read_text()
    for needed in ("harness bench --plan full --shard ${{ matrix.shard }}/4", "harness merge", "upload-artifact"):
        assert needed in text
    from harness.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["bench", "--plan", "full", "--shard", "3/4", "--python", "3.11", "--no-report"])
    assert (args.shard.index, args.shard.count, args.plan) == (3, 4, "full")
    args = parser.parse_args(["merge", "a", "b", "--out", "results", "--no-report"])
    assert args.runs == [Path("a"), Path("b")] and args.no_report
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(text)
    matrix = workflow["jobs"]["shard"]["strategy"]["matrix"]
    assert sorted(matrix["shard"]) == [1, 2, 3, 4] and len(matrix["python"]) >= 2
    assert workflow["jobs"]["merge"]["needs"] == "shard"
