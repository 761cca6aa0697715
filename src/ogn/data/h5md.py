"""Trajectories in the H5MD layout (https://www.nongnu.org/h5md/, version 1.1), readable by
MDAnalysis, OVITO and VMD's H5MD plugin.

Layout written by :func:`write_trajectory`::

    /h5md                      version [1, 1]; author/ and creator/ groups;
                               modules/units (version [1, 0], system "metal" or "lj")
    /particles/all/box         attrs dimension=3, boundary=[periodic]*3;
                               edges/{step,time,value (T, 3)} [length] (constant box)
    /particles/all/position    step (T,), time (T,) [time], value (T, N, 3) [length], UNWRAPPED
    /particles/all/velocity    step, time, value (T, N, 3) [velocity]
    /particles/all/species     (N,) HDF5 enumeration over the species names (value = index
                               into them); attr names = the species names too
    /particles/all/mass        (N,) [mass]
    /observables/<name>        step, time, value: kinetic_energy, potential_energy,
                               total_energy, temperature (T,), momentum (T, 3), ...
    /parameters                attrs: metadata (system, seed, dt, units, potential, versions, ...)

Every time series is sampled at the same steps, so its ``step`` and ``time`` are hard links to
the position's (the specification's way to share them). ``value``, ``step`` and ``time`` are
chunked and extensible along time (maxshape None), so other tools may append frames. Every
``value`` dataset carries a ``unit`` attribute (and ``time`` datasets too), in the units
module's grammar (symbols with signed integer powers, separated by spaces). Positions are
unwrapped (atoms leaving the box keep their continuous coordinates); wrap with the box edges
for a picture. Units are those of the system's unit system in *file* form: time in tau or fs,
velocity in sigma/tau or A/fs (see :mod:`ogn.md.units`); in LJ units the mass unit is
``m_A``, the mass of a particle of the first species.
"""

import json
from importlib import metadata as importlib_metadata
from typing import NamedTuple

import h5py
import numpy as np

from ogn.data.atomic import atomic_path
from ogn.md.units import unit_system

OBSERVABLE_UNITS = {
    "kinetic_energy": "energy",
    "potential_energy": "energy",
    "total_energy": "energy",
    "temperature": "temperature",
    "momentum": "momentum",
}


class Trajectory(NamedTuple):
    position: np.ndarray  # (T, N, 3) unwrapped, file length unit
    velocity: np.ndarray  # (T, N, 3) file velocity unit
    step: np.ndarray  # (T,) int64 MD step index
    time: np.ndarray  # (T,) file time unit
    species: np.ndarray  # (N,) int32
    species_names: list
    mass: np.ndarray  # (N,)
    box: np.ndarray  # (3,)
    observables: dict  # name -> (T,) or (T, 3)
    metadata: dict


class TrajectoryFileError(ValueError):
    pass


def observable_quantity(name: str) -> str:
    """The quantity an observable is measured in: by its name, or its prefix before
    ``_<species>`` (``temperature_Si``); energy otherwise."""
    for key, quantity in OBSERVABLE_UNITS.items():
        if name == key or name.startswith(key + "_"):
            return quantity
    return "energy"


def package_versions() -> dict:
    versions = {}
    for name in ("ogn", "jax", "jaxlib", "jax-md", "dm-haiku", "optax", "numpy", "h5py"):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def unit_strings(units_name: str) -> dict:
    units = unit_system(units_name)
    if units.name == "metal":
        # spelled as MDAnalysis's H5MD reader expects ("Angstrom", "Angstrom fs-1")
        return {"length": "Angstrom", "time": "fs", "velocity": "Angstrom fs-1",
                "energy": "eV", "mass": "amu", "temperature": "K",
                "momentum": "amu Angstrom fs-1"}
    return {"length": "sigma", "time": "tau", "velocity": "sigma tau-1", "energy": "epsilon",
            "mass": "m_A", "temperature": "epsilon k_B-1", "momentum": "m_A sigma tau-1"}


