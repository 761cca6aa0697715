# OGN reproduction workflow (Liu et al., Mater. Horiz. 2023). See README.md.
#   snakemake --cores 2 --configfile config/quick.yaml            # everything, 2-core preset
#   snakemake --cores 2 --configfile config/quick.yaml -- md      # the MD stages only
import os

from snakemake.utils import min_version

min_version("9.0")

# Jobs are separate processes that compile the same JAX functions: each job's script shares
# compiled code through the cache of config compute.compilation_cache (ogn.workflow.job).
# XLA allocates its temporary buffers afresh at every call; with glibc's malloc on transparent
# huge pages most of the resulting page faults go (training step 10-25 % faster here:
# benchmarks/bench_model.py against --small-pages). glibc reads this when a job's process starts.
_tunables = os.environ.setdefault("GLIBC_TUNABLES", "")
if "glibc.malloc.hugetlb" not in _tunables:
    os.environ.update(
        GLIBC_TUNABLES=":".join(t for t in (_tunables, "glibc.malloc.hugetlb=1") if t))


# The jobs import the library from this checkout, also inside the conda environment of
# envs/ogn.yaml (`--sdm conda`), which holds the dependencies but not the package itself.
_src = os.path.join(workflow.basedir, "src")
_pythonpath = os.environ.setdefault("PYTHONPATH", "")
if _src not in _pythonpath.split(os.pathsep):
    os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (_src, _pythonpath) if p))


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/md.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/sweeps.smk"
include: "workflow/rules/rollout.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/runtime.smk"
include: "workflow/rules/ablation.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/frontier.smk"

# The cheap jobs (tables and figures) run where Snakemake runs, not as cluster jobs.
localrules:
    all,
    md,
    models,
    accuracy,
    cage_sizes,
    rmsd,
    fictive_temperature,
    sweep_losses,
    transfer_table,
    ablation_table,
    summary,
    fig2,
    fig3,
    fig4,
    fig4b,
    fig5,
    figS1,
    figS2,
    figS3,
    figS4,
    figS5_S7,
    figS8,
    figS9,
    figS10,
    figS11,
    figS12,
    frontier,
    frontier_table,
    figS13,


rule all:
    default_target: True
    input:
        targets.all_targets(config),


rule md:
    message:
        "The MD stages: every equilibrated, quenched and production trajectory"
    input:
        targets.md_targets(config),


rule models:
    message:
        "Every trained model of the figures (OGN and Fast-OGN per system)"
    input:
        targets.model_targets(config),
