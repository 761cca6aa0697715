"""The network's two value types: the padded graph it reads and the static shape of the
network (the model file records the latter). Imports no numerical stack: the workflow reads
``model.options`` through :mod:`ogn.net.options` while it plans."""

from typing import Any, NamedTuple

Array = Any  # a jax or numpy array

LEARNED_FORCE_DECODERS = ("pair_force", "energy")  # a force integrated in substeps
EQUIVARIANT_DECODERS = ("vector", *LEARNED_FORCE_DECODERS)  # invariant inputs, masses needed


class Graph(NamedTuple):
    """A padded directed graph (a pytree; fixed shapes for jit).

    ``nodes`` (N, node_features) and ``edges`` (E, edge_features) are the (standardized)
    inputs; ``senders`` and ``receivers`` (E,) int32 give edge k as senders[k] -> receivers[k],
    padded with N.
    """

    nodes: Array
    edges: Array
    senders: Array
    receivers: Array
    # vector decoder only (None otherwise): unit edge vectors (E, 3), node velocities in units
    # of their standard deviation (N, 3), mean mass / mass per node (N,); the pair-force
    # decoder reads velocity (in the data's units) and inverse_mass too
    unit_vectors: Array | None = None
    velocity: Array | None = None
    inverse_mass: Array | None = None
    # pair-force decoder only: force units per velocity-change scale over the stride (scalar)
    force_scale: Array | None = None


class NetworkConfig(NamedTuple):
    """Shape of the network (all static: changing one means a new network).

    The defaults are the paper's OGN. Options (``model.options`` with
    ``model.architecture: extended``; see :func:`network_config`):

    * ``radial_basis`` n > 0: edge inputs gain |r|/rc and n Gaussians of |r|/rc times a
      smooth cosine envelope that vanishes at ``radial_cutoff``: the graph cutoff, or for the
      learned-force decoders the end of the learned force (``model.options.force_cutoff``,
      at most the graph cutoff; their tables span [0, radial_cutoff]);
    * ``aggregation`` ``"mean"``: the sums over outgoing and incoming edges are divided by the
      graph's mean number of edges per atom;
    * ``decoder`` ``"vector"``: :func:`vector_decoder` (equivariant, momentum-conserving);
      the inputs are then rotation invariants only (see :mod:`ogn.net.simulator`);
    * ``relative_velocity_vectors`` (vector decoder only): each pair also pushes along its
      relative velocity v_j - v_i, the direction a pair turns in over a stride of k steps;
    * ``decoder`` ``"pair_force"``: :func:`pair_force_increments`, a learned central pair force
      integrated over the stride (``stride_time``) in ``substeps`` velocity-Verlet steps. It
      reads the radial basis and the species of each pair, not the message-passing layers;
    * ``decoder`` ``"energy"``: :func:`ogn.net.energy.energy_increments`, a learned energy of
      pair and three-body terms (``three_body_channels`` radial channels within
      ``three_body_cutoff``, powers of cos(theta) up to ``three_body_order``, moments
      normalised by ``three_body_neighbours``, the training data's mean number of neighbours
      within that cutoff) whose gradient is integrated like the pair force. Its pair term is
      an energy (``pair_term = "energy"``) or a learned central force (``"force"``), and its
      angular terms read a sub-list of the edges, ``three_body_edge_fraction`` of the graph's
      slots (1: the graph's own list);
    * ``core_radii`` (learned-force decoders; ``model.options.repulsive_core``): per species
      pair, the radius below which the fixed repulsion of :mod:`ogn.net.core` acts;
    * ``embedding`` (pair-force decoder; ``model.options.embedding``): the learned
      embedded-atom energy of :mod:`ogn.net.embedding` adds its many-body force, its
      densities standardised by ``embedding_density`` (mean, standard deviation).
    """

    n_layers: int
    latent_size: int = 64
    hidden_size: int = 64
    mlp_hidden_layers: int = 1
    output_size: int = 6
    split_edge_projection: bool = True
    radial_basis: int = 0
    radial_cutoff: float = 0.0
    aggregation: str = "sum"
    decoder: str = "node"
    species_masses: tuple = ()  # per species (vector decoder: dv_i carries 1 / m_i)
    relative_velocity_vectors: bool = False
    stride_time: float = 0.0  # pair-force decoder: k dt, in the data's time unit
    substeps: int = 0  # learned-force decoders: velocity-Verlet steps per stride
    three_body_cutoff: float = 0.0  # energy decoder: the angular terms' cutoff (length unit)
    three_body_channels: int = 0  # energy decoder: radial channels of the angular terms
    three_body_order: int = 0  # energy decoder: highest power of cos(theta)
    three_body_neighbours: float = 1.0  # energy decoder: moments divided by this
    # energy decoder: the pair term as an energy (model files written before the option) or
    # a force; the three-body edge list's share of the graph's edge slots
    pair_term: str = "energy"
    three_body_edge_fraction: float = 1.0
    # learned-force decoders: the learned functions of distance as tables of this many points
    # (ogn.net.tables; 0: the MLPs)
    tabulated: int = 0
    # tables being learned (model.options.learned_tables): each sample's slope is the central
    # difference of the values around it, so that only values are trained (a free slope
    # lets the function wiggle between samples); False in a written model file, whose tables
    # hold those slopes
    table_slopes_from_values: bool = False
    core_radii: tuple = ()  # learned-force decoders: (S, S) repulsive-core radii, length unit
    # pair-force decoder: the learned embedded-atom term (ogn.net.embedding), its densities
    # standardised by the mean and standard deviation of the training data's smooth
    # neighbour counts within the force cutoff
    embedding: bool = False
    embedding_density: tuple = (0.0, 1.0)
    # the shape the learned density starts from: the envelope times exp(-r / decay) (length
    # unit; 0: the envelope alone)
    embedding_decay: float = 0.0

    @property
    def learned_force(self) -> bool:
        """A learned force (pair force or energy gradient) integrated in substeps (no message
        passing read)."""
        return self.decoder in LEARNED_FORCE_DECODERS

    @property
    def step_family(self) -> str:
        """What one model step is, in a few words (``ogn info``, figure footers)."""
        families = {"node": "direct predictor (node decoder)",
                    "vector": "direct predictor (vector decoder)",
                    "pair_force": "learned pair force",
                    "energy": "learned pair + three-body energy"}
        family = families.get(self.decoder, self.decoder)
        if self.embedding:
            family += " + learned embedding"
        if self.decoder == "energy" and self.pair_term == "force":
            family = "learned pair force + three-body energy"
        if not self.learned_force:
            return family
        tables = f", tabulated on {self.tabulated} points" if self.tabulated else ""
        return f"{family}, {self.substeps} substeps{tables}"

    @property
    def equivariant(self) -> bool:
        """Rotation-invariant inputs and vector outputs (vector, pair-force, energy decoders)."""
        return self.decoder in EQUIVARIANT_DECODERS