def _extensible(group, name: str, data, unit: str | None = None):
    """A dataset chunked and unlimited along its first (time) axis, with its unit."""
    data = np.asarray(data)
    frames_per_chunk = max(1, min(len(data), (1 << 20) // max(1, data[:1].nbytes)))
    dataset = group.create_dataset(name, data=data, maxshape=(None,) + data.shape[1:],
                                   chunks=(frames_per_chunk,) + data.shape[1:])
    if unit is not None:
        dataset.attrs["unit"] = unit
    return dataset


def _write_time_series(group, step, time, value, unit, time_unit, clock=None):
    """``group``'s step, time and value; ``clock``: a time series whose step and time it
    shares by hard links (same sampling), instead of writing its own."""
    if clock is None:
        _extensible(group, "step", np.asarray(step, dtype=np.int64))
        _extensible(group, "time", np.asarray(time, dtype=np.float64), time_unit)
    else:
        group["step"] = clock["step"]
        group["time"] = clock["time"]
    _extensible(group, "value", value, unit)


def species_enumeration(names) -> np.dtype:
    """The HDF5 enumeration of the species: each name maps to its index."""
    return h5py.enum_dtype({str(name): index for index, name in enumerate(names)},
                           basetype=np.int32)


def write_trajectory(path, trajectory: Trajectory) -> None:
    """Write ``trajectory`` atomically to ``path`` (H5MD). ``metadata['units']`` names the units."""
    units = unit_strings(trajectory.metadata["units"])
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            h5md = f.create_group("h5md")
            h5md.attrs["version"] = np.array([1, 1], dtype=np.int32)
            h5md.create_group("author").attrs["name"] = "ogn workflow"
            creator = h5md.create_group("creator")
            creator.attrs["name"] = "ogn"
            creator.attrs["version"] = package_versions()["ogn"]
            units_module = h5md.create_group("modules/units")
            units_module.attrs["version"] = np.array([1, 0], dtype=np.int32)
            units_module.attrs["system"] = trajectory.metadata["units"]

            particles = f.create_group("particles/all")
            box = particles.create_group("box")
            box.attrs["dimension"] = 3
            box.attrs["boundary"] = np.array([b"periodic"] * 3)
            # A time series (constant here): MDAnalysis reads box/edges/{step,time,value}.
            n_frames = len(trajectory.step)
            edges = np.broadcast_to(np.asarray(trajectory.box, dtype=np.float64), (n_frames, 3))
            position = particles.create_group("position")
            _write_time_series(position, trajectory.step, trajectory.time, trajectory.position,
                               units["length"], units["time"])
            _write_time_series(box.create_group("edges"), trajectory.step, trajectory.time,
                               np.ascontiguousarray(edges), units["length"], units["time"],
                               clock=position)
            _write_time_series(particles.create_group("velocity"), trajectory.step,
                               trajectory.time, trajectory.velocity, units["velocity"],
                               units["time"], clock=position)
            species = particles.create_dataset(
                "species", data=np.asarray(trajectory.species, dtype=np.int32),
                dtype=species_enumeration(trajectory.species_names))
            species.attrs["names"] = np.array([n.encode() for n in trajectory.species_names])
            mass = particles.create_dataset("mass", data=np.asarray(trajectory.mass, np.float64))
            mass.attrs["unit"] = units["mass"]

            observables = f.create_group("observables")
            for name, values in trajectory.observables.items():
                unit = units[observable_quantity(name)]
                _write_time_series(observables.create_group(name), trajectory.step,
                                   trajectory.time, np.asarray(values), unit, units["time"],
                                   clock=position)

            parameters = f.create_group("parameters")
            meta = dict(trajectory.metadata)
            meta.setdefault("package_versions", package_versions())
            meta["unit_strings"] = units
            for key, value in meta.items():
                parameters.attrs[key] = json.dumps(value, sort_keys=True)


def read_trajectory(path, frames=slice(None)) -> Trajectory:
    """Read an H5MD trajectory written by :func:`write_trajectory` (``frames`` selects frames).

    A missing, truncated or foreign file raises :class:`TrajectoryFileError` naming the path and
    what to do (rerun the job that makes it).
    """
    try:
        with h5py.File(path, "r") as f:
            particles = f["particles/all"]
            position = particles["position/value"][frames]
            velocity = particles["velocity/value"][frames]
            step = particles["position/step"][frames]
            time = particles["position/time"][frames]
            species = np.asarray(particles["species"][()], dtype=np.int32)
            names = [n.decode() if isinstance(n, bytes) else str(n)
                     for n in particles["species"].attrs["names"]]
            mass = particles["mass"][()]
            box = particles["box/edges/value"][0]
            observables = {name: f["observables"][name]["value"][frames]
                           for name in f["observables"]}
            meta = {key: json.loads(value) for key, value in f["parameters"].attrs.items()}
    except FileNotFoundError as error:
        raise TrajectoryFileError(
            f"trajectory file {path} does not exist; run the workflow stage that makes it "
            "(e.g. `snakemake --cores 2 <that file>`)") from error
    except (OSError, KeyError) as error:
        raise TrajectoryFileError(
            f"trajectory file {path} is unreadable or not an ogn H5MD file ({error}); it is "
            "probably truncated by a killed job: delete it and rerun the stage that makes it"
        ) from error
    return Trajectory(position=position, velocity=velocity, step=step, time=time,
                      species=species, species_names=names, mass=mass, box=box,
                      observables=observables, metadata=meta)


def mdanalysis_universe(path):
    """An MDAnalysis Universe over an ogn H5MD file (no topology needed).

    Metal-unit files open with MDAnalysis's own H5MD reader (units converted to A and ps).
    MDAnalysis does not know reduced LJ units (sigma, tau), so those files are read with
    ``convert_units=False`` through a reader that accepts those unit strings: numbers stay in
    LJ units.
    """
    import copy

    import MDAnalysis as mda
    from MDAnalysis.coordinates.H5MD import H5MDReader

    class ReducedUnitsH5MDReader(H5MDReader):
        format = "OGN-H5MD-LJ"
        _unit_translation = copy.deepcopy(H5MDReader._unit_translation)
        _unit_translation["time"]["tau"] = "tau"
        _unit_translation["length"]["sigma"] = "sigma"
        _unit_translation["velocity"]["sigma tau-1"] = "sigma/tau"

    with h5py.File(path, "r") as f:
        n_atoms = f["particles/all/species"].shape[0]
        reduced = f["particles/all/position/value"].attrs["unit"] == "sigma"
    universe = mda.Universe.empty(n_atoms, trajectory=True)
    if reduced:
        universe.load_new(str(path), format=ReducedUnitsH5MDReader, convert_units=False)
    else:
        universe.load_new(str(path), format="H5MD")
    return universe
