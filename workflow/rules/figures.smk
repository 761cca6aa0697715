# Figures of the rollouts: Fig. 2 (LJ), Fig. 3 (SiO2, Si, CuZr), Fig. 4B, ESI S2-S4.
# Helpers: workflow/rules/common.smk.

for _fig, _systems in (("fig2", FIG2_SYSTEMS), ("fig3", FIG3_SYSTEMS)):

    rule:
        name:
            _fig
        message:
            f"Figure {_fig[3:]}: rollouts vs MD ({', '.join(_systems)})"
        input:
            md=[test_start(s) for s in _systems],
            rollout=ogn_rollout_files(_systems, "rollout.h5"),
            metrics=ogn_rollout_files(_systems, "metrics.csv"),
        output:
            pdf=f"results/figures/{_fig}.pdf",
            png=f"results/figures/{_fig}.png",
        params:
            systems=_systems,
            rollout=config["rollout"],
            preset=preset_label(),
        log:
            log_path(_fig, _fig),
        benchmark:
            benchmark_path(_fig, _fig)
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        conda:
            "../../envs/ogn.yaml"
        script:
            "../scripts/rollout_figure.py"


rule fig4b:
    message:
        "Figure 4B: energy and momentum of Fast-OGN, MD at dt and MD at k*dt (LJ)"
    input:
        fast=f"{rollout_dir('lj', *fast_ogn_variant('lj'))}/metrics.csv",
        rollout=f"{rollout_dir('lj', *fast_ogn_variant('lj'))}/rollout.h5",
        md_kdt=f"results/rollouts/lj/md_k{fast_ogn_variant('lj')[1]}/metrics.csv",
        md=test_start("lj"),
    output:
        pdf="results/figures/fig4b.pdf",
        png="results/figures/fig4b.png",
    params:
        rollout=config["rollout"],
        k=fast_ogn_variant("lj")[1],
        preset=preset_label(),
    log:
        log_path("fig4b", "fig4b"),
    benchmark:
        benchmark_path("fig4b", "fig4b")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/fig4b.py"


rule figS2:
    message:
        "Figure S2: RMSD of MD and the cage size of every system"
    input:
        md=[test_start(s) for s in SYSTEMS],
    output:
        pdf="results/figures/figS2.pdf",
        png="results/figures/figS2.png",
        table="results/cage_sizes.csv",
    params:
        systems=SYSTEMS,
        rollout=config["rollout"],
        preset=preset_label(),
    log:
        log_path("figS2", "figS2"),
    benchmark:
        benchmark_path("figS2", "figS2")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS2.py"


rule figS3:
    message:
        "Figure S3: error accumulation over the rollouts"
    input:
        metrics=[f"{rollout_dir(s, l, k)}/metrics.csv"
                 for s in config["models"]["systems"] for l, k in model_variants(s)],
        summary=accuracy_inputs(),
    output:
        pdf="results/figures/figS3.pdf",
        png="results/figures/figS3.png",
    params:
        preset=preset_label(),
    log:
        log_path("figS3", "figS3"),
    benchmark:
        benchmark_path("figS3", "figS3")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS3.py"


rule figS4:
    message:
        "Figure S4: long rollouts vs MD (MSD, energy, g(r), F_s(q, t))"
    input:
        series=ogn_rollout_files(LONG_SYSTEMS, "long.csv"),
        structure=ogn_rollout_files(LONG_SYSTEMS, "long_structure.csv"),
    output:
        pdf="results/figures/figS4.pdf",
        png="results/figures/figS4.png",
    params:
        systems=LONG_SYSTEMS,
        preset=preset_label(),
    log:
        log_path("figS4", "figS4"),
    benchmark:
        benchmark_path("figS4", "figS4")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS4.py"
