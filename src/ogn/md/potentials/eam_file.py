"""Reading a LAMMPS ``.eam.fs`` (setfl/FS) file, with messages that name the line.

File layout: 3 comment lines; ``Nelements name1 name2 ...``; ``Nrho drho Nr dr cutoff``; then
per element a line ``Z mass a0 lattice`` followed by F(rho) (Nrho values) and, for each element
J = 1..Nelements in turn, a density table (Nr values); then ``r * phi_IJ(r)`` (Nr values) for
I >= J (I = 1..N, J = 1..I). Numbers may be spread over lines freely.
"""

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ogn.md.potential_files import CONFIG_KEY, WHERE_TO_GET


class EamFsTables(NamedTuple):
    """The raw contents of a ``.eam.fs`` file (eV, A; grids start at 0)."""

    elements: tuple[str, ...]
    atomic_numbers: tuple[int, ...]
    masses: tuple[float, ...]  # amu
    n_rho: int
    d_rho: float
    n_r: int
    d_r: float  # A
    cutoff: float  # A
    embedding: np.ndarray  # (Nel, Nrho) F_I(rho) in eV
    density: np.ndarray  # (Nel, Nel, Nr) as listed: [I, J] = J-th table in element I's block
    r_phi: np.ndarray  # (Nel, Nel, Nr) r * phi_IJ(r) in eV A, symmetric


class _LineReader:
    """Reads a whitespace-separated numeric file line by line, with line-aware errors."""

    def __init__(self, lines, path, key):
        self.lines = lines
        self.position = 0
        self.path = path
        self.key = key

    def fail(self, problem: str):
        raise ValueError(
            f"{self.key}: {self.path} is not a valid .eam.fs file: {problem} "
            f"(near line {self.position}). {WHERE_TO_GET}"
        )

    def next_tokens(self, what: str) -> list[str]:
        while self.position < len(self.lines):
            tokens = self.lines[self.position].split()
            self.position += 1
            if tokens:
                return tokens
        self.fail(f"the file ends before {what}")

    def floats(self, count: int, what: str) -> np.ndarray:
        values: list[float] = []
        while len(values) < count:
            tokens = self.next_tokens(f"{what} is complete ({len(values)} of {count} values)")
            if len(values) + len(tokens) > count:
                self.fail(f"{what} has more than {count} values on its last line")
            try:
                values.extend(float(token) for token in tokens)
            except ValueError:
                self.fail(f"non-numeric value in {what}: {' '.join(tokens)[:80]!r}")
        return np.asarray(values, dtype=np.float64)


def read_eam_fs(path, key: str = CONFIG_KEY) -> EamFsTables:
    """Parse a LAMMPS ``.eam.fs`` file; ValueError (naming ``key`` and path) if malformed."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{key}: cannot read {path} ({error}). {WHERE_TO_GET}") from error
    reader = _LineReader(text.splitlines(), path, key)
    if len(reader.lines) < 5:
        reader.fail("fewer than 5 lines (3 comments, element line, grid line)")
    reader.position = 3
    header = reader.next_tokens("the element line")
    try:
        n_elements = int(header[0])
    except ValueError:
        reader.fail(f"line 4 should start with the number of elements, got {header[0]!r}")
    elements = tuple(header[1:])
    if n_elements < 1 or len(elements) != n_elements:
        reader.fail(f"line 4 announces {header[0]} elements but names {list(elements)}")
    grid = reader.next_tokens("the grid line")
    try:
        n_rho, d_rho, n_r, d_r, cutoff = int(grid[0]), float(grid[1]), int(grid[2]), \
            float(grid[3]), float(grid[4])
    except (ValueError, IndexError):
        reader.fail(f"line 5 should be 'Nrho drho Nr dr cutoff', got {' '.join(grid)!r}")
    if min(n_rho, n_r) < 5 or d_rho <= 0 or d_r <= 0 or cutoff <= 0:
        reader.fail(f"bad grid Nrho={n_rho} drho={d_rho} Nr={n_r} dr={d_r} cutoff={cutoff}")

    remaining = sum(len(line.split()) for line in reader.lines[reader.position:])
    pairs = n_elements * (n_elements + 1) // 2
    setfl = n_elements * (4 + n_rho + n_r) + pairs * n_r
    if n_elements > 1 and remaining == setfl:
        raise ValueError(
            f"{key}: {path} is a setfl (.eam.alloy) file: it holds one density table per "
            f"element, where an .eam.fs file holds one per pair of elements ({n_elements} x "
            f"{n_elements}). Give the potential as an .eam.fs file (Finnis-Sinclair form, the "
            f"element's density listed for every partner). {WHERE_TO_GET}")
    atomic_numbers, masses = [], []
    embedding = np.empty((n_elements, n_rho))
    density = np.empty((n_elements, n_elements, n_r))
    for i, name in enumerate(elements):
        line = reader.next_tokens(f"the header line of element {name}")
        try:
            atomic_numbers.append(int(line[0]))
            masses.append(float(line[1]))
        except (ValueError, IndexError):
            reader.fail(f"element {name}: header line should be 'Z mass a0 lattice', "
                        f"got {' '.join(line)[:80]!r}")
        embedding[i] = reader.floats(n_rho, f"F(rho) of {name}")
        for j, other in enumerate(elements):
            density[i, j] = reader.floats(n_r, f"density table {name}/{other}")
    r_phi = np.empty((n_elements, n_elements, n_r))
    for i in range(n_elements):
        for j in range(i + 1):
            r_phi[i, j] = reader.floats(n_r, f"r*phi of {elements[i]}-{elements[j]}")
            r_phi[j, i] = r_phi[i, j]
    return EamFsTables(elements, tuple(atomic_numbers), tuple(masses), n_rho, d_rho, n_r, d_r,
                       cutoff, embedding, density, r_phi)
