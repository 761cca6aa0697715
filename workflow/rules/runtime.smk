# Runtime vs system size and interaction complexity; Fig. 4 (panels B, C, D).
# This stage is the one to send to a GPU node (resources.gpu = runtime.gpus).
# Helpers: workflow/rules/common.smk.

rule runtime:
    message:
        "Runtime of {wildcards.system}: MD, Fast-OGN, LAMMPS, all-pairs MD and the paper's network vs N"
    input:
        state=lambda w: starting_state(w.system),
        model=lambda w: runtime_model(w.system),
    output:
        table="results/runtime/{system}.csv",
    wildcard_constraints:
        system=alternatives(RUNTIME_SYSTEMS),
    params:
        system=lambda w: system_block(w.system),
        runtime=RUNTIME,
        precision=config["md"]["precision"],
        k=lambda w: fast_ogn_variant(w.system)[1],
        model_block=config["model"],
        paper_layers=config["models"]["fast_ogn_layers"],
    log:
        log_path("runtime", "{system}"),
    benchmark:
        benchmark_path("runtime", "{system}")
    priority: 10
    threads: RUNTIME["threads"]
    resources:
        mem_mb=RUNTIME["mem_mb"],
        runtime=240,
        gpu=RUNTIME["gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/runtime.py"


rule complexity:
    message:
        "Interaction complexity index: energy time per atom relative to LJ, ours and LAMMPS"
    input:
        states=[starting_state(s) for s in RUNTIME_SYSTEMS],
    output:
        table="results/runtime/complexity.csv",
    params:
        systems=RUNTIME_SYSTEMS,
        system_configs={s: system_block(s) for s in RUNTIME_SYSTEMS},
        runtime=RUNTIME,
        precision=config["md"]["precision"],
    log:
        log_path("complexity", "complexity"),
    benchmark:
        benchmark_path("complexity", "complexity")
    threads: RUNTIME["threads"]
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=RUNTIME["gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/complexity.py"
