"""Stillinger-Weber silicon (Stillinger & Weber 1985), in LAMMPS ``pair_style sw`` form.

Energy (eV) with r_c = a * sigma, both sums over pairs with r < r_c:

    E = sum_{i<j} A eps [B (sigma/r_ij)^p - (sigma/r_ij)^q] exp(sigma / (r_ij - r_c))
      + sum_i sum_{j<k} lambda eps (cos theta_jik - cos theta_0)^2
                        exp(gamma sigma / (r_ij - r_c)) exp(gamma sigma / (r_ik - r_c))

with j, k neighbors of i and cos theta_0 = -1/3 by default. All species share one parameter
set (the model is single-element). Cost: the three-body sum over neighbor pairs of atom i is
regrouped, exactly, into sums over single neighbors. With g_j = exp(gamma sigma/(r_ij - r_c))
and unit vectors u_j (i -> j),

    sum_{j != k} g_j g_k (u_j.u_k - c0)^2 = |T|^2 - 2 c0 |v|^2 + c0^2 s^2 - (1 - c0)^2 sum_j g_j^2,
    T = sum_j g_j u_j u_j^T,   v = sum_j g_j u_j,   s = sum_j g_j,

so the work is O(N M) rather than O(N M^2) on an (N, M) neighbor list. Forces by automatic
differentiation. ``exp(sigma / (r - r_c))`` is evaluated at a safe distance for pairs outside
the cutoff and padding, so those contribute exactly zero with finite gradients.
"""

import hashlib
import os
import tempfile
from pathlib import Path

import jax.numpy as jnp

from .base import Potential, forces_from_energy, neighbor_displacements

PARAMETER_NAMES = ("epsilon", "sigma", "A", "B", "p", "q", "a", "lambda", "gamma")


def sw_parameter_text(parameters: dict, element: str = "Si") -> str:
    """A LAMMPS ``.sw`` file (one entry, metal units) holding these parameters exactly."""
    p = parameters
    values = [p["epsilon"], p["sigma"], p["a"], p["lambda"], p["gamma"], p["cos_theta0"],
              p["A"], p["B"], p["p"], p["q"], 0.0]
    numbers = " ".join(repr(float(v)) for v in values)
    return ("# Stillinger-Weber parameters written by ogn.potentials.sw (metal units)\n"
            "# element1 element2 element3 epsilon sigma a lambda gamma costheta0 A B p q tol\n"
            f"{element} {element} {element} {numbers}\n")


def write_sw_parameter_file(text: str, folder=None) -> Path:
    """Write ``text`` to a content-named ``.sw`` file (default: the system temp folder).

    The name is the text's sha256, so the same parameters always give the same absolute
    path; the write is atomic (safe when several processes build the same potential).
    """
    folder = Path(folder) if folder is not None else Path(tempfile.gettempdir()) / "ogn-potentials"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sw-{hashlib.sha256(text.encode()).hexdigest()[:16]}.sw"
    if not path.is_file() or path.read_text() != text:
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    return path.resolve()


def stillinger_weber_parameters(params: dict) -> dict:
    """The model's numbers (floats) from a config block; ValueError names a missing key."""
    missing = [name for name in PARAMETER_NAMES if name not in params]
    if missing:
        raise ValueError(f"systems.<system>.potential (stillinger_weber) lacks {missing}")
    parameters = {name: float(params[name]) for name in PARAMETER_NAMES}
    parameters["cos_theta0"] = float(params.get("cos_theta0", -1.0 / 3.0))
    parameters["cutoff"] = parameters["a"] * parameters["sigma"]
    return parameters


def stillinger_weber_energy_fn(parameters: dict, box):
    """Total SW energy (eV) of ``(position, neighbor_idx)``; parameters as returned above."""
    eps, sigma = parameters["epsilon"], parameters["sigma"]
    big_a, big_b = parameters["A"], parameters["B"]
    power_p, power_q = parameters["p"], parameters["q"]
    lam, gamma, c0 = parameters["lambda"], parameters["gamma"], parameters["cos_theta0"]
    cutoff = parameters["cutoff"]
    box = jnp.asarray(box)

    def energy(position, neighbor_idx):
        d, r, mask = neighbor_displacements(position, neighbor_idx, box.astype(position.dtype))
        within = mask & (r < cutoff)
        r_safe = jnp.where(within, r, 0.5 * cutoff)
        inverse_gap = 1.0 / (r_safe - cutoff)  # negative inside the cutoff
        s_over_r = sigma / r_safe
        two_body = (big_a * eps * (big_b * s_over_r ** power_p - s_over_r ** power_q)
                    * jnp.exp(sigma * inverse_gap))
        two_body = 0.5 * jnp.sum(jnp.where(within, two_body, 0.0))

        g = jnp.where(within, jnp.exp(gamma * sigma * inverse_gap), 0.0)  # (N, M)
        u = d / r_safe[..., None]
        tensor = jnp.einsum("nm,nma,nmb->nab", g, u, u)
        vector = jnp.einsum("nm,nma->na", g, u)
        total = jnp.sum(g, axis=1)
        all_pairs = (jnp.sum(tensor * tensor, axis=(1, 2))
                     - 2.0 * c0 * jnp.sum(vector * vector, axis=1)
                     + c0 * c0 * total * total)
        diagonal = (1.0 - c0) ** 2 * jnp.sum(g * g, axis=1)
        three_body = 0.5 * lam * eps * jnp.sum(all_pairs - diagonal)
        return two_body + three_body

    return energy


def stillinger_weber_potential(params: dict, box, species) -> Potential:
    """SW potential for a config block (keys epsilon [eV], sigma [A], A, B, p, q, a, lambda,
    gamma; optional cos_theta0, default -1/3). ``species`` is accepted for the common
    interface; every atom is treated as the same element."""
    parameters = stillinger_weber_parameters(params)
    energy = stillinger_weber_energy_fn(parameters, box)
    n_types = int(jnp.max(jnp.asarray(species))) + 1 if len(species) else 1
    parameter_file = write_sw_parameter_file(sw_parameter_text(parameters))
    commands = ("pair_style sw", f"pair_coeff * * {parameter_file} " + " ".join(["Si"] * n_types))
    return Potential(
        name="stillinger_weber",
        cutoff=parameters["cutoff"],
        energy=energy,
        energy_and_forces=forces_from_energy(energy),
        lammps_commands=commands,
        lammps_units="metal",
        parameters={**parameters, "lammps_parameter_file": str(parameter_file)},
    )
