"""Unit systems and conversions.

Two unit systems are used:

``lj``
    Lennard-Jones reduced units: length sigma_AA, energy epsilon_AA, mass m, k_B = 1, time
    tau = sigma * sqrt(m / epsilon). Time steps in config are in tau and used as is.

``metal``
    Energy eV, length Angstrom, mass amu (g/mol), temperature K, k_B = 8.617333262e-5 eV/K.
    Time steps are given in fs in config. The *internal* time unit in which Newton's equations
    are integrated is ``sqrt(amu * A^2 / eV)`` = 10.180505710774743 fs, so that F/m in eV/A/amu
    gives an acceleration in A per internal-unit^2 with no conversion factor. Velocities in the
    internal representation are A per internal unit; files store them in A/fs.
"""

from dataclasses import dataclass

# CODATA 2018: 1 amu = 1.66053906660e-27 kg, 1 eV = 1.602176634e-19 J.
# sqrt(amu * A^2 / eV) in fs:
METAL_TIME_UNIT_FS = 10.180505710774743
BOLTZMANN_EV_PER_K = 8.617333262e-5


@dataclass(frozen=True)
class UnitSystem:
    """How a system's numbers map to physical units.

    ``time_unit_in_config`` is the unit of dt in config and of time in output files;
    ``config_time_per_internal`` converts one internal time unit into that unit.
    """

    name: str
    length: str
    energy: str
    mass: str
    temperature: str
    time_in_files: str
    velocity_in_files: str
    boltzmann: float
    config_time_per_internal: float

    def dt_internal(self, dt_config: float) -> float:
        """Time step in internal units from the configured one (fs for metal, tau for lj)."""
        return dt_config / self.config_time_per_internal

    def velocity_to_files(self, velocity_internal):
        """Internal velocity (length/internal time) -> file velocity (A/fs or sigma/tau)."""
        return velocity_internal / self.config_time_per_internal

    def velocity_from_files(self, velocity_files):
        return velocity_files * self.config_time_per_internal

    def temperature_to_energy(self, temperature: float) -> float:
        """k_B T in the energy unit."""
        return self.boltzmann * temperature


LJ_UNITS = UnitSystem(name="lj", length="sigma", energy="epsilon", mass="m",
                      temperature="epsilon/k_B", time_in_files="tau",
                      velocity_in_files="sigma/tau", boltzmann=1.0,
                      config_time_per_internal=1.0)
METAL_UNITS = UnitSystem(name="metal", length="angstrom", energy="eV", mass="amu",
                         temperature="K", time_in_files="fs", velocity_in_files="angstrom/fs",
                         boltzmann=BOLTZMANN_EV_PER_K,
                         config_time_per_internal=METAL_TIME_UNIT_FS)
UNIT_SYSTEMS = {units.name: units for units in (LJ_UNITS, METAL_UNITS)}


def unit_system(name: str) -> UnitSystem:
    try:
        return UNIT_SYSTEMS[name]
    except KeyError:
        raise ValueError(f"unknown unit system {name!r}; use one of {sorted(UNIT_SYSTEMS)}") from None
