"""The engines the runtime stage times (Fig. 4C and 4D), each from the same sized configuration.

What is timed, per system and size N (all engines from the same starting configuration):

* ``md``: our MD (:mod:`ogn.md.dynamics`, jitted velocity Verlet, host-built neighbor lists with
  skin-based rebuilds), ``n_steps`` NVE steps, the initial list build and force evaluation and
  every rebuild included;
* ``fast_ogn``: a rollout of ceil(n_steps / k) model steps of the trained model
  (:func:`ogn.evaluate.rollout.make_model_rollout`: a tabulated learned force, pair force or
  energy decoder, on dense neighbour rows, every other model on the graph's edges), the
  pair-table builds included;
* ``paper_ogn``: a reference line, not a model: the paper's Fast-OGN network (its
  message-passing architecture with ``models.fast_ogn_layers`` layers and the ``model`` block's
  widths) rolled out like ``fast_ogn`` at the trained model's k, graph cutoff and input and
  output scales, with untrained weights (:func:`paper_network_reference`). A network pass
  costs the same whatever its weights, so this times what the paper's design costs here; it
  says nothing of accuracy, and no accuracy is reported for it;
* ``lammps``: LAMMPS with the same potential, N, dt and skin on ``threads`` OpenMP threads
  (the cores JAX uses); its setup is excluded (``run N pre no``, after a few warm-up steps);
* ``md_all_pairs``: our MD without a neighbor list, the potential evaluated on every ordered
  pair each step (:mod:`ogn.md.baseline`, O(N^2) time and memory per step).

Each engine is run once untimed (compilation and warm-up: ``compile_s`` is that run's time
minus the median of the timed ones), then ``repeats`` times; median, min and max wall times are
reported with the peak memory during the timed runs: the process's resident set (host RSS,
sampled every few ms) on CPU, the device's peak bytes in use on an accelerator.

The complexity index (Fig. 4D) is the time of one potential-energy evaluation of a
configuration, per ``n_atoms`` atoms, relative to the Kob-Andersen LJ's, in our code and in
LAMMPS (:func:`energy_seconds`, :func:`lammps_force_seconds`).
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.md.resize import SizedStart
from ogn.net.trained import TrainedModel
from ogn.runtime.timing import ENGINES

# --------------------------------------------------------------------------------------------
# the engines, each as a zero-argument run function for :func:`measure`


class Engine(NamedTuple):
    run: Callable[[], float | None]
    info: Callable[[], dict]  # extra facts after the runs (e.g. neighbor-list rebuilds)
    final: Callable[[], object] = lambda: None  # the last run's end state, where kept


def md_engine(system, position, velocity, n_steps: int) -> Engine:
    """Our MD: ``n_steps`` NVE steps from (position, velocity), internal units; the first
    neighbor list and every rebuild inside the time."""
    from ogn.md.neighbors import build_neighbor_list

    pot = system.potential
    return nve_engine(system, position, velocity, n_steps, system.skin, lambda: (
        build_neighbor_list(position, system.box, pot.cutoff, system.skin)))


def all_pairs_engine(system, position, velocity, n_steps: int) -> Engine:
    """Our MD without a neighbor list (:mod:`ogn.md.baseline`): every step evaluates the
    potential on all N (N - 1) ordered pairs."""
    from ogn.md.baseline import all_pairs_neighbors

    # a constant of the method, not work it does per run: built once, outside the timing
    neighbors = all_pairs_neighbors(position)
    return nve_engine(system, position, velocity, n_steps, math.inf, lambda: neighbors)


def nve_engine(system, position, velocity, n_steps: int, skin: float,
               neighbors_of: Callable) -> Engine:
    """``n_steps`` NVE steps of our MD with the pair table ``neighbors_of()`` (built inside
    the timed run) and Verlet ``skin`` (inf: a table that never expires)."""
    from ogn.md.dynamics import init_state, make_advance, simulate

    pot = system.potential
    mass = jnp.asarray(system.mass)
    advance = make_advance(pot.energy_and_forces, mass, system.dt, skin, system.units.boltzmann)
    last = {}

    def run():
        neighbors = neighbors_of()
        state = init_state(jnp.asarray(position), jnp.asarray(velocity), pot.energy_and_forces,
                           neighbors)
        result = simulate(state, neighbors, advance, n_steps, n_steps, mass,
                          system.units.boltzmann, system.box, pot.cutoff, skin,
                          record_first=False)
        jax.block_until_ready(result.state)
        last["rebuilds"] = result.n_rebuilds
        last["state"] = result.state
        return None

    return Engine(run, lambda: {"rebuilds": last.get("rebuilds", -1),
                                "layout": "rows" if math.isfinite(skin) else "all pairs"},
                  lambda: last.get("state"))


def fast_ogn_engine(model: TrainedModel, system, skin: float, n_steps: int, position,
                    velocity, layout: str = "auto") -> Engine:
    """A rollout of the trained ``model`` covering ``n_steps`` MD steps: ceil(n_steps / k)
    model steps.

    ``position`` and ``velocity`` in internal units (converted here to the file units the
    model was trained in); ``skin`` the graph's Verlet skin (0: edges rebuilt every model
    step); no instability checks (a timing must not stop early); ``layout`` the pair table
    (:func:`ogn.evaluate.rollout.make_model_rollout`: auto, rows or edges).
    """
    from ogn.evaluate.rollout import make_model_rollout, rollout

    box = np.asarray(system.box, np.float64)
    fns = make_model_rollout(model, skin, box, layout=layout)
    n_model_steps = max(1, -(-int(n_steps) // model.k))
    velocity_files = system.units.velocity_to_files(np.asarray(velocity, np.float64))
    last = {}

    def run():
        result = rollout(fns, model.params, model.standard, position, velocity_files, system.species, box,
                         n_model_steps, record_every=n_model_steps)
        last["rebuilds"] = result.n_rebuilds
        last["stop"] = result.stop_reason
        return None

    return Engine(run, lambda: {"rebuilds": last.get("rebuilds", -1), "layout": fns.layout,
                                "skin": fns.skin})


def paper_network_reference(model: TrainedModel, model_block: dict, n_layers: int,
                            seed: int = 0) -> TrainedModel:
    """The paper's OGN with ``n_layers`` message-passing layers and the widths of the config
    block ``model_block`` (its options ignored: the paper's architecture), weights drawn from
    ``seed``, in place of ``model``'s network: same k, graph cutoff, species and
    standardisation, so that its rollout moves atoms by the data's typical amounts. A timing
    reference only (the ``paper_ogn`` engine); its metadata says so."""
    from ogn.net.options import network_config
    from ogn.net.simulator import make_simulator

    paper = network_config({**model_block, "architecture": "paper"}, int(n_layers))
    simulator = make_simulator(paper, model.n_species)
    params = simulator.init(jax.random.PRNGKey(seed), 2, 8)
    metadata = {**model.metadata, "steps": 0,
                "reference": f"the paper's {paper.n_layers}-layer OGN of width "
                             f"{paper.latent_size}, untrained weights (timing reference)"}
    return model._replace(simulator=simulator, params=params, metadata=metadata)


def lammps_engine(system, position, velocity, n_steps: int, threads: int,
                  warmup_steps: int = 10) -> Engine:
    """LAMMPS NVE with our potential, N, dt and skin; the run's own time (setup excluded)."""
    from ogn.md.lammps import lammps_md_seconds, lammps_timestep, lammps_velocity

    pot = system.potential
    n_species = len(system.species_names)
    masses = [float(system.mass[np.argmax(system.species == s)]) for s in range(n_species)]

    def run():
        seconds, _ = lammps_md_seconds(
            position, lammps_velocity(velocity, system.units), system.box, system.species,
            masses, pot.lammps_commands, pot.lammps_units,
            lammps_timestep(system.dt_config, system.units), n_steps, system.skin, threads,
            warmup_steps=warmup_steps)
        return seconds

    return Engine(run, lambda: {"rebuilds": -1})


def stride_costs(model: TrainedModel, layout: str = "auto") -> dict:
    """What one model file costs per 100 MD steps in the pair table ``layout`` it is timed
    on (auto: :func:`ogn.evaluate.rollout.make_model_rollout`'s choice), for the runtime
    table: network passes (100 / k) and, for a learned force, its evaluations. Velocity
    Verlet evaluates the force after every substep and at the stride's start; on dense rows
    the start is the last stride's end, kept (:func:`ogn.evaluate.rollout.row_rollout_chunk`),
    so passes x substeps (plus one evaluation at the rollout's start and after each rebuild
    of the rows that brought a new pair within reach, not counted here); on the edge list
    passes x (substeps + 1); 0 for a direct predictor."""
    from ogn.net.row_forces import row_layout_problem

    network = model.network_config
    passes = 100.0 / float(model.k)
    substeps = int(network.substeps) if network.learned_force else 0
    rows = layout == "rows" or (layout == "auto" and row_layout_problem(network) is None)
    per_stride = substeps if rows else substeps + 1
    return {"model_k": int(model.k), "substeps": substeps,
            "network_passes_per_100_md_steps": passes,
            "force_evaluations_per_100_md_steps": passes * per_stride if substeps else 0.0}


def make_engine(engine: str, start: SizedStart, n_steps: int, threads: int,
                model: TrainedModel | None = None, graph_skin: float = 0.0,
                layout: str = "auto") -> Engine:
    """The engine named ``engine`` (one of :data:`ENGINES`) from a sized starting state;
    ``fast_ogn`` rolls out ``model`` with pairs within its cutoff + ``graph_skin``, in the
    pair table ``layout`` (auto: dense rows for a tabulated learned force, else edges);
    ``paper_ogn`` the same for the reference network it is handed."""
    system, position, velocity = start
    if engine == "md":
        return md_engine(system, position, velocity, n_steps)
    if engine == "md_all_pairs":
        return all_pairs_engine(system, position, velocity, n_steps)
    if engine == "lammps":
        return lammps_engine(system, position, velocity, n_steps, threads)
    if engine in ("fast_ogn", "paper_ogn"):
        if model is None:
            raise ValueError(f"timing {engine} needs a model (paper_ogn: "
                             ":func:`paper_network_reference`)")
        return fast_ogn_engine(model, system, graph_skin, n_steps, position, velocity,
                               layout)
    raise ValueError(f"runtime.engines names {engine!r}; use some of {', '.join(ENGINES)}")
