"""Trained-model files: parameters, normalizer, configuration and data hashes in one .npz.

Layout (a plain numpy ``.npz``, read with ``allow_pickle=False``: no executable pickles)::

    params|<module>|<name>          network weights (float32), e.g. params|edge_update_0|w_0
    normalizer|<stream>|count       () float64, stream in nodes, edges, targets
    normalizer|<stream>|mean        (D,) float64
    normalizer|<stream>|m2          (D,) float64 sum of squared deviations
    metadata                        0-d unicode array: JSON object with at least
        format_version, network (NetworkConfig fields), model_config (config block ``model``),
        training_config (block ``training``), system, units, species_names, n_species,
        graph_cutoff, k, dt, train_sha256, test_sha256, steps

:func:`load_model` checks the format; :func:`check_compatible` refuses a model whose species,
graph cutoff, k, time step or units differ from what the caller is about to use it for.
"""

import json
import zipfile
from typing import NamedTuple

import numpy as np

from ogn.data.atomic import atomic_path
from ogn.net.core import radii_table
from ogn.net.network import NetworkConfig
from ogn.net.normalizer import Normalizer, RunningStats

FORMAT_VERSION = 1
SEPARATOR = "|"
STREAMS = ("nodes", "edges", "targets")


class ModelFileError(ValueError):
    pass


class IncompatibleModelError(ValueError):
    pass


class SavedModel(NamedTuple):
    params: dict
    normalizer: Normalizer
    metadata: dict

    @property
    def network_config(self) -> NetworkConfig:
        return network_config_of(self.metadata)


def network_config_of(metadata: dict) -> NetworkConfig:
    """The NetworkConfig recorded in a model file's metadata (JSON lists back to tuples)."""
    fields = dict(metadata["network"])
    fields["species_masses"] = tuple(fields.get("species_masses", ()))
    fields["core_radii"] = radii_table(fields.get("core_radii", ()))
    if "embedding_density" in fields:
        fields["embedding_density"] = tuple(float(x) for x in fields["embedding_density"])
    return NetworkConfig(**fields)


def params_to_arrays(params, prefix: str = "params") -> dict:
    """Flatten a Haiku parameter dict {module: {name: array}} into named numpy arrays."""
    arrays = {}
    for module, leaves in params.items():
        for name, value in leaves.items():
            if SEPARATOR in module or SEPARATOR in name:
                raise ValueError(f"parameter name {module}/{name} contains {SEPARATOR!r}")
            arrays[SEPARATOR.join((prefix, module, name))] = np.asarray(value)
    return arrays


def params_from_arrays(arrays, prefix: str = "params") -> dict:
    params: dict = {}
    for key in arrays:
        parts = key.split(SEPARATOR)
        if parts[0] == prefix and len(parts) == 3:
            params.setdefault(parts[1], {})[parts[2]] = np.asarray(arrays[key])
    return params


def normalizer_to_arrays(normalizer: Normalizer, prefix: str = "normalizer") -> dict:
    arrays = {}
    for stream in STREAMS:
        stats = getattr(normalizer, stream)
        for field in RunningStats._fields:
            arrays[SEPARATOR.join((prefix, stream, field))] = np.asarray(
                getattr(stats, field), dtype=np.float64)
    return arrays


def normalizer_from_arrays(arrays, prefix: str = "normalizer") -> Normalizer:
    streams = {}
    for stream in STREAMS:
        streams[stream] = RunningStats(**{
            field: np.asarray(arrays[SEPARATOR.join((prefix, stream, field))], np.float64)
            for field in RunningStats._fields})
    return Normalizer(**streams)


