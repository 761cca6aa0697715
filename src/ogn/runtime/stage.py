"""The runtime stage of one system, and the complexity index of several: what the rules
``runtime`` and ``complexity`` compute, from starting states to table rows."""

import os
from collections.abc import Callable

import pandas as pd

from ogn.data.atomic import atomic_path
from ogn.md.resize import sized_configuration
from ogn.net.trained import TrainedModel
from ogn.runtime.engines import make_engine, stride_costs
from ogn.runtime.memory import all_pairs_skip_reason
from ogn.runtime.timing import RUNTIME_COLUMNS, machine_info, measure, resident_set_mb, timing_row


def runtime_table(name: str, block: dict, start, model: TrainedModel, settings: dict,
                  threads: int, log: Callable, partial_path=None,
                  model_path: str = "", reference: TrainedModel | None = None) -> pd.DataFrame:
    """Wall times of ``settings["md_steps"]`` MD steps per engine (``settings["engines"]``)
    and size (``settings["sizes"]``) of system ``name`` (config block ``block``), from the
    last frame of the trajectory ``start``. ``reference``: the network the ``paper_ogn``
    engine times (:func:`ogn.runtime.engines.paper_network_reference`). A partial table is
    written to ``partial_path`` (if given) after every timing, so that a long run shows its
    progress."""
    steps, repeats = int(settings["md_steps"]), int(settings["repeats"])
    if "paper_ogn" in settings["engines"] and reference is None:
        raise ValueError("runtime.engines names paper_ogn but no reference network was "
                         "given (ogn.runtime.engines.paper_network_reference)")
    machine = machine_info(threads)
    log(f"machine: {machine}")
    costs = stride_costs(model)
    log(f"Fast-OGN: the model file {model_path or '(in memory)'} as trained: "
        f"{model.network_config.n_layers} layers, k = {model.k}, {costs['substeps']} force "
        f"substeps per stride, trained {model.training_steps} steps")
    if reference is not None:
        log(f"paper_ogn: {reference.metadata['reference']}, k = {reference.k}")
    learned = {"fast_ogn": (model, model_path, costs)}
    if reference is not None:
        learned["paper_ogn"] = (reference, "reference: " + reference.metadata["reference"],
                                stride_costs(reference))
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
            # the no-list baseline takes minutes per run at 10,000 atoms: its own repeats
            runs = (int(settings["all_pairs_repeats"] or repeats)
                    if engine_name == "md_all_pairs" else repeats)
            # before the engine: its (N, N) table is part of what grows as N^2
            in_use_mb = resident_set_mb() if engine_name == "md_all_pairs" else 0.0
            timed_model, timed_path, timed_costs = learned.get(engine_name, (None, "", None))
            engine = make_engine(engine_name, sized, steps, threads, timed_model,
                                 float(settings["graph_skin"]))
            timing = measure(engine.run, runs)
            if engine_name == "md_all_pairs":
                # (a device's peak counts from 0: its baseline is not known)
                all_pairs_memory = (n_real, timing.peak_mem_mb,
                                    in_use_mb if timing.memory == "host_rss" else 0.0)
            rows.append(timing_row(name, n_real, engine_name, steps, timing, engine.info(),
                                   machine, timed_path, timed_costs))
            log(f"N = {n_real} {engine_name}: median {timing.median:.4g} s (min "
                f"{min(timing.seconds):.4g}, max {max(timing.seconds):.4g}; compile "
                f"{timing.compile_s:.3g} s; peak {timing.peak_mem_mb:.0f} MB)")
            if partial_path is not None:
                with atomic_path(partial_path) as tmp:
                    pd.DataFrame(rows, columns=RUNTIME_COLUMNS).to_csv(tmp, index=False)
    if partial_path is not None and os.path.exists(partial_path):
        os.remove(partial_path)
    return pd.DataFrame(rows, columns=RUNTIME_COLUMNS)


def complexity_table(names, blocks: dict, starts, settings: dict, threads: int,
                     log: Callable) -> pd.DataFrame:
    """The interaction complexity index (Fig. 4D) of the systems ``names`` (config blocks
    ``blocks``) from the last frames of the trajectories ``starts``."""
    from ogn.md.neighbors import build_neighbor_list
    from ogn.md.systems import make_system
    from ogn.runtime.complexity import (
        COMPLEXITY_COLUMNS,
        complexity_rows,
        energy_seconds,
        lammps_force_seconds,
    )

    calls = settings["complexity_calls"]
    timings = {}
    for name, start in zip(names, starts, strict=True):
        system = make_system(name, blocks[name])
        position = start.position[-1]
        pot = system.potential
        neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
        timings[name] = {
            "potential": pot.name, "n_atoms_timed": len(position),
            "energy_s": energy_seconds(pot.energy, position, neighbors.idx, calls=calls),
            "energy_forces_s": energy_seconds(pot.energy_and_forces, position, neighbors.idx,
                                              calls=calls),
            "lammps_s": lammps_force_seconds(system, position, steps=calls, threads=threads),
        }
        log(f"{name} ({pot.name}, N = {len(position)}): energy "
            f"{timings[name]['energy_s']:.3g} s, energy+forces "
            f"{timings[name]['energy_forces_s']:.3g} s, LAMMPS "
            f"{timings[name]['lammps_s']:.3g} s per evaluation")
    rows = complexity_rows(timings, per_atoms=int(settings["complexity_atoms"]))
    return pd.DataFrame(rows, columns=COMPLEXITY_COLUMNS)
