"""Shared test setup: float64 everywhere, the repository's config, small helpers."""

from pathlib import Path

import pytest
import yaml

from ogn.md.precision import enable_float64

enable_float64()

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def paper_config():
    with open(REPO / "config" / "config.yaml") as handle:
        return yaml.safe_load(handle)
