# Tables read off the MD for the figures and the summary: cage sizes (S2), the RMSD of liquid
# and glass (Fig. 5A), the glass's fictive temperature (S11). The figure rules only plot them.


rule cage_sizes:
    message:
        "Cage size of every system from its MD test trajectory"
    input:
        md=[test_start(s) for s in SYSTEMS],
    output:
        table="results/cage_sizes.csv",
        curves="results/md_rmsd.csv",
    params:
        systems=SYSTEMS,
        rollout=config["rollout"],
    log:
        log_path("cage_sizes", "all"),
    benchmark:
        benchmark_path("cage_sizes", "all")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/cage_sizes.py"


rule rmsd:
    message:
        "RMSD against time of {params.liquid} (liquid) and {params.glass} (glass)"
    input:
        liquid=trajectory_files(SWEEPS["liquid"], "test"),
        glass=trajectory_files(SWEEPS["glass"], "test"),
    output:
        rmsd="results/sweeps/rmsd.csv",
    params:
        liquid=SWEEPS["liquid"],
        glass=SWEEPS["glass"],
        rmsd_lags=SWEEPS["rmsd_lags"],
    log:
        log_path("rmsd", "all"),
    benchmark:
        benchmark_path("rmsd", "all")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/rmsd.py"


rule fictive_temperature:
    message:
        "Fictive temperature of {params.glass} from its quench"
    input:
        quench=f"results/md/{SWEEPS['glass']}/quench.csv",
    output:
        table="results/sweeps/fictive_temperature.csv",
    params:
        glass=SWEEPS["glass"],
        fictive=SWEEPS["fictive"],
        n_atoms=sum(config["systems"][SWEEPS["glass"]]["counts"]),
    log:
        log_path("fictive_temperature", "all"),
    benchmark:
        benchmark_path("fictive_temperature", "all")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/fictive_temperature.py"
