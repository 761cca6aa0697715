"""Benchmark: the OGN's training step and forward step, split-projection vs straightforward.

For each system (a random configuration at the configured size, density and graph cutoff,
its edges padded as the ``train`` rule pads them: to the largest configuration of the training
set, which is 0.5% above the mean on LJ-265; ``--edge-head-room``) and each layer count,
times in the same process and interleaved (so both see the same machine load):

* one training step: loss, gradient and Adam update of one configuration (float32);
* one forward step: ``predict_increments`` (edge vectors, standardization, network,
  unstandardization) of one configuration;

for the network as used (:mod:`ogn.net.network`, ``split_edge_projection=True``: node projections
of the first edge-MLP layer computed per node and gathered per edge, LayerNorm scale/offset
folded into the consumers, weight gradients in the C++ kernel of :mod:`ogn.net.kernels`;
``--no-cpu-kernels`` for XLA's product) and for the straightforward concatenate-then-MLP
form. Prints a markdown table of medians over the repeats and their ratio, then the same for the CPU time
the process used per step (all threads, user + system: less sensitive than wall time to other
jobs on a shared machine).

Settings: by default the process uses what the ``train`` rule uses:
:func:`ogn.workflow.threads.use_ynnpack_fusions` with the config's ``compute.xla_cpu_ynn_fusions`` (the
XLA operations handed to YNNPACK; ``--ynn-fusions`` sets others, ``--xla-defaults`` keeps XLA's
defaults) and glibc's malloc on transparent huge pages
(the Snakefile sets ``GLIBC_TUNABLES=glibc.malloc.hugetlb=1`` for every job; this script
restarts itself with it; ``--small-pages`` keeps 4 KB pages). XLA allocates its temporary
buffers afresh at every call (hundreds of MB per training step); with 4 KB pages the page
faults alone cost about a quarter of the step's time here, and huge pages remove almost all
of them.

``--ynn-variants dot dot,eltwise,reduce ...`` answers which YNNPACK choice suits this CPU: it
compiles the network as used once per choice (per-compilation options, one process) and
prints the training and forward step times of each, interleaved, with the ratio to the first.

Usage::

    python benchmarks/bench_model.py                       # LJ-265, 2 and 10 layers
    python benchmarks/bench_model.py --systems lj sio2 si cuzr --layers 2 --repeats 9
    python benchmarks/bench_model.py --threads 2 --xla-flags="..."   # before JAX starts
    python benchmarks/bench_model.py --small-pages --xla-defaults
    python benchmarks/bench_model.py --layers 2 --repeats 16 --ynn-variants dot dot,eltwise,reduce
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
    parser.add_argument("--ynn-fusions", nargs="*", default=None,
                        help="operations handed to YNNPACK (default: the config's "
                             "compute.xla_cpu_ynn_fusions)")
    parser.add_argument("--ynn-variants", nargs="+", default=None,
                        help="compare these YNNPACK choices (comma-separated lists; 'none' "
                             "for XLA's defaults) in one process, network as used only")
    parser.add_argument("--no-cpu-kernels", action="store_true",
                        help="XLA's product for the weight gradients instead of the C++ kernel "
                             "(ogn.net.kernels; sets OGN_NO_CPU_KERNELS=1)")
    parser.add_argument("--small-pages", action="store_true",
                        help="keep glibc malloc on 4 KB pages (the train rule uses huge pages)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--edge-head-room", type=float, default=0.005,
                        help="padding edge slots as a fraction of the edges (default 0.005: the "
                             "train rule pads to its largest training configuration, 0.5%% "
                             "above the mean on LJ-265)")
    return parser.parse_args()


def main():
    args = parse_arguments()
    huge = "glibc.malloc.hugetlb=1"
    if not args.small_pages and huge not in os.environ.get("GLIBC_TUNABLES", ""):
        tunables = ":".join(t for t in (os.environ.get("GLIBC_TUNABLES", ""), huge) if t)
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  {**os.environ, "GLIBC_TUNABLES": tunables})  # glibc reads it at start only
    if args.no_cpu_kernels:
        os.environ["OGN_NO_CPU_KERNELS"] = "1"
    if args.xla_flags:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + args.xla_flags).strip()
    if args.threads:
        from ogn.workflow.threads import configure_cpu_threads
        configure_cpu_threads(args.threads)
    from ogn.workflow.config import load_config
    config = load_config(args.config)
    if not args.xla_defaults and not args.ynn_variants:
        from ogn.workflow.threads import use_ynnpack_fusions
        use_ynnpack_fusions(config["compute"]["xla_cpu_ynn_fusions"] if args.ynn_fusions is None
                            else args.ynn_fusions)

    import jax
    import numpy as np
    import optax

    from ogn.md.placement import random_non_overlapping
    from ogn.net.graph import build_edges
    from ogn.net.network import parameter_count
    from ogn.net.normalizer import init_normalizer, standardization, update_normalizer
    from ogn.net.options import network_config
    from ogn.net.simulator import make_simulator, node_feature_size, node_inputs

    rng = np.random.default_rng(args.seed)

    def timed(function, *arguments):
        """(wall seconds, CPU seconds of this process) of one call."""
        start, cpu_start = time.perf_counter(), time.process_time()
        jax.block_until_ready(function(*arguments))
        return time.perf_counter() - start, time.process_time() - cpu_start

    if args.ynn_variants:  # the network as used, once per YNNPACK choice
        from ogn.workflow.threads import ynn_compiler_options
        choices = [(label, True, ynn_compiler_options(
            [] if label == "none" else [t for t in label.split(",") if t]))
            for label in args.ynn_variants]
    else:  # the straightforward form, then the network as used
        choices = [("straightforward", False, None), ("split", True, None)]

    gemm_rates = [reference_gemm_rate()]  # the machine's speed now (it drifts on shared hosts)
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
        edges = build_edges(position, box, cutoff, extra_fraction=args.edge_head_room)
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
            for label, split, options in choices:
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

                train_args = (params, opt_state, standard, *inputs)
                forward_args = (params, standard, position.astype(f32), velocity.astype(f32),
                                species, box.astype(f32), edges.senders, edges.receivers)
                start = time.perf_counter()
                if options is None:
                    step, forward = jax.jit(step), jax.jit(simulator.predict_increments)
                else:  # compiled here with this choice's options (the process has none set)
                    step = jax.jit(step).lower(*train_args).compile(compiler_options=options)
                    forward = jax.jit(simulator.predict_increments).lower(
                        *forward_args).compile(compiler_options=options)
                timed(step, *train_args), timed(forward, *forward_args)
                variants[label] = {"step": step, "forward": forward,
                                   "train_args": train_args, "forward_args": forward_args,
                                   "train": [], "fwd": [], "train_cpu": [], "fwd_cpu": [],
                                   "compile": time.perf_counter() - start,
                                   "params": parameter_count(params)}
            for _ in range(args.repeats):  # interleaved: every variant sees the same load
                for variant in variants.values():
                    for key, function, arguments in (
                            ("train", variant["step"], variant["train_args"]),
                            ("fwd", variant["forward"], variant["forward_args"])):
                        wall, cpu = timed(function, *arguments)
                        variant[key].append(wall)
                        variant[key + "_cpu"].append(cpu)
            median = {label: {key: 1e3 * float(np.median(v[key]))
                              for key in ("train", "fwd", "train_cpu", "fwd_cpu")}
                      for label, v in variants.items()}
            rows.append((name, n_atoms, n, layers, variants[choices[-1][0]]["params"], median))
            print(f"# done {name} L={layers}", file=sys.stderr, flush=True)

    gemm_rates.append(reference_gemm_rate())
    load = os.getloadavg()
    print(f"\nOGN step times, median of {args.repeats} interleaved repeats (ms); jax "
          f"{jax.__version__}, {os.cpu_count()} CPUs, load average {load[0]:.1f} "
          f"{load[1]:.1f} {load[2]:.1f}; XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}; "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '')!r}")
    print(f"Machine speed: numpy float32 product (37,704 x 64) x (64 x 64) at "
          f"{gemm_rates[0]:.0f} GFLOP/s before the timings and {gemm_rates[1]:.0f} after "
          "(shared hosts drift by 10-20%: compare step times measured at similar rates)\n")
    if args.ynn_variants:
        print_variant_table(rows, [label for label, _, _ in choices])
    else:
        print_speedup_tables(rows)


def reference_gemm_rate(repeats: int = 50) -> float:
    """GFLOP/s of numpy's float32 product of an LJ-265 edge array (37,704 x 64) with a 64 x 64
    weight: a yardstick of the machine's speed at the moment, independent of XLA."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.random((37_704, 64), dtype=np.float32)
    w = rng.random((64, 64), dtype=np.float32)
    x @ w
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        x @ w
        seconds.append(time.perf_counter() - start)
    return 2 * x.shape[0] * 64 * 64 / float(np.median(seconds)) / 1e9


