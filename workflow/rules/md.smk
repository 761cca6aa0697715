# Ground-truth molecular dynamics: equilibrate -> (quench) -> produce.
# Priorities: MD and pairs first (30), then the figures' models (train, 20), their rollouts
# and runtime (10), then the sweeps, ablation and transfer (0). Every training waits on its
# system's MD, so with MD done early there are always two trainings to fill two cores; the
# quick preset from a fresh clone otherwise left a core idle for about 17 of its 63 minutes.


rule equilibrate:
    message:
        "Equilibrating {wildcards.system}: random placement, FIRE, velocity rescaling to T"
    output:
        state="results/md/{system}/equilibrated.h5",
        curve="results/md/{system}/equilibrate.csv",
    wildcard_constraints:
        system=alternatives(EQUILIBRATED),
    params:
        system=lambda w: system_block(w.system),
        settings=config["md"]["equilibration"],
        precision=config["md"]["precision"],
        seed=config["md"]["seed"],
    log:
        log_path("equilibrate", "{system}"),
    benchmark:
        benchmark_path("equilibrate", "{system}")
    priority: 30
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/equilibrate.py"


rule quench:
    message:
        "Quenching {wildcards.system} from its liquid, then NVE relaxation"
    input:
        liquid=lambda w: f"results/md/{config['systems'][w.system]['quench']['from_system']}/equilibrated.h5",
    output:
        state="results/md/{system}/quenched.h5",
        curve="results/md/{system}/quench.csv",
    wildcard_constraints:
        system=alternatives(QUENCHED),
    params:
        system=lambda w: system_block(w.system),
        precision=config["md"]["precision"],
    log:
        log_path("quench", "{system}"),
    benchmark:
        benchmark_path("quench", "{system}")
    priority: 30
    threads: 2
    resources:
        mem_mb=4000,
        runtime=1440,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/quench.py"


rule produce:
    message:
        "NVE {wildcards.split} trajectory {wildcards.i} of {wildcards.system}"
    input:
        state=lambda w: starting_state(w.system),
    output:
        trajectory="results/md/{system}/{split}_{i}.h5",
    params:
        system=lambda w: system_block(w.system),
        production=lambda w: production_block(w.system),
        precision=config["md"]["precision"],
        seed=config["md"]["seed"],
    log:
        log_path("produce", "{system}/{split}_{i}"),
    benchmark:
        benchmark_path("produce", "{system}/{split}_{i}")
    priority: 30
    threads: 1
    resources:
        mem_mb=3000,
        runtime=240,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/produce.py"
