"""The SLURM profile (profiles/slurm) on a real single-node SLURM: the tiny DAG, then a kill.

1. On the tiny config, the chain of one system through every kind of job (equilibrate,
   quench, produce, pairs, train, rollout: CPU-only MD, then GPU jobs) runs through
   `snakemake --workflow-profile slurm` in a scratch copy of the repo, with only the
   profile's placeholders (account, partition, GPU model) filled in, as a user does. sacct
   must show one COMPLETED job per planned job, each with the profile's account and
   partition, one GPU for the GPU rules and none for the others; the outputs must be complete
   (`snakemake -n`: nothing to do) and right. (The whole tiny DAG, figures and sweeps
   included, is tests/test_workflow.py's, run locally: through a 2-CPU SLURM it would take
   far longer and test no other resource request.)
2. A training job cancelled with `scancel` mid-way leaves no output Snakemake takes for
   complete, keeps its checkpoint, and the same command then resumes from that checkpoint.

Run with .ci/slurm_test.sh (installs and starts SLURM; several minutes).
"""

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from slurm_cluster import ACCOUNT, GPU_MODEL, PARTITION, run

from ogn.data.h5md import read_trajectory
from ogn.net.modelfile import read_npz
from ogn.workflow.config import load_config

pytestmark = pytest.mark.slurm

PLACEHOLDERS = {"YOUR_SLURM_ACCOUNT": ACCOUNT, "YOUR_SLURM_PARTITION": PARTITION,
                "YOUR_GPU_MODEL": GPU_MODEL}
GPU_RULES = {"train", "rollout", "long_rollout", "runtime"}
CONFIGS = ["config/config.yaml", ".test/config.yaml"]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
# The failure test: long enough a training to cancel it after a few checkpoints.
KILL_TRAINING = {"max_steps": 150, "checkpoint_every": 25, "eval_every": 25}
CANCEL_AFTER_STEP = 50


def chain_targets(repo: Path, rules: set) -> list[str]:
    """Outputs that make every kind of job run once for the first system of `models`."""
    config = load_config(*(repo / c for c in CONFIGS))
    system = config["models"]["systems"][0]
    layers = config["models"]["fast_ogn_layers"]
    k = config["systems"][system]["fast_ogn_k"]
    glass = next(name for name, block in config["systems"].items() if "quench" in block)
    targets = [f"results/md/{system}/train_0.h5", f"results/md/{glass}/quenched.h5",
               f"results/models/{system}/L{layers}_k{k}/model.npz"]
    if "rollout" in rules:
        targets.append(f"results/rollouts/{system}/L{layers}_k{k}/summary.csv")
    return targets


