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

so the work is O(N M) rather than O(N M^2) on an (N, M) neighbor list. Forces are explicit
(derivatives of these sums; the reaction on neighbor j is one segment sum over the list).
``exp(sigma / (r - r_c))`` is evaluated at a safe distance for pairs outside
the cutoff and padding, so those contribute exactly zero with finite gradients.
"""

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ogn.md.potentials.base import Potential, neighbor_displacement_components

PARAMETER_NAMES = ("epsilon", "sigma", "A", "B", "p", "q", "a", "lambda", "gamma")


def sw_parameter_text(parameters: dict, element: str = "Si") -> str:
    """A LAMMPS ``.sw`` file (one entry, metal units) holding these parameters exactly."""
    p = parameters
    values = [p["epsilon"], p["sigma"], p["a"], p["lambda"], p["gamma"], p["cos_theta0"],
              p["A"], p["B"], p["p"], p["q"], 0.0]
    numbers = " ".join(repr(float(v)) for v in values)
    # the text names the file (its sha256), and trajectories record that name: the header
    # stays as first written, so that the same parameters keep giving the same files
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


def sw_constants(parameters: dict):
    """(eps, sigma, A, B, p, q, lambda, gamma, cos_theta0, cutoff) of the parameters, with
    integral powers (the usual p = 4, q = 0) as integers: much cheaper than pow()."""
    power_p, power_q = (int(x) if float(x).is_integer() else x
                        for x in (parameters["p"], parameters["q"]))
    return (parameters["epsilon"], parameters["sigma"], parameters["A"], parameters["B"],
            power_p, power_q, parameters["lambda"], parameters["gamma"],
            parameters["cos_theta0"], parameters["cutoff"])


def sw_pair_terms(parameters: dict, box) -> Callable:
    """``pair_terms(position, neighbor_idx)``: per list entry, whether it is within the
    cutoff, r, 1/(r - a sigma), sigma/r, the radial factor, the two-body energy, g(r) and the
    unit vector (3 x (N, M))."""
    eps, sigma, big_a, big_b, power_p, power_q, _, gamma, _, cutoff = sw_constants(parameters)
    box = jnp.asarray(box)

    def pair_terms(position, neighbor_idx):
        d, r, mask = neighbor_displacement_components(position, neighbor_idx,
                                                      box.astype(position.dtype))
        within = mask & (r < cutoff)
        r_safe = jnp.where(within, r, 0.5 * cutoff)
        inverse_gap = 1.0 / (r_safe - cutoff)  # negative inside the cutoff
        s_over_r = sigma / r_safe
        radial = jnp.exp(sigma * inverse_gap)
        two_body = jnp.where(
            within, big_a * eps * (big_b * s_over_r ** power_p - s_over_r ** power_q) * radial, 0.0)
        g = jnp.where(within, jnp.exp(gamma * sigma * inverse_gap), 0.0)  # (N, M)
        u = tuple(component / r_safe for component in d)  # 3 x (N, M)
        return within, r_safe, inverse_gap, s_over_r, radial, two_body, g, u

    return pair_terms


def three_body_sums(g, u, c0: float, half_lambda_eps: float):
    """Per atom: T (xx, yy, zz, xy, xz, yz), v (x, y, z), s, and the three-body energy."""
    ux, uy, uz = u
    gx, gy, gz = g * ux, g * uy, g * uz
    tensor = tuple(jnp.sum(a * b, axis=1)
                   for a, b in ((gx, ux), (gy, uy), (gz, uz), (gx, uy), (gx, uz), (gy, uz)))
    vector = tuple(jnp.sum(a, axis=1) for a in (gx, gy, gz))
    total = jnp.sum(g, axis=1)
    txx, tyy, tzz, txy, txz, tyz = tensor
    vx, vy, vz = vector
    all_pairs = (txx * txx + tyy * tyy + tzz * tzz + 2.0 * (txy * txy + txz * txz + tyz * tyz)
                 - 2.0 * c0 * (vx * vx + vy * vy + vz * vz) + c0 * c0 * total * total)
    diagonal = (1.0 - c0) ** 2 * jnp.sum(g * g, axis=1)
    return tensor, vector, total, half_lambda_eps * jnp.sum(all_pairs - diagonal)


def stillinger_weber_functions(parameters: dict, box):
    """``(energy, energy_and_forces)`` of ``(position, neighbor_idx)``: eV and eV/A.

    Forces are explicit: the two-body part and atom i's own share of its three-body term are
    row sums; the share of neighbor j is added with one segment sum over the list.
    """
    eps, sigma, big_a, big_b, power_p, power_q, lam, gamma, c0, _ = sw_constants(parameters)
    half_lambda_eps = 0.5 * lam * eps
    pair_terms = sw_pair_terms(parameters, box)

    def energy(position, neighbor_idx):
        *_, two_body, g, u = pair_terms(position, neighbor_idx)
        return 0.5 * jnp.sum(two_body) + three_body_sums(g, u, c0, half_lambda_eps)[3]

    def energy_and_forces(position, neighbor_idx):
        within, r, inverse_gap, s_over_r, radial, two_body, g, u = pair_terms(position,
                                                                               neighbor_idx)
        tensor, vector, total, three_body = three_body_sums(g, u, c0, half_lambda_eps)
        # two-body: F_i = sum_j phi'(r_ij) u_ij
        repulsive = big_a * eps * big_b * s_over_r ** power_p
        attractive = big_a * eps * s_over_r ** power_q
        two_body_slope = jnp.where(within, radial * (
            (-power_p * repulsive + power_q * attractive) / r
            - sigma * inverse_gap ** 2 * (repulsive - attractive)), 0.0)
        # three-body energy of atom i: derivatives by g_j and by u_j (j in row i)
        ux, uy, uz = u
        txx, tyy, tzz, txy, txz, tyz = (c[:, None] for c in tensor)
        vx, vy, vz = (c[:, None] for c in vector)
        tu = (txx * ux + txy * uy + txz * uz,
              txy * ux + tyy * uy + tyz * uz,
              txz * ux + tyz * uy + tzz * uz)
        de_dg = 2.0 * half_lambda_eps * (
            ux * tu[0] + uy * tu[1] + uz * tu[2] - 2.0 * c0 * (vx * ux + vy * uy + vz * uz)
            + c0 * c0 * total[:, None] - (1.0 - c0) ** 2 * g)
        dg_dr = -gamma * sigma * inverse_gap ** 2 * g
        de_du = tuple(4.0 * half_lambda_eps * g * (tu_a - c0 * v_a)
                      for tu_a, v_a in zip(tu, (vx, vy, vz), strict=True))
        along_u = de_dg * dg_dr - (ux * de_du[0] + uy * de_du[1] + uz * de_du[2]) / r
        n_atoms = position.shape[0]
        segments = neighbor_idx.reshape(-1)
        forces = []
        for u_a, de_du_a in zip(u, de_du, strict=True):
            # G_ij = dE3_i/d(r_j - r_i) pushes i by +G_ij and j by -G_ij
            g_pair = along_u * u_a + de_du_a / r
            own = jnp.sum(two_body_slope * u_a + g_pair, axis=1)
            reaction = jax.ops.segment_sum(g_pair.reshape(-1), segments,
                                           num_segments=n_atoms + 1)[:n_atoms]
            forces.append(own - reaction)
        return 0.5 * jnp.sum(two_body) + three_body, jnp.stack(forces, axis=-1)

    return energy, energy_and_forces


def stillinger_weber_potential(params: dict, box, species) -> Potential:
    """SW potential for a config block (keys epsilon [eV], sigma [A], A, B, p, q, a, lambda,
    gamma; optional cos_theta0, default -1/3). ``species`` is accepted for the common
    interface; every atom is treated as the same element."""
    parameters = stillinger_weber_parameters(params)
    energy, energy_and_forces = stillinger_weber_functions(parameters, box)
    species = np.asarray(species)
    n_types = int(species.max()) + 1 if species.size else 1
    parameter_file = write_sw_parameter_file(sw_parameter_text(parameters))
    commands = ("pair_style sw", f"pair_coeff * * {parameter_file} " + " ".join(["Si"] * n_types))
    return Potential(
        name="stillinger_weber",
        cutoff=parameters["cutoff"],
        energy=energy,
        energy_and_forces=energy_and_forces,
        lammps_commands=commands,
        lammps_units="metal",
        parameters={**parameters, "lammps_parameter_file": str(parameter_file)},
    )
