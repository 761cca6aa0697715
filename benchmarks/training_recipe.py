"""Benchmark: which training levers make a network learn fast, from the same pairs files.

Each variant is a config overlay (the ``training`` and ``model`` blocks, as YAML or JSON)
put over the config files given; each (variant, seed) is trained in its own process on one
CPU thread (as the quick preset's ``train`` jobs are) for the same wall-clock budget, two at
a time on two cores. Every run writes its ``curve.csv``; the script then prints, per variant,
the medians over the seeds of: gradient steps done, the last and the lowest test loss, and
the minutes to the first evaluation below ``--threshold`` (standardized test loss).

Runs of one variant see the same data; runs in parallel share the machine, so compare
variants run in the same invocation (two at a time, in the order given, seeds interleaved).

Usage::

    python benchmarks/training_recipe.py --pairs results/pairs/lj/k5 --system lj \\
        --layers 2 --minutes 5 --seeds 0 1 2 --out /tmp/recipe \\
        --variant paper '{}' \\
        --variant fast '{training: {batch_size: 4, learning_rate: 1.0e-3, warmup_steps: 100,
                         clip_norm: 1.0, freeze_statistics_after: 200}}'
    python benchmarks/training_recipe.py --collect /tmp/recipe --plot curves.png
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", nargs="+",
                        default=[str(REPO / "config" / "config.yaml")])
    parser.add_argument("--pairs",
                        help="folder with train.h5 and test.h5 (results/pairs/<system>/k<k>)")
    parser.add_argument("--system")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=None,
                        help="train every run for this many steps instead of --minutes")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--test-pairs", type=int, default=20)
    parser.add_argument("--out")
    parser.add_argument("--variant", nargs=2, action="append", metavar=("NAME", "OVERLAY"))
    parser.add_argument("--collect", nargs="+", metavar="OUT",
                        help="no training: the table (and --plot) of earlier runs' folders")
    parser.add_argument("--plot", help="also draw the test-loss curves into this image file")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one JSON job
    return parser.parse_args(argv)


def run_one(job: dict) -> None:
    """Train one (variant, seed) on one thread: the child process's whole work."""
    from ogn.workflow.threads import configure_cpu_threads, use_ynnpack_fusions
    configure_cpu_threads(1)
    use_ynnpack_fusions(job["config"]["compute"]["xla_cpu_ynn_fusions"])
    from ogn.learn.job import train_model_file

    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    config = job["config"]
    with open(out / "log.txt", "w") as log_file:
        def log(message):
            log_file.write(f"{time.strftime('%H:%M:%S')} {message}\n")
            log_file.flush()

        train_model_file(job["train"], job["test"], config["systems"][job["system"]],
                         config["model"], config["training"], job["layers"],
                         out / "model.npz", out / "curve.csv", log=log)


def summary_rows(runs: list, threshold: float) -> list:
    import pandas as pd
    rows = {}
    for name, seed, out in runs:
        curve = pd.read_csv(Path(out) / "curve.csv")
        below = curve[curve.test_loss < threshold]
        rows.setdefault(name, []).append({
            "seed": seed, "steps": int(curve.step.iloc[-1]),
            "last": float(curve.test_loss.iloc[-1]), "lowest": float(curve.test_loss.min()),
            "minutes_below": (float(below.seconds.iloc[0]) / 60 if len(below) else None)})
    table = []
    for name, per_seed in rows.items():
        reached = [r["minutes_below"] for r in per_seed if r["minutes_below"] is not None]
        table.append({
            "variant": name, "seeds": len(per_seed),
            "steps": statistics.median(r["steps"] for r in per_seed),
            "last_loss": statistics.median(r["last"] for r in per_seed),
            "lowest_loss": statistics.median(r["lowest"] for r in per_seed),
            "worst_last_loss": max(r["last"] for r in per_seed),
            "reached": f"{len(reached)}/{len(per_seed)}",
            "minutes_to_threshold": (statistics.median(reached) if reached else None)})
    return table


def collected_runs(folders) -> list:
    """(variant, seed, run folder) of every finished run under ``folders``."""
    runs = []
    for folder in folders:
        for job in sorted(Path(folder).glob("*_seed*/job.json")):
            if (job.parent / "model.npz").exists():  # finished, not stopped part way
                name, _, seed = job.parent.name.rpartition("_seed")
                runs.append((name, int(seed), job.parent))
    return runs