def workflow_rules(cluster, repo) -> set:
    result = run_snakemake(cluster, repo, "--list-rules", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return {line.split()[0] for line in result.stdout.splitlines() if line.strip()}


def fill_placeholders(repo: Path) -> None:
    """Put this cluster's account, partition and GPU model into the profile, as a user does."""
    path = repo / "profiles" / "slurm" / "config.yaml"
    text = path.read_text()
    for placeholder, value in PLACEHOLDERS.items():
        assert text.count(f'"{placeholder}"') == 1, f"{placeholder} is not set in one place"
        text = text.replace(f'"{placeholder}"', f'"{value}"')
    path.write_text(text)


def snakemake_argv(*args, configs=CONFIGS):
    # Targets and flags first: --configfile takes every word after it. The status-check delay
    # is the only setting the test changes (the profile keeps the plugin's default of 40 s).
    return [sys.executable, "-m", "snakemake", "--workflow-profile", "slurm",
            "--slurm-init-seconds-before-status-checks", "2", *args, "--configfile", *configs]


def run_snakemake(cluster, repo, *args, configs=CONFIGS, timeout=3600):
    return subprocess.run(snakemake_argv(*args, configs=configs), cwd=repo, env=cluster.env,
                          capture_output=True, text=True, timeout=timeout)


def planned_jobs(cluster, repo, *args, configs=CONFIGS) -> dict:
    """{rule: count} of the jobs `snakemake -n` plans (the target rule `all` left out)."""
    result = run_snakemake(cluster, repo, "-n", *args, configs=configs, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("total", 1)[0]
    counts = {}
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    counts.pop("all", None)
    return counts


def sacct_jobs(cluster, job_ids) -> pd.DataFrame:
    """One row per SLURM job: id, rule, wildcards, state, exit code, account, partition, GPUs."""
    fields = "JobIDRaw,State,ExitCode,Account,Partition,AllocTRES%300,Elapsed,Comment%500"
    result = run(cluster, "sacct", "-X", "--parsable2", "--noheader", f"--format={fields}",
                 "-j", ",".join(str(i) for i in job_ids))
    rows = []
    for line in result.stdout.splitlines():
        job_id, state, exit_code, account, partition, tres, elapsed, comment = line.split("|")
        rule, _, wildcards = comment.removeprefix("rule_").partition("_wildcards_")
        gpus = re.search(r"gres/gpu=(\d+)", tres)
        rows.append({"job_id": int(job_id), "rule": rule, "wildcards": wildcards,
                     "state": state.split()[0], "exit_code": exit_code, "account": account,
                     "partition": partition, "gpus": int(gpus.group(1)) if gpus else 0,
                     "elapsed": elapsed})
    return pd.DataFrame(rows)


def submitted_ids(text: str) -> list[int]:
    return [int(slurm_id) for _, slurm_id in SUBMITTED.findall(text)]


@pytest.fixture(scope="module")
def dag_run(slurm, repo_copy):
    fill_placeholders(repo_copy)
    targets = chain_targets(repo_copy, workflow_rules(slurm, repo_copy))
    planned = planned_jobs(slurm, repo_copy, *targets)
    start = time.monotonic()
    result = run_snakemake(slurm, repo_copy, *targets)
    seconds = time.monotonic() - start
    (repo_copy / "slurm_run.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-8000:]
    ids = submitted_ids(result.stdout + result.stderr)
    jobs = sacct_jobs(slurm, ids)
    print(f"\n{len(ids)} jobs through SLURM in {seconds:.0f} s; SLURM job ids "
          f"{min(ids)}-{max(ids)}")
    print(jobs.to_string(index=False))
    return {"repo": repo_copy, "targets": targets, "planned": planned, "ids": ids,
            "jobs": jobs}


def test_every_job_went_through_slurm(dag_run):
    planned, jobs = dag_run["planned"], dag_run["jobs"]
    assert planned, "the dry run planned no jobs"
    assert len(dag_run["ids"]) == len(set(dag_run["ids"])) == sum(planned.values())
    assert len(jobs) == sum(planned.values()), "sacct does not know every submitted job"
    assert jobs.groupby("rule").size().to_dict() == planned
    assert (jobs["state"] == "COMPLETED").all(), jobs[jobs["state"] != "COMPLETED"]
    assert (jobs["exit_code"] == "0:0").all()
    assert (jobs["account"] == ACCOUNT).all() and (jobs["partition"] == PARTITION).all()
    gpu_jobs = jobs["rule"].isin(GPU_RULES)
    assert gpu_jobs.any()
    assert (jobs.loc[gpu_jobs, "gpus"] == 1).all(), jobs[gpu_jobs]
    assert (jobs.loc[~gpu_jobs, "gpus"] == 0).all(), jobs[~gpu_jobs]


def test_outputs_are_complete_and_right(slurm, dag_run):
    repo = dag_run["repo"]
    assert planned_jobs(slurm, repo, *dag_run["targets"]) == {}, \
        "Snakemake would rerun jobs after the SLURM run"
    config = load_config(*(repo / c for c in CONFIGS))
    steps = config["md"]["production"]["steps"]
    trajectories = sorted((repo / "results" / "md").glob("*/*_0.h5"))
    assert len(trajectories) == dag_run["planned"]["produce"]
    for path in trajectories:
        block = config["systems"][path.parent.name]
        trajectory = read_trajectory(path)
        assert trajectory.position.shape == (steps + 1, sum(block["counts"]), 3)
        assert trajectory.species_names == block["species"]
        assert np.isfinite(trajectory.position).all()
    models = sorted((repo / "results" / "models").glob("*/L*_k*/model.npz"))
    assert len(models) == dag_run["planned"]["train"]
    for model in models:
        curve = pd.read_csv(model.with_name("curve.csv"))
        assert curve["step"].iloc[-1] == config["training"]["max_steps"]
        assert np.isfinite(curve["train_loss"]).all()
        assert read_npz(model)[1]["steps"] == config["training"]["max_steps"]
    # Every rule's log and benchmark file is where the README says; SLURM's logs where the
    # profile puts them.
    for rule in dag_run["planned"]:
        assert list((repo / "results" / "benchmarks" / rule).rglob("*.tsv")), rule
    slurm_logs = list((repo / "results" / "logs" / "slurm").rglob("*.log"))
    assert {int(p.stem) for p in slurm_logs} == set(dag_run["ids"])


def checkpoint_step(path: Path) -> int:
    try:
        return int(read_npz(path)[1]["step"])
    except Exception:  # not written yet (or being replaced)
        return 0


def test_cancelled_training_resumes_from_its_checkpoint(slurm, dag_run):
    repo = dag_run["repo"]
    config = load_config(*(repo / c for c in CONFIGS))
    system = config["models"]["systems"][0]
    layers = config["models"]["fast_ogn_layers"]
    k = config["systems"][system]["fast_ogn_k"]
    folder = repo / "results" / "models" / system / f"L{layers}_k{k}"
    model, checkpoint = folder / "model.npz", folder / "model.checkpoint.npz"
    overlay = repo / "kill_test.yaml"
    overlay.write_text("training:\n" + "".join(f"  {key}: {value}\n"
                                               for key, value in KILL_TRAINING.items()))
    configs = [*CONFIGS, str(overlay.relative_to(repo))]
    for path in folder.glob("*"):
        path.unlink()  # train this model afresh under the longer training
    target = str(model.relative_to(repo))
    assert planned_jobs(slurm, repo, target, configs=configs) == {"train": 1}

    # First run: cancel the job once a few checkpoints are on disk.
    log_path = repo / "kill_run.log"
    with open(log_path, "w") as log:
        first = subprocess.Popen(snakemake_argv(target, configs=configs), cwd=repo,
                                 env=slurm.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 900
            while checkpoint_step(checkpoint) < CANCEL_AFTER_STEP:
                assert first.poll() is None, log_path.read_text()[-4000:]
                assert time.monotonic() < deadline, "training never reached the cancel point"
                time.sleep(0.2)
            (job_id,) = submitted_ids(log_path.read_text())
            run(slurm, "scancel", str(job_id))
            first.wait(timeout=600)
        finally:
            if first.poll() is None:  # stuck: do not leave it polling a stopped SLURM
                first.kill()
                first.wait()
    text = log_path.read_text()
    assert first.returncode != 0, text[-3000:]
    assert "CANCELLED" in text, text[-3000:]
    cancelled = sacct_jobs(slurm, [job_id])
    assert cancelled["state"].tolist() == ["CANCELLED"]

    # Nothing Snakemake would take for complete; the checkpoint is kept, mid-way.
    assert not model.exists()
    assert planned_jobs(slurm, repo, target, configs=configs) == {"train": 1}
    resume_step = checkpoint_step(checkpoint)
    assert CANCEL_AFTER_STEP <= resume_step < KILL_TRAINING["max_steps"]
    assert resume_step % KILL_TRAINING["checkpoint_every"] == 0

    # Second run, same command: resumes at the checkpoint and finishes.
    second = run_snakemake(slurm, repo, target, configs=configs)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-4000:]
    (second_id,) = submitted_ids(second.stdout + second.stderr)
    assert sacct_jobs(slurm, [second_id])["state"].tolist() == ["COMPLETED"]
    train_log = (repo / "results" / "logs" / "train" / system / f"L{layers}_k{k}.log").read_text()
    relative = checkpoint.relative_to(repo)
    assert f"resuming from checkpoint {relative} at step {resume_step}" in train_log
    assert read_npz(model)[1]["steps"] == KILL_TRAINING["max_steps"]
    curve = pd.read_csv(folder / "curve.csv")
    assert curve["step"].is_monotonic_increasing and curve["step"].is_unique
    assert curve["step"].iloc[-1] == KILL_TRAINING["max_steps"]
    print(f"\ntraining job {job_id} cancelled with a checkpoint at step {resume_step}; "
          f"job {second_id} resumed there and finished at step {KILL_TRAINING['max_steps']}")
