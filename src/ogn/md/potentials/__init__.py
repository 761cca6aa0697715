"""Interatomic potentials, one module each, built from a system's config block.

``make_potential(system_config, box, species)`` dispatches on ``system_config["potential"]["kind"]``
and returns a :class:`ogn.md.potentials.base.Potential`.
"""

from ogn.md.potentials.base import Potential


def make_potential(system_config: dict, box, species) -> Potential:
    """Build the potential of one system (config block ``systems.<name>``) for a box/species."""
    params = system_config["potential"]
    kind = params["kind"]
    if kind == "kob_andersen":
        from ogn.md.potentials.lj import kob_andersen_potential
        return kob_andersen_potential(params, box, species)
    if kind == "bks":
        from ogn.md.potentials.bks import bks_potential
        return bks_potential(params, box, species)
    if kind == "stillinger_weber":
        from ogn.md.potentials.sw import stillinger_weber_potential
        return stillinger_weber_potential(params, box, species)
    if kind == "eam_fs":
        from ogn.md.potentials.eam import eam_fs_potential
        return eam_fs_potential(params, box, species, system_config["species"])
    raise ValueError(
        f"systems.*.potential.kind = {kind!r} is not known; use one of "
        "kob_andersen, bks, stillinger_weber, eam_fs"
    )


__all__ = ["Potential", "make_potential"]
