"""Benchmark: the OGN's training step and forward step, split-projection vs straightforward.

For each system (random configurations at the configured size, density and graph cutoff) and
each layer count, times in the same process and interleaved (so both see the same machine
load):

* one training step: loss, gradient and Adam update of one configuration (float32);
* one forward step: ``predict_increments`` (edge vectors, standardization, network,
  unstandardization) of one configuration;

for the network as used (:mod:`ogn.model`, ``split_edge_projection=True``: node projections
of the first edge-MLP layer computed per node and gathered per edge, LayerNorm scale/offset
folded into the consumers) and for the straightforward concatenate-then-MLP form. Prints a
markdown table of medians over the repeats and their ratio, then the same for the CPU time
the process used per step (all threads, user + system: less sensitive than wall time to other
jobs on a shared machine).

Settings: by default the process uses what the ``train`` rule uses:
:func:`ogn.threads.use_ynnpack_fusions` (YNNPACK for matrix products, elementwise fusions and reductions;
``--xla-defaults`` keeps XLA's defaults instead) and glibc's malloc on transparent huge pages
(the Snakefile sets ``GLIBC_TUNABLES=glibc.malloc.hugetlb=1`` for every job; this script
restarts itself with it; ``--small-pages`` keeps 4 KB pages). XLA allocates its temporary
buffers afresh at every call (hundreds of MB per training step); with 4 KB pages the page
faults alone cost about a quarter of the step's time here, and huge pages remove almost all
of them.

Usage::

    python benchmarks/bench_model.py                       # LJ-265, 2 and 10 layers
    python benchmarks/bench_model.py --systems lj sio2 si cuzr --layers 2 --repeats 9
    python benchmarks/bench_model.py --threads 2 --xla-flags="..."   # before JAX starts
    python benchmarks/bench_model.py --small-pages --xla-defaults
"""

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    parser.add_argument("--systems", nargs="+", default=["lj"])
    parser.add_argument("--layers", nargs="+", type=int, default=[2, 10])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="XLA CPU threads (default: XLA's choice)")
    parser.add_argument("--xla-flags", default="", help="extra XLA_FLAGS for this process")
    parser.add_argument("--xla-defaults", action="store_true",
                        help="XLA's default CPU settings instead of the train rule's")
    parser.add_argument("--small-pages", action="store_true",
                        help="keep glibc malloc on 4 KB pages (the train rule uses huge pages)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_arguments()
    huge = "glibc.malloc.hugetlb=1"
    if not args.small_pages and huge not in os.environ.get("GLIBC_TUNABLES", ""):
        tunables = ":".join(t for t in (os.environ.get("GLIBC_TUNABLES", ""), huge) if t)
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  {**os.environ, "GLIBC_TUNABLES": tunables})  # glibc reads it at start only
    if args.xla_flags:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + args.xla_flags).strip()
    if args.threads:
        from ogn.threads import configure_cpu_threads
        configure_cpu_threads(args.threads)
    if not args.xla_defaults:
        from ogn.threads import use_ynnpack_fusions
        use_ynnpack_fusions()

    import jax
    import numpy as np
    import optax

    from ogn.config import load_config
    from ogn.graph import build_edges
    from ogn.model import network_config, parameter_count
    from ogn.normalizer import init_normalizer, standardization, update_normalizer
    from ogn.placement import random_non_overlapping
    from ogn.simulator import make_simulator, node_feature_size, node_inputs

    config = load_config(args.config)
    rng = np.random.default_rng(args.seed)

    def timed(function, *arguments):
        """(wall seconds, CPU seconds of this process) of one call."""
        start, cpu_start = time.perf_counter(), time.process_time()
        jax.block_until_ready(function(*arguments))
        return time.perf_counter() - start, time.process_time() - cpu_start

    rows = []
    for name in args.systems:
        system = config["systems"][name]
        n_atoms = int(sum(system["counts"]))
        box = np.full(3, float(system["box"]))
        cutoff = float(system["graph_cutoff"])
        n_species = len(system["species"])
        species = np.repeat(np.arange(n_species), system["counts"]).astype(np.int32)
        position = random_non_overlapping(rng, n_atoms, box, float(system["min_distance"]))
        velocity = rng.normal(size=(n_atoms, 3))
        edges = build_edges(position, box, cutoff, extra_fraction=0.05)
        nodes = node_inputs(velocity, species, n_species)
        vectors = np.zeros((edges.capacity, 3))
        n = edges.n_edges
        d = position[edges.receivers[:n]] - position[edges.senders[:n]]
        vectors[:n] = d - box * np.round(d / box)
        targets = rng.normal(size=(n_atoms, 6))
        normalizer = update_normalizer(init_normalizer(node_feature_size(n_species)), nodes,
                                       vectors[:n], targets)
        standard = standardization(normalizer)
        f32 = np.float32
        inputs = (nodes.astype(f32), vectors.astype(f32), edges.senders, edges.receivers,
                  targets.astype(f32))
        for layers in args.layers:
            variants = {}
            for split in (False, True):
                simulator = make_simulator(
                    network_config(config["model"], layers, split_edge_projection=split),
                    n_species)
                params = jax.jit(simulator.init, static_argnums=(1, 2))(
                    jax.random.PRNGKey(0), n_atoms, edges.capacity)
                optimizer = optax.adam(1e-4)
                opt_state = optimizer.init(params)

                def step(params, opt_state, standard, *batch, simulator=simulator,
                         optimizer=optimizer):
                    loss, grads = jax.value_and_grad(simulator.loss)(params, standard, *batch)
                    updates, opt_state = optimizer.update(grads, opt_state, params)
                    return optax.apply_updates(params, updates), opt_state, loss

                step = jax.jit(step)
                forward = jax.jit(simulator.predict_increments)
                train_args = (params, opt_state, standard, *inputs)
                forward_args = (params, standard, position.astype(f32), velocity.astype(f32),
                                species, box.astype(f32), edges.senders, edges.receivers)
                compile_seconds = timed(step, *train_args)[0] + timed(forward, *forward_args)[0]
                variants[split] = {"step": step, "forward": forward, "train_args": train_args,
                                   "forward_args": forward_args, "train": [], "fwd": [],
                                   "train_cpu": [], "fwd_cpu": [],
                                   "compile": compile_seconds,
                                   "params": parameter_count(params)}
            for _ in range(args.repeats):  # interleaved: both variants see the same load
                for variant in variants.values():
                    for key, function, arguments in (
                            ("train", variant["step"], variant["train_args"]),
                            ("fwd", variant["forward"], variant["forward_args"])):
                        wall, cpu = timed(function, *arguments)
                        variant[key].append(wall)
                        variant[key + "_cpu"].append(cpu)
            reference, fast = variants[False], variants[True]
            median = {key: {s: 1e3 * float(np.median(v[key])) for s, v in variants.items()}
                      for key in ("train", "fwd", "train_cpu", "fwd_cpu")}
            rows.append((name, n_atoms, n, layers, fast["params"],
                         median["train"][False], median["train"][True],
                         median["fwd"][False], median["fwd"][True],
                         reference["compile"], fast["compile"],
                         median["train_cpu"][False], median["train_cpu"][True],
                         median["fwd_cpu"][False], median["fwd_cpu"][True]))
            print(f"# done {name} L={layers}", file=sys.stderr, flush=True)

    load = os.getloadavg()
    print(f"\nOGN step times, median of {args.repeats} interleaved repeats (ms); jax "
          f"{jax.__version__}, {os.cpu_count()} CPUs, load average {load[0]:.1f} "
          f"{load[1]:.1f} {load[2]:.1f}; XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}; "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '')!r}\n")
    print("| system | atoms | edges | layers | params | train straightforward | train split "
          "| speed-up | forward straightforward | forward split | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, n_atoms, n_edges, layers, params, train_ref, train_fast, fwd_ref, fwd_fast,
         *_) in rows:
        print(f"| {name} | {n_atoms} | {n_edges} | {layers} | {params:,} | {train_ref:.1f} | "
              f"{train_fast:.1f} | {train_ref / train_fast:.2f}x | {fwd_ref:.1f} | "
              f"{fwd_fast:.1f} | {fwd_ref / fwd_fast:.2f}x |")
    print("\nCPU time of the process per step, all threads (ms, medians):\n")
    print("| system | layers | train straightforward | train split | speed-up "
          "| forward straightforward | forward split | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, _, _, layers, _, _, _, _, _, _, _, train_ref, train_fast, fwd_ref,
         fwd_fast) in rows:
        print(f"| {name} | {layers} | {train_ref:.1f} | {train_fast:.1f} | "
              f"{train_ref / train_fast:.2f}x | {fwd_ref:.1f} | {fwd_fast:.1f} | "
              f"{fwd_ref / fwd_fast:.2f}x |")


if __name__ == "__main__":
    main()
