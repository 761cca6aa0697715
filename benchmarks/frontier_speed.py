"""Benchmark: one trained model file against our MD and LAMMPS, in one process, per N.

For each size N the system the model was trained on (its ``systems.<name>`` block, recorded
in the model file) is cut to about N atoms from an equilibrated configuration at the same
density and composition, relaxed and brought to T (:func:`ogn.md.resize.sized_configuration`,
the ``runtime`` rule's own preparation, with its ``runtime`` settings from the config). Then,
from that one state:

* ``learned``: a rollout of the model file covering ``--steps`` MD steps, ceil(steps / k)
  model steps, its graph builds included (:func:`ogn.runtime.engines.fast_ogn_engine`);
* ``md``: our MD, the same steps of velocity Verlet with a neighbor list, its builds and
  rebuilds included;
* ``lammps``: LAMMPS with the same potential, N, dt and skin on the same threads (setup
  excluded).

Each engine runs once untimed (compilation, warm-up), then the engines take turns,
``--repeats`` rounds (learned, md, lammps, learned, ...), so that a change of the machine's
load hits every engine alike. The script prints, per N, the median wall times and the ratios
learned / MD and learned / LAMMPS, with the model's stride costs (k, substeps, network passes
and force evaluations per 100 MD steps) and the CPU. The model file timed is the one given:
no stand-in network.

Usage::

    python benchmarks/frontier_speed.py --model results/models/cuzr/L2_k10/model.npz \\
        --state results/md/cuzr/equilibrated.h5 --sizes 1000 10000 --repeats 3
    python benchmarks/frontier_speed.py --model MODEL --state STATE --threads 2 \\
        --config config/config.yaml config/quick.yaml --csv benchmarks/out/frontier.csv
"""

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

# OpenMP threads that spin at barriers stall when the cores are shared; the runtime rule
# sets the same (ogn.workflow.job.start_job with omp_passive)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO = Path(__file__).resolve().parents[1]
ENGINE_ORDER = ("learned", "md", "lammps")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a trained model file (model.npz)")
    parser.add_argument("--state", required=True,
                        help="an equilibrated trajectory of the model's system (H5MD), e.g. "
                             "results/md/<system>/equilibrated.h5; its last frame is cut")
    parser.add_argument("--config", nargs="+", default=[str(REPO / "config" / "config.yaml")],
                        help="config files (later ones overlay earlier ones) for the runtime "
                             "settings: fire_steps, settle_steps, graph_skin, seed, precision")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000])
    parser.add_argument("--steps", type=int, default=100, help="MD steps timed per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for JAX and LAMMPS (default: runtime.threads)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINE_ORDER),
                        choices=ENGINE_ORDER)
    parser.add_argument("--csv", default=None, help="also write the rows here")
    return parser.parse_args(argv)


def merged_config(paths) -> dict:
    """The config files merged as Snakemake merges --configfile overlays (dicts deeply)."""
    import yaml

    def merge(base, overlay):
        for key, value in overlay.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base

    config: dict = {}
    for path in paths:
        with open(path) as handle:
            merge(config, yaml.safe_load(handle) or {})
    return config


def main(argv=None):
    args = parse_arguments(argv)
    config = merged_config(args.config)
    settings = config["runtime"]
    threads = int(args.threads or settings["threads"])
    from ogn.workflow.threads import configure_cpu_threads

    configure_cpu_threads(threads)  # before JAX starts
    from ogn.md.precision import set_precision

    set_precision(config["md"]["precision"])
    import jax

    from ogn.data.h5md import read_trajectory
    from ogn.md.resize import sized_configuration
    from ogn.net.trained import load
    from ogn.runtime.engines import make_engine, stride_costs
    from ogn.runtime.timing import machine_info

    model = load(args.model)
    block = model.system_config
    if block is None:
        sys.exit(f"{args.model} does not record its system's config block (written by an older "
                 "version): retrain it, or time it with the runtime rule")
    name = model.system_name or "system"
    start = read_trajectory(args.state, frames=slice(-1, None))
    if sorted(set(start.species.tolist())) != list(range(len(block["species"]))):
        sys.exit(f"{args.state} does not hold the species of {args.model} "
                 f"({', '.join(block['species'])}): give that system's equilibrated state")
    costs = stride_costs(model)
    machine = machine_info(threads)
    names = {"learned": "fast_ogn", "md": "md", "lammps": "lammps"}
    rows = []
    print(f"model {args.model}: {name}, {model.network_config.step_family}, k = {model.k}, "
          f"{costs['network_passes_per_100_md_steps']:g} network "
          f"passes and {costs['force_evaluations_per_100_md_steps']:g} force evaluations per 100 "
          f"MD steps, trained {model.training_steps} steps", flush=True)
    print(f"machine: {machine}", flush=True)
    for n_atoms in args.sizes:
        sized = sized_configuration(name, block, start.position[-1], start.species, start.box,
                                    int(n_atoms), int(settings["fire_steps"]),
                                    int(settings["settle_steps"]), int(settings["seed"]))
        n_real = len(sized.system.species)
        engines = {engine: make_engine(names[engine], sized, args.steps, threads, model,
                                       float(settings["graph_skin"]))
                   for engine in args.engines}
        seconds = {engine: [] for engine in engines}
        for engine in engines.values():  # compilation and warm-up, untimed
            engine.run()
        for _ in range(args.repeats):
            for label, engine in engines.items():
                begin = time.perf_counter()
                own = engine.run()
                seconds[label].append(own if own is not None else time.perf_counter() - begin)
        median = {label: statistics.median(values) for label, values in seconds.items()}
        row = {"system": name, "N": n_real, "steps": args.steps, "repeats": args.repeats,
               "model": args.model, **{f"{label}_s": median[label] for label in median},
               "model_k": costs["model_k"], "substeps": costs["substeps"],
               "cpu_model": machine.get("cpu_model", ""), "threads": threads}
        for reference in ("md", "lammps"):
            if "learned" in median and reference in median:
                row[f"learned_over_{reference}"] = median["learned"] / median[reference]
        rows.append(row)
        print(f"N = {n_real}: " + ", ".join(
            f"{label} {median[label]:.4g} s (min {min(seconds[label]):.4g}, max "
            f"{max(seconds[label]):.4g})" for label in median) + "".join(
            f"; learned / {reference} {row[f'learned_over_{reference}']:.3f}"
            for reference in ("md", "lammps") if f"learned_over_{reference}" in row),
            flush=True)
        jax.clear_caches()
    print(f"\n{args.steps} MD steps, medians of {args.repeats} interleaved rounds; "
          f"{machine.get('cpu_model', '')}, threads: {threads}\n")
    print("| N | learned (s) | our MD (s) | LAMMPS (s) | learned / MD | learned / LAMMPS |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"{row[key]:.4g}" if key in row else "-"
                 for key in ("learned_s", "md_s", "lammps_s", "learned_over_md",
                             "learned_over_lammps")]
        print(f"| {row['N']} | " + " | ".join(cells) + " |")
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        keys = list(dict.fromkeys(key for row in rows for key in row))
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
