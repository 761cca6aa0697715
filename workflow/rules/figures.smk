# Every figure: they only plot the tables and trajectories the other rules write.
# Figs. 2 (LJ), 3 (SiO2, Si, CuZr), 4, 4B, 5 and ESI S1-S12. Helpers: workflow/rules/common.smk.

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
            png=report(f"results/figures/{_fig}.png", caption=f"../report/{_fig}.rst",
                       category=f"Figure {_fig[3:]}"),
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
        png=report("results/figures/fig4b.png", caption="../report/fig4b.rst",
                   category="Figure 4"),
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
        table="results/cage_sizes.csv",
        curves="results/md_rmsd.csv",
    output:
        pdf="results/figures/figS2.pdf",
        png=report("results/figures/figS2.png", caption="../report/figS2.rst",
                   category="Supplement"),
    params:
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
        png=report("results/figures/figS3.png", caption="../report/figS3.rst",
                   category="Supplement"),
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
        png=report("results/figures/figS4.png", caption="../report/figS4.rst",
                   category="Supplement"),
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


rule fig4:
    message:
        "Figure 4: energy and momentum (B), runtime vs N (C), runtime vs complexity (D)"
    input:
        runtime=expand("results/runtime/{system}.csv", system=RUNTIME_SYSTEMS),
        complexity="results/runtime/complexity.csv",
        fast=f"{rollout_dir('lj', *fast_ogn_variant('lj'))}/metrics.csv",
        md_kdt=f"results/rollouts/lj/md_k{fast_ogn_variant('lj')[1]}/metrics.csv",
        md=test_start("lj"),
    output:
        pdf="results/figures/fig4.pdf",
        png=report("results/figures/fig4.png", caption="../report/fig4.rst",
                   category="Figure 4"),
    params:
        runtime=RUNTIME,
        rollout=config["rollout"],
        k=fast_ogn_variant("lj")[1],
        preset=preset_label(),
    log:
        log_path("fig4", "fig4"),
    benchmark:
        benchmark_path("fig4", "fig4")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/fig4.py"


rule fig5:
    message:
        "Figure 5: liquid vs glass (RMSD, loss curves at k = {params.curve_k}, final loss vs k)"
    input:
        rmsd="results/sweeps/rmsd.csv",
        # the curves of its own models only, so that an edit elsewhere reruns nothing here
        curves=[sweep_curve_file(*model) for model in glass_and_liquid_models()],
    output:
        png=report("results/figures/fig5.png", caption="../report/fig5.rst", category="Figure 5"),
        pdf="results/figures/fig5.pdf",
    params:
        preset=sweep_preset_label(),
        models=glass_and_liquid_models(),
        n_last=SWEEPS["final_loss_evaluations"],
        liquid=SWEEPS["liquid"],
        glass=SWEEPS["glass"],
        curve_k=SWEEPS["curve_k"],
        k=SWEEPS["k"],
        layers=config["models"]["fast_ogn_layers"],
        knee_factor=SWEEPS["knee_factor"],
    log:
        log_path("fig5", "fig5"),
    benchmark:
        benchmark_path("fig5", "fig5")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/fig5.py"


rule figS1:
    message:
        "Figure S1: training curves of every model"
    input:
        curves=[curve_file(*model) for model in every_model()],
    output:
        png=report("results/figures/figS1.png", caption="../report/figS1.rst",
                   category="Supplement"),
        pdf="results/figures/figS1.pdf",
    params:
        models=every_model(),
    log:
        log_path("figS1", "figS1"),
    benchmark:
        benchmark_path("figS1", "figS1")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS1.py"


