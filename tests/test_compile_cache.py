"""The compilation cache a rule's script turns on before JAX starts."""

import os
import subprocess
import sys

from ogn.workflow.compile_cache import compilation_cache_environment

SETTINGS = {"dir": "cache", "max_gb": 0.5, "min_compile_seconds": 0.0}


def test_the_config_becomes_jax_environment_variables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    variables = compilation_cache_environment(SETTINGS)
    assert variables["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "cache")
    assert variables["JAX_COMPILATION_CACHE_MAX_SIZE"] == "500000000"
    assert variables["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0.0"
    assert compilation_cache_environment({**SETTINGS, "dir": None}) == {}
    assert compilation_cache_environment(None) == {}


JOB = """
import os, sys
from types import SimpleNamespace
from ogn.workflow.job import start_job
settings = {{"dir": {cache!r}, "max_gb": 0.5, "min_compile_seconds": 0.0}}
snakemake = SimpleNamespace(threads=1, log=[], config={{"compute": {{"compilation_cache": settings}}}})
start_job(snakemake, compilation_cache={on})
import jax, jax.numpy as jnp
hits = []
jax.monitoring.register_event_listener(
    lambda event, **kw: hits.append(1) if event == "/jax/compilation_cache/cache_hits" else None)
print(float(jax.jit(lambda x: jnp.sin(x) * 2.0)(jnp.arange(3.0)).sum()))
print("cache" if jax.config.jax_enable_compilation_cache else "off", len(hits))
"""


def run_job(cache, on, environment=None):
    result = subprocess.run([sys.executable, "-c", JOB.format(cache=str(cache), on=on)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, **(environment or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    value, state, hits = result.stdout.split()
    return value, state, int(hits)


def test_a_job_keeps_its_programs_and_a_timing_job_does_not(tmp_path):
    cache = tmp_path / "cache"
    # a timing job (runtime, frontier): off, even where the environment names a cache
    value, state, hits = run_job(cache, on=False,
                                 environment={"JAX_COMPILATION_CACHE_DIR": str(cache)})
    assert (state, hits) == ("off", 0) and not any(cache.glob("*-cache"))
    value_on, state, hits = run_job(cache, on=True)
    assert (state, hits) == ("cache", 0) and value_on == value
    entries = sorted(cache.glob("*-cache"))
    assert entries
    # the second job loads what the first kept: cache hits, no new entries
    again, state, hits = run_job(cache, on=True)
    assert again == value and hits >= 1 and sorted(cache.glob("*-cache")) == entries
