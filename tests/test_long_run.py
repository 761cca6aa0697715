"""The long rollout's statistics over several start frames (ESI S4)."""
import numpy as np
import pandas as pd
import pytest

from ogn.evaluate.long_run import (
    long_origin_count,
    long_rollout_judgement,
    mean_and_error,
    origin_frames,
    origin_starts,
    perturbed_velocity,
)


def test_origin_frames_spread_from_first_to_last():
    assert origin_frames(1001, 4) == [0, 333, 667, 1000]
    assert origin_frames(1001, 1) == [0]
    assert origin_frames(3, 10) == [0, 1, 2]  # never more starts than frames
    with pytest.raises(ValueError, match="long_origins"):
        origin_frames(10, 0)


def test_origin_starts_share_the_frames_out_over_the_trajectories():
    # 12 starts over two trajectories of 1001 frames: 6 each, first to last frame
    starts = origin_starts([1001, 1001], 12)
    assert [frame for index, frame in starts if index == 0] == origin_frames(1001, 6)
    assert [frame for index, frame in starts if index == 1] == origin_frames(1001, 6)
    # an odd count: the first trajectory takes the extra one
    assert origin_starts([1001, 1001], 3) == [(0, 0), (0, 1000), (1, 0)]
    # fewer starts than trajectories: the last ones give none
    assert origin_starts([11, 11, 11], 2) == [(0, 0), (1, 0)]
    assert origin_starts([1001], 4) == [(0, frame) for frame in origin_frames(1001, 4)]
    with pytest.raises(ValueError, match="at least 1"):
        origin_starts([10], 0)
    with pytest.raises(ValueError, match="test trajectory"):
        origin_starts([], 3)


def test_a_system_may_take_its_own_number_of_start_frames():
    settings = {"long_origins": 6, "long_origins_per_system": {"lj_glass": 30}}
    assert long_origin_count(settings, "lj_glass") == 30
    assert long_origin_count(settings, "lj") == 6
    assert long_origin_count({"long_origins": 4}, "lj_glass") == 4


def test_perturbed_velocity_is_small_seeded_and_off_at_zero():
    velocity = np.random.default_rng(3).standard_normal((50, 3))
    a = perturbed_velocity(velocity, 1e-6, seed=(7, 100))
    relative = (a - velocity) / velocity
    # a standard normal times 1e-6, component-wise (measured: std 0.976e-6, mean 4e-8)
    assert 0.8e-6 < np.std(relative) < 1.2e-6 and abs(np.mean(relative)) < 0.3e-6
    np.testing.assert_array_equal(a, perturbed_velocity(velocity, 1e-6, seed=(7, 100)))
    assert not np.array_equal(a, perturbed_velocity(velocity, 1e-6, seed=(7, 101)))
    np.testing.assert_array_equal(perturbed_velocity(velocity, 0.0, seed=(7, 100)), velocity)


def test_mean_and_error_is_the_standard_error_and_keeps_a_stop():
    rows = np.array([[1.0, 2.0, 4.0], [3.0, 2.0, np.nan]])
    mean, error = mean_and_error(rows)
    np.testing.assert_allclose(mean[:2], [2.0, 2.0])
    np.testing.assert_allclose(error[:2], [1.0, 0.0])  # std (ddof 1) sqrt(2) / sqrt(2)
    assert np.isnan(mean[2]) and np.isnan(error[2])  # a run that stopped leaves no mean
    one_mean, one_error = mean_and_error(rows[:1])
    assert np.all(np.isnan(one_error)) and one_mean[0] == 1.0


def test_judgement_ratio_and_its_error():
    series = pd.DataFrame({"msd_md": [0.0, 4.0], "msd_model": [0.0, 5.0],
                           "msd_md_error": [0.0, 0.4], "msd_model_error": [0.0, 0.5],
                           "start_frames": [4, 4]})
    structure = pd.DataFrame({"g_md": [0.0, 2.5, 1.0], "g_model": [0.0, 2.4, 1.1]})
    judged = long_rollout_judgement(series, structure)
    assert judged["msd_ratio"] == pytest.approx(1.25)
    # relative errors 0.1 and 0.1 add in quadrature
    assert judged["msd_ratio_error"] == pytest.approx(1.25 * np.sqrt(0.02))
    assert judged["g_peak_ratio"] == pytest.approx(2.4 / 2.5)
    assert judged["start_frames"] == 4


def test_panel_letters_go_past_z():
    from ogn.report.rollout_figures import panel_letters

    letters = panel_letters(28)
    assert letters[0] == "A" and letters[19] == "T" and letters[26:] == ["AA", "AB"]


def test_long_rollout_figure_draws_every_system_with_its_ratio():
    """Five systems, four panels each (20 letters), the MSD ratio and its error in the title."""
    import matplotlib

    matplotlib.use("Agg")
    from ogn.report.rollout_figures import long_rollout_figure

    t = np.arange(0, 11, dtype=float)
    series = pd.DataFrame({
        "md_step": t * 10, "time": t, "msd_md": t, "msd_model": 1.1 * t,
        "msd_md_error": 0.05 * t, "msd_model_error": 0.05 * t,
        "total_energy_md": np.ones_like(t), "total_energy_model": np.ones_like(t),
        "kinetic_energy_md": np.ones_like(t), "fs_md": np.exp(-t), "fs_model": np.exp(-t),
        "start_frames": 8, "model_status": "ok"})
    r = np.linspace(0.05, 3.0, 30)
    structure = pd.DataFrame({"r": r, "g_md": 1 + np.exp(-(r - 1) ** 2 / 0.01),
                              "g_model": 1 + np.exp(-(r - 1) ** 2 / 0.01), "q_peak": 7.0,
                              "model_stop_reason": "", "model_stopped_at_md_step": -1,
                              "training_steps": 100, "step_family": "learned pair force"})
    systems = ["lj", "lj_glass", "sio2", "si", "cuzr"]
    fig = long_rollout_figure(systems, [series] * 5, [structure] * 5, "quick")
    titles = [ax.get_title() for ax in fig.axes]
    assert sum("1.10 +- 0.07" in title for title in titles) == 5
    assert len(fig.axes) == 20


def test_earliest_stop_is_the_first_model_run_to_stop():
    from types import SimpleNamespace

    from ogn.evaluate.long_run import earliest_stop

    def run(stopped_at, reason):
        return (0, SimpleNamespace(stopped_at=stopped_at, stop_reason=reason), None)

    assert earliest_stop([run(None, None), run(None, "")]) is None
    first = earliest_stop([run(90, "energy_jump"), run(None, None), run(40, "close_pair")])
    assert (first.stopped_at, first.stop_reason) == (40, "close_pair")
