"""Benchmark: trained model files against our MD and LAMMPS, in one process, per N.

For each size N the system the model was trained on (its ``systems.<name>`` block, recorded
in the model file) is cut to about N atoms from an equilibrated configuration at the same
density and composition, relaxed and brought to T (:func:`ogn.md.resize.sized_configuration`,
the ``runtime`` rule's own preparation, with its ``runtime`` settings from the config). Then,
from that one state:

* ``learned i``: a rollout of the i-th model file covering ``--steps`` MD steps,
  ceil(steps / k) model steps, its pair-table builds included
  (:func:`ogn.runtime.engines.fast_ogn_engine`); with several ``--layouts``, one engine per
  layout (``learned i rows``, ``learned i edges``): a tabulated learned force (pair force
  or energy decoder) on dense neighbour rows and on the graph's edge list; with several
  ``--precision``, one engine per network precision (``learned i bfloat16``: a direct
  predictor's network products in bfloat16);
* ``md``: our MD, the same steps of velocity Verlet with a neighbor list, its builds and
  rebuilds included;
* ``lammps``: LAMMPS with the same potential, N, dt and skin on the same threads (setup
  excluded).

Each engine runs once untimed (compilation, warm-up), then the engines take turns,
``--repeats`` rounds (learned 0, learned 1, ..., md, lammps, learned 0, ...), so that a change
of the machine's load hits every engine alike. The script prints, per N and engine, the median
wall time and its ratios to our MD and to LAMMPS, with each model's stride costs (k, network
passes and force evaluations per 100 MD steps) and the CPU. The model files timed are the
ones given: no stand-in network.

Usage::

    python benchmarks/frontier_speed.py --model results/models/cuzr/L2_k10/model.npz \\
        --state results/md/cuzr/equilibrated.h5 --sizes 1000 10000 --repeats 3
    ogn tabulate results/models/si/L2_k10/model.npz si_tables.npz
    python benchmarks/frontier_speed.py --model results/models/si/L2_k10/model.npz \\
        si_tables.npz --state results/md/si/equilibrated.h5 --sizes 10000
    python benchmarks/frontier_speed.py --model MODEL --state STATE --threads 2 \\
        --config config/config.yaml config/quick.yaml --csv benchmarks/out/frontier.csv
"""

import argparse
import csv
import itertools
import os
import statistics
import sys
from pathlib import Path