def write_npz(path, arrays: dict, metadata: dict) -> None:
    """Write named arrays and a JSON metadata string atomically to ``path``."""
    payload = dict(arrays)
    payload["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **payload)


def read_npz(path) -> tuple[dict, dict]:
    """(arrays, metadata) of a file written by :func:`write_npz`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files if key != "metadata"}
            metadata = json.loads(str(data["metadata"]))
    except FileNotFoundError as error:
        raise ModelFileError(f"model file {path} does not exist; train the model first") \
            from error
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{path} is not a readable ogn model/checkpoint file ({error}); "
                             "it may be truncated: delete it and retrain") from error
    return arrays, metadata


def save_model(path, params, normalizer: Normalizer, metadata: dict) -> None:
    """Write a trained model (``metadata`` must hold the keys listed in the module docstring)."""
    required = ("network", "species_names", "n_species", "graph_cutoff", "k")
    missing = [key for key in required if key not in metadata]
    if missing:
        raise ValueError(f"model metadata lacks {', '.join(missing)}")
    arrays = {**params_to_arrays(params), **normalizer_to_arrays(normalizer)}
    write_npz(path, arrays, {"format_version": FORMAT_VERSION, **metadata})


def load_model(path) -> SavedModel:
    arrays, metadata = read_npz(path)
    if "network" not in metadata or "format_version" not in metadata:
        raise ModelFileError(f"{path} is not an ogn model file (its metadata holds "
                             f"{sorted(metadata)}); a training checkpoint is not a model")
    if metadata["format_version"] != FORMAT_VERSION:
        raise ModelFileError(f"{path} is in model-file format {metadata['format_version']}; "
                             f"this ogn reads format {FORMAT_VERSION}: retrain the model "
                             "with this version (snakemake ... models) or run it with the "
                             "ogn version that wrote it")
    return SavedModel(params=params_from_arrays(arrays),
                      normalizer=normalizer_from_arrays(arrays), metadata=metadata)


def check_compatible(metadata: dict, *, n_species: int | None = None,
                     species_names=None, graph_cutoff: float | None = None,
                     k: int | None = None, dt: float | None = None, units: str | None = None,
                     potential: dict | None = None, source: str = "the model") -> None:
    """Raise :class:`IncompatibleModelError` naming every mismatch with the intended use
    (``potential``: the ``systems.<name>.potential`` block, compared with the one the model
    file records, if it records one)."""
    problems = []
    if n_species is not None and int(metadata["n_species"]) != int(n_species):
        problems.append(f"it was trained on {metadata['n_species']} species "
                        f"({', '.join(metadata['species_names'])}), the data has {n_species}")
    if species_names is not None and list(species_names) != list(metadata["species_names"]):
        problems.append(f"its species are {metadata['species_names']}, the data's are "
                        f"{list(species_names)}")
    if graph_cutoff is not None and not np.isclose(float(metadata["graph_cutoff"]),
                                                   float(graph_cutoff), rtol=1e-9, atol=0):
        problems.append(f"its graph cutoff is {metadata['graph_cutoff']}, asked for "
                        f"{graph_cutoff}")
    if k is not None and int(metadata["k"]) != int(k):
        problems.append(f"it predicts k = {metadata['k']} MD steps ahead, asked for k = {k}")
    recorded_dt = metadata.get("dt")
    if dt is not None and recorded_dt is not None and not np.isclose(
            float(recorded_dt), float(dt), rtol=1e-9, atol=0):
        problems.append(f"it was trained on MD with dt = {recorded_dt}, asked for dt = {dt} "
                        "(retrain it on pairs made at this dt)")
    if units is not None and metadata.get("units") and metadata["units"] != units:
        problems.append(f"it was trained in {metadata['units']} units, asked for {units}")
    recorded = (metadata.get("system_config") or {}).get("potential")
    if potential is not None and recorded is not None and \
            json.loads(json.dumps(potential)) != recorded:
        changed = sorted(key for key in set(recorded) | set(potential)
                         if json.loads(json.dumps(potential.get(key))) != recorded.get(key))
        problems.append(f"it was trained under another potential (differs in "
                        f"{', '.join(changed)}); retrain it on MD of this potential")
    if problems:
        raise IncompatibleModelError(f"{source} cannot be used here: " + "; ".join(problems))


def load_compatible_model(path, **expected) -> SavedModel:
    """:func:`load_model` then :func:`check_compatible` with ``expected`` (keyword arguments)."""
    saved = load_model(path)
    check_compatible(saved.metadata, source=f"model {path}", **expected)
    return saved
