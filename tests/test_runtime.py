"""Runtime stage: scaling exponents, the no-neighbor-list baseline, sized
configurations, the timing harness and the CSV schema."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from ogn.md.baseline import all_pairs_idx, all_pairs_neighbors
from ogn.md.dynamics import maxwell_boltzmann_velocities
from ogn.md.neighbors import build_neighbor_list
from ogn.md.resize import cropped_tiling
from ogn.md.sizing import scaled_counts_and_box
from ogn.md.systems import make_system
from ogn.runtime.complexity import (
    COMPLEXITY_COLUMNS,
    chained_energy_loop,
    complexity_rows,
    energy_seconds,
)
from ogn.runtime.engines import all_pairs_engine, md_engine
from ogn.runtime.memory import all_pairs_skip_reason, quadratic_memory_mb
from ogn.runtime.timing import (
    RUNTIME_COLUMNS,
    Timing,
    fitted_exponent,
    machine_info,
    measure,
    timing_row,
)
from ogn.workflow.config import load_config

CONFIG = load_config(REPO / "config" / "config.yaml")


def test_fitted_exponent_recovers_power_laws():
    n = np.array([1000, 2000, 5000, 10000, 20000])
    assert fitted_exponent(n, 3e-4 * n**1.0) == pytest.approx(1.0, abs=1e-12)
    assert fitted_exponent(n, 2e-8 * n**2.0) == pytest.approx(2.0, abs=1e-12)
    # the window selects the sizes; a constant overhead bends the small-N end
    t = 0.5 + 1e-3 * n
    assert fitted_exponent(n, t, n_min=1000, n_max=10000) < fitted_exponent(n, t, n_min=5000)
    # three sizes equally spaced in log N: the slope is that of the end points
    expected = np.log(t[4] / t[2]) / np.log(n[4] / n[2])
    assert expected == pytest.approx(0.949, abs=1e-3)
    assert fitted_exponent(n, t, n_min=5000) == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="two or more sizes"):
        fitted_exponent(n, t, n_min=15000)


def random_liquid(name, n_atoms, seed=0):
    counts, side = scaled_counts_and_box(CONFIG["systems"][name], n_atoms)
    system = make_system(name, CONFIG, counts=counts, box=side)
    rng = np.random.default_rng(seed)
    # a lattice with small random displacements: no overlaps, every pair distance different
    per_side = math.ceil(len(system.species) ** (1 / 3))
    grid = np.stack(np.meshgrid(*[np.arange(per_side)] * 3, indexing="ij"), -1).reshape(-1, 3)
    chosen = rng.permutation(len(grid))[:len(system.species)]
    position = (grid[chosen] + 0.5 + rng.uniform(-0.15, 0.15, (len(chosen), 3))) * (
        side / per_side)
    return system, position + rng.integers(-1, 2, position.shape) * side  # some unwrapped


def test_all_pairs_table_holds_every_other_atom():
    idx = all_pairs_idx(5)
    assert idx.dtype == np.int32 and idx.shape == (5, 5)
    for i in range(5):
        assert sorted(int(j) for j in idx[i] if j < 5) == [j for j in range(5) if j != i]
        assert idx[i, i] == 5  # the atom itself is padding


@pytest.mark.parametrize("name", ["lj", "si", "cuzr", "sio2"])
def test_all_pairs_energy_and_forces_equal_the_neighbor_list_ones(name):
    """Every pair handed to the potential (most far beyond the cutoff): the cutoff masks
    them, so the energy and forces are the neighbor-list ones to round-off."""
    system, position = random_liquid(name, {"lj": 400, "si": 216, "cuzr": 500, "sio2": 648}[name])
    pot = system.potential
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    energy, forces = jax.jit(pot.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    every_pair = all_pairs_neighbors(position)
    assert every_pair.idx.shape == (len(position), len(position))
    assert neighbors.idx.shape[1] < len(position) // 2  # the list is much narrower
    energy_ap, forces_ap = jax.jit(pot.energy_and_forces)(jnp.asarray(position),
                                                          every_pair.idx)
    # only the order of the float64 sums differs (measured: at most 3e-16 of the largest force)
    assert float(energy_ap) == pytest.approx(float(energy), rel=1e-14, abs=1e-14)
    np.testing.assert_allclose(np.asarray(forces_ap), np.asarray(forces), rtol=1e-14,
                               atol=1e-14 * float(np.abs(forces).max()))


def test_quadratic_memory_prediction_scales_only_what_the_run_added():
    # 1000 MB in use, peak 1500 MB at 5000 atoms: 500 MB grow to 2000 MB at 10,000
    assert quadratic_memory_mb(10000, 5000, 1500.0, 1000.0) == pytest.approx(3000.0)
    assert quadratic_memory_mb(5000, 5000, 1500.0, 1000.0) == pytest.approx(1500.0)
    # a peak below the starting point (memory freed meanwhile) predicts no growth
    assert quadratic_memory_mb(20000, 5000, 900.0, 1000.0) == pytest.approx(1000.0)
    # the skip rules of the runtime rule: the size cap first, then the memory
    assert all_pairs_skip_reason(600, 2000, 16000, None) is None
    assert "all_pairs_max_atoms = 2000" in all_pairs_skip_reason(5000, 2000, 16000, None)
    assert all_pairs_skip_reason(10000, 10000, 3000, (5000, 1500.0, 1000.0)) is None
    reason = all_pairs_skip_reason(10000, 10000, 2999, (5000, 1500.0, 1000.0))
    assert "about 3000 MB" in reason and "runtime.mem_mb = 2999" in reason


def test_cropped_tiling_keeps_density_and_composition():
    rng = np.random.default_rng(1)
    box = np.full(3, 6.0)
    position = rng.uniform(0, 6.0, (265, 3))
    species = np.repeat([0, 1], [212, 53]).astype(np.int32)
    counts, side = scaled_counts_and_box(CONFIG["systems"]["lj"], 1000)
    cut, cut_species = cropped_tiling(position, species, box, counts, side, rng)
    assert np.bincount(cut_species).tolist() == counts
    assert np.all(np.diff(cut_species) >= 0)  # grouped like ogn.md.sizing.species_vector
    assert cut.min() >= 0 and cut.max() < side
    density = len(cut) / side**3
    assert density == pytest.approx(265 / 6.038**3, rel=0.01)


def test_measure_reports_compile_time_apart_and_the_spread():
    calls = []

    def run():
        calls.append(1)
        return 0.5 if len(calls) == 1 else 0.1 * len(calls)

    timing = measure(run, repeats=3)
    assert len(calls) == 4
    assert timing.seconds == pytest.approx((0.2, 0.3, 0.4))
    assert timing.median == pytest.approx(0.3)
    assert timing.compile_s == pytest.approx(0.2)
    assert timing.peak_mem_mb > 10  # this process's resident memory
    with pytest.raises(ValueError, match="repeats"):
        measure(run, repeats=0)


def test_the_timed_loop_evaluates_the_energy_once_per_call():
    """No timing asserted (the cores are shared): the chained loop that energy_seconds times
    performs every one of its evaluations (their sum is calls x the energy)."""
    system, position = random_liquid("lj", 300)
    pot = system.potential
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    energy = float(pot.energy(jnp.asarray(position), neighbors.idx))
    total = float(chained_energy_loop(pot.energy, 20)(jnp.asarray(position), neighbors.idx))
    assert total == pytest.approx(20 * energy, rel=1e-12)
    with_forces = chained_energy_loop(pot.energy_and_forces, 7)
    assert float(with_forces(jnp.asarray(position), neighbors.idx)) == pytest.approx(
        7 * energy, rel=1e-12)
    seconds = energy_seconds(pot.energy, position, neighbors.idx, calls=5, repeats=1)
    assert np.isfinite(seconds) and seconds > 0


def test_engines_give_rows_of_the_csv_schema():
    """Our MD and the baseline on a small LJ box: same trajectory, rows of the schema."""
    system, position = random_liquid("lj", 300)
    velocity = np.asarray(maxwell_boltzmann_velocities(
        jax.random.PRNGKey(5), system.mass, system.temperature, system.units.boltzmann))
    machine = machine_info(1)
    rows, ends = [], {}
    for engine_name, engine in (("md", md_engine(system, position, velocity, 20)),
                                ("md_all_pairs", all_pairs_engine(system, position, velocity,
                                                                  20))):
        timing = measure(engine.run, repeats=1)
        rows.append(timing_row("lj", len(position), engine_name, 20, timing, engine.info(),
                               machine))
        ends[engine_name] = engine.final()
    # the same 20 steps (measured: bitwise equal here; the bound allows the pairs to be summed
    # in another order)
    moved = np.asarray(ends["md"].position) - position
    assert np.max(np.abs(moved)) > 1e-3
    np.testing.assert_allclose(np.asarray(ends["md_all_pairs"].position),
                               np.asarray(ends["md"].position), rtol=0,
                               atol=1e-12 * float(np.min(system.box)))
    np.testing.assert_allclose(np.asarray(ends["md_all_pairs"].velocity),
                               np.asarray(ends["md"].velocity), rtol=0, atol=1e-10)
    table = pd.DataFrame(rows)
    assert list(table.columns) == RUNTIME_COLUMNS
    assert (table["median_s"] > 0).all() and (table["repeats"] == 1).all()
    assert table["device"].iloc[0].startswith("cpu")


def test_complexity_rows_are_relative_to_lj():
    timings = {"lj": {"potential": "kob_andersen", "n_atoms_timed": 200, "energy_s": 1e-4,
                      "energy_forces_s": 2e-4, "lammps_s": 5e-5},
               "si": {"potential": "stillinger_weber", "n_atoms_timed": 100,
                      "energy_s": 1.5e-4, "energy_forces_s": 2e-4, "lammps_s": 1e-4}}
    rows = pd.DataFrame(complexity_rows(timings, per_atoms=100))
    assert list(rows.columns) == COMPLEXITY_COLUMNS
    si = rows.set_index("system").loc["si"]
    assert si["index_energy"] == pytest.approx(3.0)  # 1.5e-4 vs 0.5e-4 per 100 atoms
    assert si["index_energy_forces"] == pytest.approx(2.0)
    assert si["index_lammps"] == pytest.approx(4.0)
    assert rows.set_index("system").loc["lj", "index_energy"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="runtime.systems"):
        complexity_rows({"si": timings["si"]}, per_atoms=100)


def test_timing_row_fields():
    row = timing_row("si", 1000, "lammps", 100, Timing(0.0, (1.0, 2.0, 4.0), 123.0, "host_rss"),
                     {}, {"device": "cpu:cpu", "cpu_model": "x", "cpu_threads": 2,
                          "threads": 2})
    assert [row[c] for c in ("median_s", "min_s", "max_s", "repeats", "rebuilds")] == \
        [2.0, 1.0, 4.0, 3, -1]


def test_the_learned_simulator_is_timed_as_trained_with_its_stride_costs():
    """The fast_ogn engine times the model file itself, whatever its decoder; the table
    records its substeps and force evaluations per 100 MD steps."""
    import jax

    from ogn.net.options import network_config
    from ogn.net.simulator import make_simulator
    from ogn.net.trained import TrainedModel
    from ogn.runtime.engines import stride_costs

    model = {"architecture": "extended", "latent_size": 16, "hidden_size": 16,
             "mlp_hidden_layers": 1, "options": {"radial_basis": 8, "decoder": "pair_force"}}

    def trained(config):
        simulator = make_simulator(config, 2)
        return TrainedModel(simulator, simulator.init(jax.random.PRNGKey(0), 4, 16), None,
                            None, {}, 2.0, 5, ("A", "B"))

    pair = trained(network_config(model, 2, graph_cutoff=2.0, species_masses=(1.0, 1.0),
                                  stride_steps=5, stride_time=0.025))
    assert stride_costs(pair) == {"model_k": 5, "substeps": 3,
                                  "network_passes_per_100_md_steps": 20.0,
                                  "force_evaluations_per_100_md_steps": 80.0}
    # tabulated, on dense rows: each stride starts from the last one's force
    tables = trained(pair.network_config._replace(tabulated=64))
    assert stride_costs(tables)["force_evaluations_per_100_md_steps"] == 60.0
    assert stride_costs(tables, "edges")["force_evaluations_per_100_md_steps"] == 80.0
    vector = trained(network_config({**model, "options": {"radial_basis": 8,
                                                          "decoder": "vector"}}, 2,
                                    graph_cutoff=2.0, species_masses=(1.0, 1.0)))
    assert stride_costs(vector)["force_evaluations_per_100_md_steps"] == 0.0
    row = timing_row("lj", 100, "fast_ogn", 100, Timing(0.0, (1.0,), 1.0, "host_rss"), {},
                     {"device": "cpu", "cpu_model": "x", "cpu_threads": 2, "threads": 2},
                     "results/models/lj/L2_k5/model.npz", stride_costs(pair))
    assert row["model"].endswith("model.npz") and row["substeps"] == 3
    assert list(row) == RUNTIME_COLUMNS


def test_the_paper_network_reference_is_the_papers_design_at_the_models_stride():
    """paper_ogn times the paper's network (message passing, node decoder, untrained) at the
    trained model's k, cutoff, species and standardisation; a runtime table that names it
    without one is refused before anything is timed."""
    from ogn.net.normalizer import init_normalizer, standardization
    from ogn.net.options import network_config
    from ogn.net.simulator import make_simulator, node_feature_size
    from ogn.net.trained import TrainedModel
    from ogn.runtime.engines import fast_ogn_engine, paper_network_reference, stride_costs
    from ogn.runtime.stage import runtime_table

    block = {"architecture": "extended", "latent_size": 16, "hidden_size": 16,
             "mlp_hidden_layers": 1, "options": {"radial_basis": 8, "decoder": "pair_force"}}
    config = network_config(block, 2, graph_cutoff=2.5, species_masses=(1.0, 1.0),
                            stride_steps=5, stride_time=0.025)
    simulator = make_simulator(config, 2)
    normalizer = init_normalizer(node_feature_size(2))
    model = TrainedModel(simulator, simulator.init(jax.random.PRNGKey(0), 4, 16),
                         jax.tree_util.tree_map(jnp.asarray, standardization(normalizer)),
                         normalizer, {"steps": 900}, 2.5, 5, ("A", "B"))
    reference = paper_network_reference(model, block, 2, seed=1)
    paper = reference.network_config
    assert paper.n_layers == 2 and paper.decoder == "node" and not paper.learned_force
    assert (reference.k, reference.graph_cutoff, reference.species_names) == (5, 2.5,
                                                                               ("A", "B"))
    assert reference.standard is model.standard
    assert reference.training_steps == 0 and "untrained" in reference.metadata["reference"]
    assert stride_costs(reference) == {"model_k": 5, "substeps": 0,
                                       "network_passes_per_100_md_steps": 20.0,
                                       "force_evaluations_per_100_md_steps": 0.0}
    # it rolls out: 10 MD steps of LJ are 2 passes of the network on the graph's edges
    system, position = random_liquid("lj", 300)
    velocity = np.asarray(maxwell_boltzmann_velocities(
        jax.random.PRNGKey(5), system.mass, system.temperature, system.units.boltzmann))
    engine = fast_ogn_engine(reference, system, 0.0, 10, position, velocity)
    engine.run()
    assert engine.info()["layout"] == "edges" and engine.info()["rebuilds"] >= 1
    settings = {**CONFIG["runtime"], "engines": ["md", "paper_ogn"]}
    with pytest.raises(ValueError, match="paper_ogn"):
        runtime_table("lj", CONFIG["systems"]["lj"], None, model, settings, 1, print)