# OpenMP threads that spin at barriers stall when the cores are shared; the runtime rule
# sets the same (ogn.workflow.job.start_job with omp_passive)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO = Path(__file__).resolve().parents[1]
ENGINE_ORDER = ("learned", "md", "lammps")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", nargs="+", required=True,
                        help="trained model files (model.npz) of one system, timed in turn")
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
                        choices=ENGINE_ORDER, help="what to time (default: all)")
    parser.add_argument("--layouts", nargs="+", default=["auto"],
                        choices=["auto", "rows", "edges"],
                        help="pair tables to time each model on (auto: dense rows for a "
                        "tabulated learned force, the graph's edges otherwise; rows needs one)")
    parser.add_argument("--precision", nargs="+", default=["float32"],
                        choices=["float32", "bfloat16"],
                        help="the direct predictors' network precisions to time each model "
                             "in (ogn.net.simulator.make_simulator; a learned force: float32)")
    parser.add_argument("--skin", type=float, default=None,
                        help="the learned models' graph skin, length unit (default: "
                             "runtime.graph_skin; the frontier times with rollout.graph_skin, "
                             "the skin its accuracy is judged with)")
    parser.add_argument("--csv", default=None, help="also write the rows here")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    from ogn.workflow.config import load_config

    config = load_config(*args.config)  # later files overlay earlier ones
    settings = config["runtime"]
    threads = int(args.threads or settings["threads"])
    from ogn.workflow.threads import configure_cpu_threads

    configure_cpu_threads(threads)  # before JAX starts
    from ogn.md.precision import set_precision

    set_precision(config["md"]["precision"])
    import jax

    from ogn.data.h5md import read_trajectory
    from ogn.md.resize import sized_configuration
    from ogn.net.trained import load, with_network_precision
    from ogn.runtime.engines import make_engine, stride_costs
    from ogn.runtime.timing import interleaved_seconds, machine_info

    models = [load(path) for path in args.model]
    block, name = models[0].system_config, models[0].system_name or "system"
    for path, model in zip(args.model, models, strict=True):
        if model.system_config is None:
            sys.exit(f"{path} does not record its system's config block (written by an older "
                     "version): retrain it, or time it with the runtime rule")
        if model.system_name != models[0].system_name:
            sys.exit(f"{path} is a model of {model.system_name}, {args.model[0]} of "
                     f"{models[0].system_name}: time models of one system together")
    start = read_trajectory(args.state, frames=slice(-1, None))
    if sorted(set(start.species.tolist())) != list(range(len(block["species"]))):
        sys.exit(f"{args.state} does not hold the species of {args.model[0]} "
                 f"({', '.join(block['species'])}): give that system's equilibrated state")
    machine = machine_info(threads)
    labels = {}
    for index, (path, model) in enumerate(zip(args.model, models, strict=True)):
        costs = stride_costs(model)
        labels[f"learned {index}"] = path
        print(f"learned {index}: {path}: {name}, {model.network_config.step_family}, k = "
              f"{model.k}, {costs['network_passes_per_100_md_steps']:g} network passes and "
              f"{costs['force_evaluations_per_100_md_steps']:g} force evaluations per 100 MD "
              f"steps, trained {model.training_steps} steps", flush=True)
    print(f"machine: {machine}", flush=True)
    rows = []
    for n_atoms in args.sizes:
        sized = sized_configuration(name, block, start.position[-1], start.species, start.box,
                                    int(n_atoms), int(settings["fire_steps"]),
                                    int(settings["settle_steps"]), int(settings["seed"]))
        n_real = len(sized.system.species)
        engines = {}
        if "learned" in args.engines:
            for index, model in enumerate(models):
                for layout, precision in itertools.product(args.layouts, args.precision):
                    label = " ".join([f"learned {index}"]
                                     + ([layout] if len(args.layouts) > 1 else [])
                                     + ([precision] if len(args.precision) > 1 else []))
                    labels[label] = labels[f"learned {index}"]
                    engines[label] = make_engine(
                        "fast_ogn", sized, args.steps, threads,
                        with_network_precision(model, precision),
                        float(settings["graph_skin"] if args.skin is None else args.skin),
                        layout)
        for engine in ("md", "lammps"):
            if engine in args.engines:
                engines[engine] = make_engine(engine, sized, args.steps, threads)
        seconds = interleaved_seconds({label: engine.run for label, engine in engines.items()},
                                      args.repeats)
        median = {label: statistics.median(values) for label, values in seconds.items()}
        for label in engines:
            info = engines[label].info()
            row = {"system": name, "N": n_real, "engine": label,
                   "model": labels.get(label, ""), "layout": info.get("layout", ""),
                   "steps": args.steps,
                   "repeats": args.repeats, "median_s": median[label],
                   "min_s": min(seconds[label]), "max_s": max(seconds[label]),
                   "over_md": median[label] / median["md"] if "md" in median else "",
                   "over_lammps": (median[label] / median["lammps"] if "lammps" in median
                                   else ""),
                   "cpu_model": machine.get("cpu_model", ""), "threads": threads}
            rows.append(row)
            print(f"N = {n_real} {label}: median {median[label]:.4g} s (min "
                  f"{row['min_s']:.4g}, max {row['max_s']:.4g})", flush=True)
        jax.clear_caches()
    print(f"\n{args.steps} MD steps, medians of {args.repeats} interleaved rounds; "
          f"{machine.get('cpu_model', '')}, threads: {threads}\n")
    print("| N | engine | median (s) | / our MD | / LAMMPS |")
    print("|---|---|---|---|---|")
    for row in rows:
        ratios = [f"{row[key]:.3f}" if row[key] != "" else "-"
                  for key in ("over_md", "over_lammps")]
        engine = f"{row['engine']} ({row['model']})" if row["model"] else row["engine"]
        print(f"| {row['N']} | {engine} | {row['median_s']:.4g} | " + " | ".join(ratios) + " |")
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