def plot_curves(runs: list, threshold: float, path) -> None:
    """Test loss against minutes of training, one colour per variant, a line per seed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    names = list(dict.fromkeys(name for name, _, _ in runs))
    colours = {name: plt.cm.tab10(i % 10) for i, name in enumerate(names)}
    figure, axis = plt.subplots(figsize=(6.5, 4.2))
    for name, seed, out in runs:
        curve = pd.read_csv(Path(out) / "curve.csv")
        axis.plot(curve.seconds / 60, curve.test_loss, color=colours[name], lw=1.2,
                  label=name if seed == min(s for n, s, _ in runs if n == name) else None)
    axis.axhline(threshold, color="0.5", ls="--", lw=0.8)
    axis.set_yscale("log")
    axis.set_xlabel("training time (min, one thread)")
    axis.set_ylabel("test loss (standardized)")
    axis.legend(fontsize=7, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=150)


def print_table(table: list, title: str) -> None:
    print(f"\n{title}")
    print("| variant | seeds | steps | last test loss | lowest | worst last | below "
          "threshold | minutes to it |")
    print("|---|---|---|---|---|---|---|---|")
    for row in table:
        minutes = "-" if row["minutes_to_threshold"] is None else \
            f"{row['minutes_to_threshold']:.2f}"
        print(f"| {row['variant']} | {row['seeds']} | {row['steps']:.0f} | "
              f"{row['last_loss']:.4f} | {row['lowest_loss']:.4f} | "
              f"{row['worst_last_loss']:.4f} | {row['reached']} | {minutes} |")


def main(argv=None):
    args = parse_arguments(argv)
    if args.one:
        run_one(json.loads(Path(args.one).read_text()))
        return
    if args.collect:
        runs = collected_runs(args.collect)
        print_table(summary_rows(runs, args.threshold), f"threshold {args.threshold}")
        if args.plot:
            plot_curves(runs, args.threshold, args.plot)
        return
    if not (args.out and args.variant and args.pairs and args.system):
        raise SystemExit("give --pairs, --system, --out and at least one --variant (or --collect)")
    sys.path.insert(0, str(REPO / "src"))
    from ogn.workflow.config import deep_update, load_config

    base = load_config(*args.config)
    pairs = Path(args.pairs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for seed in args.seeds:
        for name, overlay in args.variant:
            config = deep_update(base, yaml.safe_load(overlay) or {})
            budget = ({"max_steps": args.steps, "max_minutes": None} if args.steps
                      else {"max_minutes": args.minutes})
            config["training"] = dict(config["training"], seed=seed, **budget,
                                      eval_every=args.eval_every,
                                      checkpoint_every=10**9, test_pairs=args.test_pairs)
            run_dir = out / f"{name}_seed{seed}"
            job = {"config": config, "train": str(pairs / "train.h5"),
                   "test": str(pairs / "test.h5"), "system": args.system,
                   "layers": args.layers, "out": str(run_dir)}
            run_dir.mkdir(parents=True, exist_ok=True)
            for stale in ("curve.csv", "model.npz", "model.checkpoint.npz"):
                (run_dir / stale).unlink(missing_ok=True)
            (run_dir / "job.json").write_text(json.dumps(job))
            jobs.append((name, seed, run_dir))
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), GLIBC_TUNABLES="glibc.malloc.hugetlb=1")
    running, started = [], []
    for index, (name, seed, run_dir) in enumerate(jobs):
        while len(running) >= args.parallel:
            running = [p for p in running if p.poll() is None]
            time.sleep(1)
        print(f"[{index + 1}/{len(jobs)}] {name} seed {seed} -> {run_dir}", flush=True)
        process = subprocess.Popen([sys.executable, __file__, "--one", str(run_dir / "job.json"),
                                    "--pairs", ".", "--system", ".", "--out", ".",
                                    "--variant", ".", "."], env=env)
        running.append(process)
        started.append(process)
    failed = [p.args for p in started if p.wait() != 0]
    if failed:
        raise SystemExit(f"{len(failed)} runs failed: see their log.txt")
    table = summary_rows(jobs, args.threshold)
    budget = f"{args.steps} steps" if args.steps else f"{args.minutes} min"
    print_table(table, f"{args.system}, {Path(args.pairs).name}, {args.layers} layers, "
                f"{budget} per run on one thread; threshold {args.threshold}")
    (out / "summary.json").write_text(json.dumps(table, indent=1))
    if args.plot:
        plot_curves(jobs, args.threshold, args.plot)


if __name__ == "__main__":
    main()
