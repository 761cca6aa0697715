# OGN reproduction workflow (Liu et al., Mater. Horiz. 2023). See README.md.
#   snakemake --cores 2 --configfile config/quick.yaml            # everything, 2-core preset
#   snakemake --cores 2 --configfile config/quick.yaml --until produce quench
import os

from snakemake.utils import min_version

min_version("9.0")

# Jobs are separate processes that compile the same JAX functions: share compiled code.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.abspath(".snakemake/jax-cache"))
# XLA allocates its temporary buffers afresh at every call; with glibc's malloc on transparent
# huge pages most of the resulting page faults go (training step 10-25 % faster here:
# benchmarks/bench_model.py against --small-pages). glibc reads this when a job's process starts.
_tunables = os.environ.setdefault("GLIBC_TUNABLES", "")
if "glibc.malloc.hugetlb" not in _tunables:
    os.environ.update(
        GLIBC_TUNABLES=":".join(t for t in (_tunables, "glibc.malloc.hugetlb=1") if t))


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/md.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/sweeps.smk"
include: "workflow/rules/rollout.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/runtime.smk"
include: "workflow/rules/ablation.smk"


onstart:
    # Snakemake never starts a job downstream of an --until job, so naming two rules of which
    # one feeds the other stalls the second ("Out of jobs ready to be started", Snakemake issue
    # #823): `--until produce quench`, the glass's production starting from its quench. The
    # downstream rule already runs every upstream job it needs (the DAG is the same), so a rule
    # whose jobs feed another --until rule's jobs stops being an --until rule.
    dag = workflow.dag
    dag.untilrules -= {
        job.rule.name for job in dag.jobs if dag.in_until(job)
        for dependent in dag.depending[job]
        if dag.in_until(dependent) and dependent.rule.name != job.rule.name}


rule all:
    default_target: True
    input:
        all_targets(),