def print_speedup_tables(rows):
    """Straightforward form against the network as used: wall time, then CPU time."""
    print("| system | atoms | edges | layers | params | train straightforward | train split "
          "| speed-up | forward straightforward | forward split | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, n_atoms, n_edges, layers, params, median in rows:
        ref, fast = median["straightforward"], median["split"]
        print(f"| {name} | {n_atoms} | {n_edges} | {layers} | {params:,} | {ref['train']:.1f} | "
              f"{fast['train']:.1f} | {ref['train'] / fast['train']:.2f}x | {ref['fwd']:.1f} | "
              f"{fast['fwd']:.1f} | {ref['fwd'] / fast['fwd']:.2f}x |")
    print("\nCPU time of the process per step, all threads (ms, medians):\n")
    print("| system | layers | train straightforward | train split | speed-up "
          "| forward straightforward | forward split | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, _, layers, _, median in rows:
        ref, fast = median["straightforward"], median["split"]
        print(f"| {name} | {layers} | {ref['train_cpu']:.1f} | {fast['train_cpu']:.1f} | "
              f"{ref['train_cpu'] / fast['train_cpu']:.2f}x | {ref['fwd_cpu']:.1f} | "
              f"{fast['fwd_cpu']:.1f} | {ref['fwd_cpu'] / fast['fwd_cpu']:.2f}x |")


def print_variant_table(rows, labels):
    """The network as used under each YNNPACK choice; ratios are to the first choice."""
    print("| system | layers | YNNPACK fusions | train | vs first | forward | vs first "
          "| train CPU | forward CPU |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, _, _, layers, _, median in rows:
        first = median[labels[0]]
        for label in labels:
            m = median[label]
            print(f"| {name} | {layers} | {label} | {m['train']:.1f} | "
                  f"{m['train'] / first['train']:.2f} | {m['fwd']:.1f} | "
                  f"{m['fwd'] / first['fwd']:.2f} | {m['train_cpu']:.1f} | {m['fwd_cpu']:.1f} |")


if __name__ == "__main__":
    main()