rule figS5_S7:
    message:
        "Figure S{wildcards.number}: transfer of Fast-OGN (other {params.kind})"
    input:
        table="results/transfer/transfer_losses.csv",
    output:
        png=report("results/figures/figS{number}.png", caption="../report/figS5_S7.rst",
                   category="Supplement"),
        pdf="results/figures/figS{number}.pdf",
    params:
        kind=lambda w: TRANSFER_FIGURES[w.number],
    log:
        log_path("figS5_S7", "figS{number}"),
    benchmark:
        benchmark_path("figS5_S7", "figS{number}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS5_S7.py"


rule figS8:
    message:
        "Figure S8: final test loss vs number of message-passing layers"
    input:
        curves=[sweep_curve_file(*model) for model in layer_sweep_models(config)],
    output:
        png=report("results/figures/figS8.png", caption="../report/figS8.rst",
                   category="Supplement"),
        pdf="results/figures/figS8.pdf",
    params:
        preset=sweep_preset_label(),
        models=layer_sweep_models(config),
        n_last=SWEEPS["final_loss_evaluations"],
    log:
        log_path("figS8", "figS8"),
    benchmark:
        benchmark_path("figS8", "figS8")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS8.py"


rule figS9:
    message:
        "Figure S9: final test loss vs k per system (liquids)"
    input:
        curves=[sweep_curve_file(*m) for m in k_models_of(liquid_k_systems())],
    output:
        png=report("results/figures/figS9.png", caption="../report/figS9.rst",
                   category="Supplement"),
        pdf="results/figures/figS9.pdf",
    params:
        preset=sweep_preset_label(),
        systems=liquid_k_systems(),
        models=k_models_of(liquid_k_systems()),
        n_last=SWEEPS["final_loss_evaluations"],
        layers=config["models"]["fast_ogn_layers"],
        k=SWEEPS["k"],
        knee_factor=SWEEPS["knee_factor"],
        fast_ogn_k={s: config["systems"][s]["fast_ogn_k"] for s in SWEEPS["k_systems"]},
    log:
        log_path("figS9", "figS9"),
    benchmark:
        benchmark_path("figS9", "figS9")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS9.py"


rule figS10:
    message:
        "Figure S10: final test loss vs k, glass against its liquid"
    input:
        curves=[sweep_curve_file(*m) for m in k_models_of([SWEEPS["glass"], SWEEPS["liquid"]])],
    output:
        png=report("results/figures/figS10.png", caption="../report/figS10.rst",
                   category="Supplement"),
        pdf="results/figures/figS10.pdf",
    params:
        preset=sweep_preset_label(),
        systems=[SWEEPS["glass"], SWEEPS["liquid"]],
        models=k_models_of([SWEEPS["glass"], SWEEPS["liquid"]]),
        n_last=SWEEPS["final_loss_evaluations"],
        layers=config["models"]["fast_ogn_layers"],
        k=SWEEPS["k"],
        knee_factor=SWEEPS["knee_factor"],
        fast_ogn_k={s: config["systems"][s]["fast_ogn_k"]
                    for s in (SWEEPS["glass"], SWEEPS["liquid"])},
    log:
        log_path("figS10", "figS10"),
    benchmark:
        benchmark_path("figS10", "figS10")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS9.py"


rule figS11:
    message:
        f"Figure S11: fictive temperature of {SWEEPS['glass']} from its quench"
    input:
        quench=f"results/md/{SWEEPS['glass']}/quench.csv",
        table="results/sweeps/fictive_temperature.csv",
    output:
        png=report("results/figures/figS11.png", caption="../report/figS11.rst",
                   category="Supplement"),
        pdf="results/figures/figS11.pdf",
    params:
        n_atoms=sum(config["systems"][SWEEPS["glass"]]["counts"]),
        units=config["systems"][SWEEPS["glass"]]["units"],
    log:
        log_path("figS11", "figS11"),
    benchmark:
        benchmark_path("figS11", "figS11")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS11.py"


rule figS12:
    message:
        "Figure S12: ablation of the extended OGN"
    input:
        table="results/ablation/table.csv",
    output:
        pdf="results/figures/figS12.pdf",
        png=report("results/figures/figS12.png", caption="../report/figS12.rst",
                   category="Supplement"),
    params:
        preset=preset_label(),
        minutes=ABLATION["minutes"],
        layers=ABLATION["layers"],
    log:
        log_path("figS12", "all"),
    benchmark:
        benchmark_path("figS12", "all")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS12.py"
