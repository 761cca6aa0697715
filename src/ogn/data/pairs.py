"""Input/target pairs ``(frame t, frame t + k MD steps)`` from MD trajectories, and their files.

A pair holds the input configuration at frame t (positions, velocities; species and box are
shared by all pairs of a file) and the target: the unwrapped change of position ``dr`` and the
change of velocity ``dv`` from t to t + k. k counts MD steps; trajectories save a frame every
``save_every`` steps (read from the frames' step numbers), so the frame stride is
``k / save_every`` and must be a whole number.

* training pairs: every frame t of every training trajectory with t + k inside it
  (:func:`training_pair_frames`);
* test pairs: ``n_pairs`` pairs spread evenly over the test trajectories (as equal a share per
  trajectory as possible, frames evenly spaced within each; :func:`evaluation_pair_frames`).

Pairs file layout (HDF5, one file per split, ``results/pairs/{system}/k{k}/{train,test}.h5``)::

    /position    (P, N, 3) float32  input positions, wrapped into [0, box)   [length]
    /velocity    (P, N, 3) float32  input velocities                          [velocity]
    /dr          (P, N, 3) float32  unwrapped position change over k steps    [length]
    /dv          (P, N, 3) float32  velocity change over k steps              [velocity]
    /species     (N,) int32         species index per atom (attr names)
    /mass        (N,) float64       [mass]
    /box         (3,) float64       box side lengths                          [length]
    /trajectory  (P,) int32         index of the source trajectory (input order)
    /frame       (P,) int32         frame t of the input in that trajectory
    attrs: k (MD steps), frame_stride, dt (one MD step, file time unit), units (lj|metal),
           length_unit, velocity_unit, time_unit, system, n_species, species_names (JSON),
           sources (JSON list of trajectory paths), source_sha256 (of the trajectory files'
           bytes, in order), sha256 (of the arrays above, see :func:`content_sha256`)

Every value is float32 to halve the size (training runs in float32); dr and dv are computed in
float64 from the trajectories before the cast, so they keep their full relative precision.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import NamedTuple

import h5py
import numpy as np

from ogn.data.atomic import atomic_path, file_sha256
from ogn.data.h5md import Trajectory, read_trajectory, unit_strings

ARRAY_NAMES = ("position", "velocity", "dr", "dv", "species", "mass", "box", "trajectory",
               "frame")


class Pairs(NamedTuple):
    position: np.ndarray  # (P, N, 3) float32, wrapped
    velocity: np.ndarray  # (P, N, 3) float32
    dr: np.ndarray  # (P, N, 3) float32
    dv: np.ndarray  # (P, N, 3) float32
    species: np.ndarray  # (N,) int32
    mass: np.ndarray  # (N,) float64
    box: np.ndarray  # (3,) float64
    trajectory: np.ndarray  # (P,) int32
    frame: np.ndarray  # (P,) int32
    attrs: dict

    @property
    def n_pairs(self) -> int:
        return int(self.position.shape[0])

    @property
    def n_atoms(self) -> int:
        return int(self.species.shape[0])


class PairsFileError(ValueError):
    pass


def frame_stride(steps, k: int) -> int:
    """Frames between t and t + k MD steps, from the frames' MD step numbers."""
    steps = np.asarray(steps, dtype=np.int64)
    spacing = np.diff(steps)
    if spacing.size == 0 or np.any(spacing != spacing[0]) or spacing[0] <= 0:
        raise ValueError("trajectory frames must be evenly spaced in MD steps, got steps "
                         f"{steps[:5].tolist()}...")
    if k <= 0 or k % spacing[0]:
        raise ValueError(f"k = {k} MD steps is not a positive multiple of the trajectory's "
                         f"frame spacing ({spacing[0]} MD steps)")
    return int(k // spacing[0])


def training_pair_frames(n_frames: int, stride: int) -> np.ndarray:
    """Every frame t with t + stride < n_frames."""
    if stride >= n_frames:
        raise ValueError(f"a stride of {stride} frames does not fit in {n_frames} frames")
    return np.arange(n_frames - stride)


def share_evenly(total: int, n_parts: int) -> np.ndarray:
    """``total`` split into ``n_parts`` counts that differ by at most one (earlier parts more)."""
    return np.array([len(part) for part in np.array_split(np.arange(total), n_parts)])


def evaluation_pair_frames(n_frames_per_trajectory: Sequence[int], stride: int,
                     n_pairs: int) -> list[np.ndarray]:
    """Frames of ``n_pairs`` test pairs spread evenly over the trajectories and within each."""
    counts = share_evenly(n_pairs, len(n_frames_per_trajectory))
    frames = []
    for n_frames, count in zip(n_frames_per_trajectory, counts, strict=True):
        available = n_frames - stride
        if count > available:
            raise ValueError(f"{count} test pairs requested from a trajectory with only "
                             f"{available} pairs at a stride of {stride} frames; use more "
                             "test trajectories or fewer training.test_pairs")
        frames.append(np.round(np.linspace(0, available - 1, count)).astype(np.int64)
                      if count else np.zeros(0, np.int64))
    return frames


def _check_same_system(trajectories: Sequence[Trajectory]) -> None:
    first = trajectories[0]
    for index, other in enumerate(trajectories[1:], start=1):
        for name in ("species", "box", "mass"):
            if not np.array_equal(getattr(first, name), getattr(other, name)):
                raise ValueError(f"trajectory {index} has a different {name} from trajectory 0;"
                                 " pairs of one file must come from one system")
        for key in ("system", "units", "dt"):
            if first.metadata.get(key) != other.metadata.get(key):
                raise ValueError(f"trajectory {index} has metadata {key} = "
                                 f"{other.metadata.get(key)!r}, trajectory 0 has "
                                 f"{first.metadata.get(key)!r}")


def pairs_from_trajectories(trajectories: Sequence[Trajectory], k: int,
                            frames: Sequence[np.ndarray], extra_attrs: dict | None = None
                            ) -> Pairs:
    """Pairs (t, t + k) at the given frames t of each trajectory (one array per trajectory)."""
    if not trajectories:
        raise ValueError("no trajectories given")
    _check_same_system(trajectories)
    first = trajectories[0]
    stride = frame_stride(first.step, k)
    box = np.asarray(first.box, dtype=np.float64)
    parts = {name: [] for name in ("position", "velocity", "dr", "dv", "trajectory", "frame")}
    for index, (trajectory, chosen) in enumerate(zip(trajectories, frames, strict=True)):
        if frame_stride(trajectory.step, k) != stride:
            raise ValueError(f"trajectory {index} saves frames at another spacing")
        chosen = np.asarray(chosen, dtype=np.int64)
        n_frames = trajectory.position.shape[0]
        if chosen.size and (chosen.min() < 0 or chosen.max() + stride >= n_frames):
            raise ValueError(f"frames {chosen.min()}..{chosen.max()} + stride {stride} fall "
                             f"outside trajectory {index} ({n_frames} frames)")
        position = np.asarray(trajectory.position, dtype=np.float64)
        velocity = np.asarray(trajectory.velocity, dtype=np.float64)
        start, end = position[chosen], position[chosen + stride]
        parts["position"].append(np.mod(start, box).astype(np.float32))
        parts["velocity"].append(velocity[chosen].astype(np.float32))
        parts["dr"].append((end - start).astype(np.float32))
        parts["dv"].append((velocity[chosen + stride] - velocity[chosen]).astype(np.float32))
        parts["trajectory"].append(np.full(chosen.size, index, np.int32))
        parts["frame"].append(chosen.astype(np.int32))
    arrays = {name: np.concatenate(value) for name, value in parts.items()}
    # float32 rounding can map a coordinate just below the box side onto it: fold back to 0.
    arrays["position"][arrays["position"] >= box.astype(np.float32)] = 0.0
    meta = first.metadata
    units = meta.get("units", "lj")
    unit_names = unit_strings(units)
    attrs = {"k": int(k), "frame_stride": stride, "dt": float(meta.get("dt", np.nan)),
             "units": units, "length_unit": unit_names["length"],
             "velocity_unit": unit_names["velocity"], "time_unit": unit_names["time"],
             "system": str(meta.get("system", "")), "n_species": len(first.species_names),
             "species_names": list(first.species_names)}
    attrs.update(extra_attrs or {})
    pairs = Pairs(species=np.asarray(first.species, np.int32),
                  mass=np.asarray(first.mass, np.float64), box=box, attrs=attrs, **arrays)
    return pairs._replace(attrs={**attrs, "sha256": content_sha256(pairs)})


def content_sha256(pairs: Pairs) -> str:
    """sha256 of the pair arrays (names, dtypes, shapes and bytes), independent of the file."""
    digest = hashlib.sha256()
    for name in ARRAY_NAMES:
        array = np.ascontiguousarray(getattr(pairs, name))
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    digest.update(str(pairs.attrs.get("k")).encode())
    return digest.hexdigest()


def training_pairs_from_files(paths: Sequence, k: int) -> Pairs:
    """All training pairs of the trajectory files ``paths`` at a stride of k MD steps."""
    trajectories = [read_trajectory(path) for path in paths]
    stride = frame_stride(trajectories[0].step, k)
    frames = [training_pair_frames(t.position.shape[0], stride) for t in trajectories]
    return pairs_from_trajectories(trajectories, k, frames, _source_attrs(paths, "train"))


def evaluation_pairs_from_files(paths: Sequence, k: int, n_pairs: int) -> Pairs:
    """``n_pairs`` test pairs spread evenly over the trajectory files ``paths``."""
    trajectories = [read_trajectory(path) for path in paths]
    stride = frame_stride(trajectories[0].step, k)
    frames = evaluation_pair_frames([t.position.shape[0] for t in trajectories], stride,
                                    n_pairs)
    return pairs_from_trajectories(trajectories, k, frames, _source_attrs(paths, "test"))


def joined_pairs(parts: Sequence[Pairs]) -> Pairs:
    """The pairs of several sets as one training set: the first set's, then the others' in
    order (their trajectory indices shifted past those before them). The sets must be of one
    system's make (species, atom masses, box, k, dt and units alike), e.g. a glass and the
    liquid it was quenched from; attrs are the first set's, with ``systems`` (the ``system``
    of every set) and ``pair_counts`` (its number of pairs), ``sources`` and
    ``source_sha256`` of all of them, and the sha256 of the joined arrays."""
    first = parts[0]
    for other in parts[1:]:
        problems = [name for name, same in (
            ("species", np.array_equal(first.species, other.species)
             and first.attrs.get("species_names") == other.attrs.get("species_names")),
            ("masses", np.array_equal(first.mass, other.mass)),
            ("box", np.allclose(first.box, other.box, rtol=1e-9, atol=0.0)),
            ("k", first.attrs.get("k") == other.attrs.get("k")),
            ("dt", first.attrs.get("dt") == other.attrs.get("dt")),
            ("units", first.attrs.get("units") == other.attrs.get("units"))) if not same]
        if problems:
            raise ValueError(f"pairs of {other.attrs.get('system')!r} cannot join those of "
                             f"{first.attrs.get('system')!r}: their {', '.join(problems)} "
                             "differ (a set joins another only when both are pairs of the same "
                             "atoms in the same box at the same k and dt)")
    offsets = np.cumsum([0] + [int(part.trajectory.max()) + 1 for part in parts[:-1]])
    arrays = {name: np.concatenate([getattr(part, name) for part in parts])
              for name in ("position", "velocity", "dr", "dv", "frame")}
    arrays["trajectory"] = np.concatenate(
        [part.trajectory + offset for part, offset in zip(parts, offsets, strict=True)]
    ).astype(np.int32)
    attrs = {**first.attrs, "systems": [part.attrs.get("system", "") for part in parts],
             "pair_counts": [part.n_pairs for part in parts],
             "sources": [s for part in parts for s in part.attrs.get("sources", [])],
             "source_sha256": [part.attrs.get("source_sha256") for part in parts]}
    joined = first._replace(attrs=attrs, **arrays)
    return joined._replace(attrs={**attrs, "sha256": content_sha256(joined)})


def _source_attrs(paths, split: str) -> dict:
    return {"split": split, "sources": [str(p) for p in paths],
            "source_sha256": file_sha256(paths)}


def write_pairs(path, pairs: Pairs) -> None:
    """Write ``pairs`` atomically to the HDF5 file ``path`` (layout in the module docstring)."""
    units = unit_strings(pairs.attrs.get("units", "lj"))
    unit_of = {"position": units["length"], "dr": units["length"], "box": units["length"],
               "velocity": units["velocity"], "dv": units["velocity"], "mass": units["mass"]}
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for name in ARRAY_NAMES:
                array = np.asarray(getattr(pairs, name))
                chunks = (1,) + array.shape[1:] if array.ndim == 3 and array.shape[0] else None
                dataset = f.create_dataset(name, data=array, chunks=chunks)
                if name in unit_of:
                    dataset.attrs["unit"] = unit_of[name]
            f["species"].attrs["names"] = json.dumps(pairs.attrs.get("species_names", []))
            for key, value in pairs.attrs.items():
                f.attrs[key] = json.dumps(value)


def read_pairs(path) -> Pairs:
    """Read a pairs file written by :func:`write_pairs`; refuses a file whose arrays do not
    match their recorded sha256 (a truncated or altered file)."""
    try:
        with h5py.File(path, "r") as f:
            arrays = {name: f[name][()] for name in ARRAY_NAMES}
            attrs = {key: json.loads(value) for key, value in f.attrs.items()}
    except FileNotFoundError as error:
        raise PairsFileError(f"pairs file {path} does not exist; run the workflow's pairs "
                             "stage for it") from error
    except (OSError, KeyError) as error:
        raise PairsFileError(f"pairs file {path} is unreadable or not an ogn pairs file "
                             f"({error}); delete it and rerun the pairs stage") from error
    pairs = Pairs(attrs=attrs, **arrays)
    if attrs.get("sha256") != content_sha256(pairs):
        raise PairsFileError(f"pairs file {path}: arrays do not match their recorded sha256; "
                             "the file is damaged: delete it and rerun the pairs stage")
    return pairs



def stride_time(pairs: Pairs) -> float:
    """k dt: the time between the two configurations of every pair, in the file's time unit
    (the unit its velocities are per: tau for LJ, fs for metal units)."""
    return int(pairs.attrs["k"]) * float(pairs.attrs["dt"])


def species_masses(pairs: Pairs) -> list[float]:
    """Mass of each species (file unit), from the per-atom masses of a pairs set."""
    n_species = int(pairs.attrs.get("n_species", int(np.max(pairs.species)) + 1))
    masses = []
    for s in range(n_species):
        of_species = pairs.mass[pairs.species == s]
        if of_species.size == 0:
            raise ValueError(f"species {s} has no atom in the pairs set: its mass is unknown")
        masses.append(float(of_species[0]))
    return masses
