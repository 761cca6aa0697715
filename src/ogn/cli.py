"""The command line: ``ogn simulate`` runs a trained model on your own configuration,
``ogn info`` says what a model file is, ``ogn tabulate`` turns a learned force's MLPs into
tables.

    ogn simulate results/models/lj/L2_k5/model.npz data.lj --types A B --steps 1000 \\
        --out lj.h5 --every 10
    ogn info results/models/lj/L2_k5/model.npz
    ogn tabulate results/models/si/L2_k10/model.npz si_tabulated.npz --points 1024

Every problem with the inputs (species, velocities, box, model format, an existing output)
is reported in one message before anything is computed or written.
"""

import argparse
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ogn", description="Run and inspect trained learned simulators (OGN).")
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser(
        "simulate", help="roll a trained model out from a configuration file",
        description="Roll a trained model out from START (an H5MD file of this project, an "
        "extended XYZ file or a LAMMPS data file, atom_style atomic or charge) and write the "
        "trajectory to OUT: H5MD (.h5), extended XYZ (.xyz) or a LAMMPS dump (.lammpstrj). "
        "Units are the model's: LAMMPS lj or metal (velocities A/ps in LAMMPS files, A/fs "
        "in H5MD and XYZ).")
    simulate.add_argument("model", help="model file (model.npz written by the workflow)")
    simulate.add_argument("start", help="starting configuration file")
    simulate.add_argument("--steps", type=int, required=True,
                          help="MD steps to simulate (a multiple of the model's k)")
    simulate.add_argument("--out", required=True, help="output trajectory (.h5, .xyz, "
                          ".lammpstrj)")
    simulate.add_argument("--every", type=int, default=None,
                          help="MD steps between saved frames (default: k)")
    simulate.add_argument("--frame", type=int, default=0,
                          help="frame of an H5MD or XYZ START (default 0)")
    simulate.add_argument("--types", nargs="+", default=None, metavar="SPECIES",
                          help="species of the LAMMPS types 1, 2, ... in order")
    simulate.add_argument("--thermostat", choices=["none", "csvr"], default="none",
                          help="csvr: stochastic velocity rescaling between strides (NVT)")
    simulate.add_argument("--temperature", type=float, default=None,
                          help="thermostat target, and the temperature of Maxwell-Boltzmann "
                          "velocities for a START without velocities (K or epsilon/k_B)")
    simulate.add_argument("--tau", type=float, default=None,
                          help="thermostat relaxation time (fs for metal, tau for lj)")
    simulate.add_argument("--seed", type=int, default=0,
                          help="seed of the thermostat and of drawn velocities")
    simulate.add_argument("--conserve-energy", action="store_true",
                          help="rescale velocities after each stride so the total energy "
                          "(true potential) stays at its start value")
    simulate.add_argument("--global-rescale", action="store_true",
                          help="with --conserve-energy: one factor for every atom instead of "
                          "sharing the kinetic energy among species by equipartition")
    simulate.add_argument("--config", nargs="+", default=None, metavar="YAML",
                          help="workflow config file(s) (later ones overlay earlier ones) "
                          "naming the true potential, for models that do not record it")
    simulate.add_argument("--skin", type=float, default=0.5,
                          help="Verlet skin of the graph edges (length unit; default 0.5)")
    simulate.add_argument("--float32", action="store_true",
                          help="carry the state in float32 (default float64)")
    simulate.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    info = commands.add_parser("info", help="say what a model file is",
                               description="Print a model file's system, species, units, "
                               "stride, step family, training and measured accuracy.")
    info.add_argument("model", help="model file (model.npz)")
    tabulate = commands.add_parser(
        "tabulate", help="write a learned force's model file with its MLPs as tables",
        description="Write OUT: the model file MODEL (decoder pair_force, or energy with "
        "pair_term force) with its learned functions of distance as cubic Hermite tables of "
        "--points samples, which cost per edge what a tabulated potential costs. Its "
        "accuracy is that of a new model: roll it out before using it.")
    tabulate.add_argument("model", help="model file (model.npz)")
    tabulate.add_argument("out", help="the tabulated model file to write (.npz)")
    tabulate.add_argument("--points", type=int, default=1024,
                          help="samples per function, from 0 to its cutoff (default 1024)")
    tabulate.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "info":
            print(model_description(args.model))
        elif args.command == "tabulate":
            tabulate_command(args)
        else:
            simulate_command(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"ogn {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


def tabulate_command(args) -> None:
    """``ogn tabulate``: MODEL's learned functions as tables, written to OUT."""
    if Path(args.out).exists() and not args.force:
        raise ValueError(f"{args.out} exists: choose another name, or pass --force")
    if Path(args.out).resolve() == Path(args.model).resolve():
        raise ValueError("OUT is MODEL itself: write the tabulated model to another file")
    from ogn.net.modelfile import load_model, network_config_of, save_model
    from ogn.net.tables import tabulated_model

    saved = load_model(args.model)
    config = network_config_of(saved.metadata)
    if config.tabulated:
        raise ValueError(f"{args.model} is tabulated already ({config.tabulated} points)")
    table_config, params = tabulated_model(config, saved.params,
                                           int(saved.metadata["n_species"]), args.points)
    metadata = {**saved.metadata, "network": table_config._asdict(),
                "tabulated_from": str(args.model)}
    save_model(args.out, params, saved.normalizer, metadata)
    say(f"{args.out}: {args.model} with its learned functions as tables of {args.points} "
        "points")


def say(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


def simulate_command(args) -> None:
    """``ogn simulate``: every input checked first, then the run, then the output."""
    from ogn.simulate.writers import check_output

    check_output(args.out, args.force)
    if args.thermostat == "csvr" and (args.temperature is None or args.tau is None):
        raise ValueError("--thermostat csvr needs --temperature T and --tau TAU")
    from ogn.md.precision import enable_float64

    if not args.float32:
        enable_float64()
    from ogn.net.trained import load

    model = load(args.model)
    simulate_model(model, args, log=say)


def simulate_model(model, args, log=say):
    """The run of ``ogn simulate`` with a loaded model (or any value with the same fields,
    e.g. a stand-in that returns true MD increments): read START, run, write OUT."""
    from ogn.simulate.configuration import maxwell_boltzmann
    from ogn.simulate.readers import read_start
    from ogn.simulate.run import RunOptions, run
    from ogn.simulate.thermostat import Csvr
    from ogn.simulate.writers import check_output, write_output

    check_output(args.out, args.force)
    types = args.types
    if types is None and model.n_species == 1:
        types = list(model.species_names)
    configuration = read_start(args.start, units=model.units or "lj", frame=args.frame,
                               types=types)
    if configuration.velocity is None and args.temperature is not None:
        from ogn.md.units import unit_system
        from ogn.simulate.configuration import in_model_species
        from ogn.simulate.run import atom_masses

        units = unit_system(model.units or "lj")
        configuration = in_model_species(configuration, model.species_names)
        configuration = configuration._replace(velocity=maxwell_boltzmann(
            atom_masses(model, configuration), args.temperature, units.boltzmann,
            units.velocity_to_files, args.seed))
        log(f"velocities drawn at T = {args.temperature:g} (seed {args.seed})")
    thermostat = None if args.thermostat == "none" else Csvr(args.temperature, args.tau,
                                                              args.seed)
    options = RunOptions(every=args.every, thermostat=thermostat,
                         conserve_energy=args.conserve_energy,
                         equipartition=not args.global_rescale, skin=args.skin)
    system_block = config_system_block(args.config, model) if args.config else None
    log(f"{model.system_name or 'model'}: {len(configuration.position)} atoms from "
        f"{configuration.source}; k = {model.k}, {args.steps} MD steps, "
        f"{options_summary(options)}")
    result = run(model, configuration, args.steps, options=options, system_block=system_block,
                 log=log)
    write_output(args.out, result.trajectory)
    frames = len(result.trajectory.step)
    log(f"wrote {args.out}: {frames} frames in {result.seconds:.1f} s"
        + ("" if result.stop_reason is None else
           f"; STOPPED at MD step {result.stopped_at_md_step}: {result.stop_reason}"))
    if result.stop_reason is not None:
        raise ValueError(f"the rollout stopped at MD step {result.stopped_at_md_step} "
                         f"({result.stop_reason}); the frames up to there are in {args.out}")
    return result


def options_summary(options) -> str:
    if options.thermostat is not None:
        return (f"NVT (CSVR, T = {options.thermostat.temperature:g}, "
                f"tau = {options.thermostat.tau:g})")
    if options.conserve_energy:
        return "NVE, energy-conserving rescale " + (
            "(equipartition between species)" if options.equipartition else "(global factor)")
    return "NVE"


def config_system_block(paths, model) -> dict:
    """The ``systems.<model's system>`` block of the config files ``paths``."""
    from ogn.workflow.config import load_config

    config = load_config(*paths)
    systems = config.get("systems", {})
    if model.system_name not in systems:
        raise ValueError(f"--config {' '.join(paths)} defines no systems.{model.system_name} "
                         f"(it has {', '.join(systems) or 'no systems'})")
    return systems[model.system_name]


def model_description(path) -> str:
    """What ``ogn info`` prints."""
    from ogn.net.modelfile import load_model, network_config_of

    saved = load_model(path)
    meta = saved.metadata
    network = network_config_of(meta)
    from ogn.net.options import architecture_label

    lines = [f"model file     {path}",
             f"system         {meta.get('system') or '(not recorded)'}",
             f"species        {' '.join(meta['species_names'])}",
             f"units          {meta.get('units') or '(not recorded)'}",
             f"MD time step   {meta.get('dt')}",
             f"stride k       {meta['k']} MD steps per model call",
             f"step family    {network.step_family}",
             f"network        {architecture_label(meta.get('model_config') or {})}, "
             f"{network.n_layers} layers, latent {network.latent_size}",
             f"graph cutoff   {meta['graph_cutoff']}",
             f"training steps {meta.get('steps')}",
             f"trained on     pairs of {', '.join(meta.get('train_systems') or [meta.get('system') or '(not recorded)'])}",
             f"potential      {(meta.get('system_config') or {}).get('potential', {}).get('kind', '(not recorded: --config needed for --conserve-energy)')}"]
    lines += measured_accuracy(Path(path), meta, network.n_layers)
    return "\n".join(lines)


def measured_accuracy(path: Path, meta: dict, layers: int) -> list:
    """The model's row of the workflow's ``results/accuracy.csv`` (searched above the model
    file), as lines; a note when there is none."""
    for folder in path.resolve().parents:
        table_path = folder / "accuracy.csv"
        if table_path.exists():
            import pandas as pd

            table = pd.read_csv(table_path)
            rows = table[(table["system"] == meta.get("system")) & (table["k"] == meta["k"])
                         & (table["layers"] == layers)]
            if rows.empty:
                break
            row = rows.iloc[-1]
            return [f"accuracy       at MD step {int(row['evaluated_md_step'])}: position RMSE "
                    f"{row['position_rmse']:.4g} ({row['position_rmse_over_cage']:.3g} of the "
                    f"cage), velocity RMSE {row['velocity_rmse']:.4g} "
                    f"({row['velocity_rmse_over_scale']:.3g} of sqrt(kT/m)); verdict "
                    f"{row['verdict']} ({table_path})"]
    return ["accuracy       (no rollout of this model in a results/accuracy.csv above it)"]


if __name__ == "__main__":
    sys.exit(main())
