"""A trained learned simulator used outside the workflow: starting configurations from
H5MD, extended XYZ or LAMMPS data files, rollouts in NVE or with a stochastic
velocity-rescaling thermostat, optional energy-conserving velocity rescaling, and
trajectories that OVITO, VMD, MDAnalysis, ASE and LAMMPS open (``ogn simulate``)."""
