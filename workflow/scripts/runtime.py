"""Rule runtime: wall time of a rollout over runtime.md_steps MD steps vs N for one system.

snakemake.input.state (equilibrated H5MD), .model (trained Fast-OGN model.npz);
params.system (config block), params.runtime (config block `runtime`), params.precision,
params.k; output.table (results/runtime/{system}.csv, columns ogn.runtime.RUNTIME_COLUMNS).
"""
import os

# OpenMP threads that spin at barriers stall when the cores are shared: let LAMMPS's sleep.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ogn.threads import configure_cpu_threads  # noqa: E402

configure_cpu_threads(snakemake.threads)  # noqa: F821

import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.modelfile import load_compatible_model  # noqa: E402
from ogn.normalizer import standardization  # noqa: E402
from ogn.precision import set_precision  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.runtime import (  # noqa: E402
    RUNTIME_COLUMNS,
    FastOgn,
    all_pairs_skip_reason,
    machine_info,
    make_engine,
    measure,
    network_to_time,
    resident_set_mb,
    sized_configuration,
    timing_row,
)
from ogn.simulator import make_simulator  # noqa: E402

sm = snakemake  # noqa: F821
set_precision(sm.params.precision)
log = make_logger(sm.log[0])
name = sm.wildcards.system
block = sm.params.system
settings = sm.params.runtime
steps = int(settings["md_steps"])
repeats = int(settings["repeats"])
machine = machine_info(sm.threads)
log(f"machine: {machine}")

start = read_trajectory(sm.input.state, frames=slice(-1, None))
saved = load_compatible_model(sm.input.model, species_names=block["species"],
                              graph_cutoff=block["graph_cutoff"], k=int(sm.params.k))
timed_network, timed_params, substitution = network_to_time(
    saved.network_config, len(block["species"]), saved.params, int(settings["seed"]))
model = FastOgn(make_simulator(timed_network, len(block["species"])), timed_params,
                standardization(saved.normalizer), float(block["graph_cutoff"]),
                float(settings["graph_skin"]), int(sm.params.k))
log(f"Fast-OGN: {timed_network.n_layers} layers, k = {sm.params.k}, "
    f"trained {saved.metadata.get('steps')} steps ({sm.input.model})")
if substitution:
    log(f"Fast-OGN: {substitution}")

rows = []
all_pairs_memory = None  # (N, peak MB, MB in use before) of the last no-list run
for n_atoms in settings["sizes"]:
    sized = sized_configuration(
        name, block, start.position[-1], start.species, start.box, int(n_atoms),
        int(settings["fire_steps"]), int(settings["settle_steps"]), int(settings["seed"]),
        log=log)
    n_real = len(sized.system.species)
    for engine_name in settings["engines"]:
        if engine_name == "md_all_pairs":
            skip = all_pairs_skip_reason(n_real, settings["all_pairs_max_atoms"],
                                         settings["mem_mb"], all_pairs_memory)
            if skip is not None:
                log(f"N = {n_real}: md_all_pairs skipped: {skip}")
                continue
        # the no-list baseline takes minutes per run at 10,000 atoms: its own repeat count
        runs = (int(settings["all_pairs_repeats"] or repeats) if engine_name == "md_all_pairs"
                else repeats)
        # before the engine: its (N, N) table is part of what grows as N^2
        in_use_mb = resident_set_mb() if engine_name == "md_all_pairs" else 0.0
        engine = make_engine(engine_name, sized, steps, sm.threads, model)
        timing = measure(engine.run, runs)
        if engine_name == "md_all_pairs":
            # (a device's peak counts from 0: its baseline is not known)
            all_pairs_memory = (n_real, timing.peak_mem_mb,
                                in_use_mb if timing.memory == "host_rss" else 0.0)
        row = timing_row(name, n_real, engine_name, steps, timing, engine.info(), machine)
        rows.append(row)
        log(f"N = {n_real} {engine_name}: median {timing.median:.4g} s (min "
            f"{min(timing.seconds):.4g}, max {max(timing.seconds):.4g}; compile {timing.compile_s:.3g} s; peak "
            f"{timing.peak_mem_mb:.0f} MB)")
        # partial table after every measurement, so a long run shows its progress
        with atomic_path(sm.output.table + ".partial") as tmp:
            pd.DataFrame(rows, columns=RUNTIME_COLUMNS).to_csv(tmp, index=False)

with atomic_path(sm.output.table) as tmp:
    pd.DataFrame(rows, columns=RUNTIME_COLUMNS).to_csv(tmp, index=False)
os.remove(sm.output.table + ".partial")
log(f"done: {len(rows)} timings written to {sm.output.table}")
