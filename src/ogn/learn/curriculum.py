"""The stride curriculum: train at k = 1, then at the target k from those parameters."""

from collections.abc import Callable
from pathlib import Path

from ogn.data.pairs import Pairs
from ogn.learn.checkpoint import Start, TrainState
from ogn.learn.loop import train
from ogn.net.normalizer import Normalizer, init_stats
from ogn.net.simulator import Simulator


def curriculum_phases(training_config: dict) -> tuple[dict, dict]:
    """Training configs of the stride curriculum's two phases (k = 1, then the target k):
    ``training.curriculum_k1_fraction`` of the budget (``max_minutes`` and ``max_steps``,
    whichever are set; else of ``epochs``) goes to the first phase, the rest to the second."""
    fraction = float(training_config.get("curriculum_k1_fraction") or 0.0)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"training.curriculum_k1_fraction = {fraction}: a curriculum needs a "
                         "fraction strictly between 0 and 1")
    first, second = dict(training_config), dict(training_config)
    for config in (first, second):
        config["curriculum_k1_fraction"] = 0.0
    for key in ("max_minutes", "max_steps"):
        if training_config.get(key):
            first[key] = float(training_config[key]) * fraction
            second[key] = float(training_config[key]) - first[key]
            if key == "max_steps":
                first[key], second[key] = max(1, int(first[key])), max(1, int(second[key]))
    if not training_config.get("max_minutes") and not training_config.get("max_steps"):
        epochs = int(training_config["epochs"])
        first["epochs"] = max(1, round(epochs * fraction))
        second["epochs"] = max(1, epochs - first["epochs"])
    return first, second


def without_target_statistics(normalizer: Normalizer) -> Normalizer:
    """The normalizer with the target statistics forgotten (the targets of another k have
    another scale; the node and edge statistics stay)."""
    return Normalizer(normalizer.nodes, normalizer.edges,
                      init_stats(normalizer.targets.mean.shape[-1]))


def train_with_curriculum(simulator: Simulator, train_pairs: Pairs, test_pairs: Pairs,
                          k1_train: Pairs, k1_test: Pairs, training_config: dict, *,
                          graph_cutoff: float, checkpoint_path, curve_path,
                          log: Callable = print) -> TrainState:
    """The stride curriculum: train at k = 1 (``k1_*`` pairs), then continue at the target k
    from those parameters, with fresh target statistics and a fresh optimizer state. The
    first phase keeps its own checkpoint and curve (``*.k1.*`` beside the given paths), so a
    killed job resumes in whichever phase it was."""
    first, second = curriculum_phases(training_config)
    checkpoint_path, curve_path = Path(checkpoint_path), Path(curve_path)
    k1_checkpoint = checkpoint_path.with_name(checkpoint_path.stem + ".k1.npz")
    k1_curve = curve_path.with_name(curve_path.stem + ".k1.csv")
    log(f"stride curriculum: phase 1 at k = 1 ({_budget_text(first)}), then k = "
        f"{train_pairs.attrs.get('k')} ({_budget_text(second)})")
    phase1 = train(simulator, k1_train, k1_test, first, graph_cutoff=graph_cutoff,
                   checkpoint_path=k1_checkpoint, curve_path=k1_curve, log=log)
    start = Start(phase1.params, without_target_statistics(phase1.normalizer))
    phase2 = train(simulator, train_pairs, test_pairs, second, graph_cutoff=graph_cutoff,
                   checkpoint_path=checkpoint_path, curve_path=curve_path, log=log,
                   start=start)
    return phase2._replace(step=phase1.step + phase2.step,
                           seconds=phase1.seconds + phase2.seconds)


def _budget_text(config: dict) -> str:
    if config.get("max_minutes"):
        return f"{float(config['max_minutes']):.3g} min"
    if config.get("max_steps"):
        return f"{int(config['max_steps'])} steps"
    return f"{config['epochs']} epochs"
