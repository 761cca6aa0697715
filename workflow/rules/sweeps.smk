# Glass vs liquid (Fig. 5), the sweeps of the supplement (S1, S5-S11) and the summary table.
# Sweep models are the `train` rule's outputs, results/models/{system}/L{layers}_k{k}/, so a
# model that two figures use is trained once.
# Helpers: workflow/rules/common.smk.

wildcard_constraints:
    variant=alternatives([v for variants in TRANSFER.values() for v in variants]),
    number="5|6|7",


rule transfer_equilibrate:
    message:
        "Equilibrating {wildcards.system} variant {wildcards.variant} (transfer test, S5-S7)"
    output:
        state="results/transfer/{system}/{variant}/equilibrated.h5",
        curve="results/transfer/{system}/{variant}/equilibrate.csv",
    params:
        system=lambda w: TRANSFER[w.system][w.variant]["block"],
        settings=config["md"]["equilibration"],
        precision=config["md"]["precision"],
        seed=config["md"]["seed"],
    log:
        log_path("transfer_equilibrate", "{system}/{variant}"),
    benchmark:
        benchmark_path("transfer_equilibrate", "{system}/{variant}")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/equilibrate.py"


rule transfer_produce:
    message:
        "NVE test trajectory {wildcards.i} of {wildcards.system} variant {wildcards.variant}"
    input:
        state="results/transfer/{system}/{variant}/equilibrated.h5",
    output:
        trajectory="results/transfer/{system}/{variant}/{split}_{i}.h5",
    wildcard_constraints:
        split="test",
    params:
        system=lambda w: TRANSFER[w.system][w.variant]["block"],
        production=config["md"]["production"],
        precision=config["md"]["precision"],
        seed=config["md"]["seed"],
    log:
        log_path("transfer_produce", "{system}/{variant}/{split}_{i}"),
    benchmark:
        benchmark_path("transfer_produce", "{system}/{variant}/{split}_{i}")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=240,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/produce.py"


rule transfer_loss:
    message:
        "One-step test loss of Fast-OGN ({wildcards.system}) on variant {wildcards.variant}"
    input:
        model=lambda w: "results/models/{}/L{}_k{}/model.npz".format(
            w.system, *fast_ogn_model(w.system)),
        reference=lambda w: "results/pairs/{}/k{}/test.h5".format(
            w.system, fast_ogn_model(w.system)[1]),
        trajectories=lambda w: transfer_trajectories(w.system, w.variant),
    output:
        loss="results/transfer/{system}/{variant}/loss.csv",
    params:
        variant=lambda w: {k: v for k, v in TRANSFER[w.system][w.variant].items()},
        base=lambda w: config["systems"][w.system],
        k=lambda w: fast_ogn_model(w.system)[1],
        layers=lambda w: fast_ogn_model(w.system)[0],
        test_pairs=config["training"]["test_pairs"],
    log:
        log_path("transfer_loss", "{system}/{variant}"),
    benchmark:
        benchmark_path("transfer_loss", "{system}/{variant}")
    threads: 2
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/transfer_loss.py"


rule transfer_table:
    message:
        "Collecting the transfer losses (S5-S7)"
    input:
        transfer_losses(),
    output:
        table="results/transfer/transfer_losses.csv",
    log:
        log_path("transfer_table", "all"),
    benchmark:
        benchmark_path("transfer_table", "all")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/transfer_table.py"


rule sweep_losses:
    message:
        "Final losses of every trained model"
    input:
        curves=[curve_file(*model) for model in every_model()],
    output:
        table="results/sweeps/final_losses.csv",
    params:
        models=every_model(),
        n_last=SWEEPS["final_loss_evaluations"],
    log:
        log_path("sweep_losses", "all"),
    benchmark:
        benchmark_path("sweep_losses", "all")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/sweep_losses.py"


rule fig5:
    message:
        "Figure 5: liquid vs glass (RMSD, loss curves at k = {params.curve_k}, final loss vs k)"
    input:
        liquid=trajectory_files(SWEEPS["liquid"], "test"),
        glass=trajectory_files(SWEEPS["glass"], "test"),
        curves=[curve_file(*model) for model in glass_and_liquid_models()],
    output:
        png=report("results/figures/fig5.png", caption="../report/fig5.rst", category="Figure 5"),
        pdf="results/figures/fig5.pdf",
        rmsd="results/sweeps/rmsd.csv",
    params:
        models=glass_and_liquid_models(),
        n_last=SWEEPS["final_loss_evaluations"],
        liquid=SWEEPS["liquid"],
        glass=SWEEPS["glass"],
        curve_k=SWEEPS["curve_k"],
        k=SWEEPS["k"],
        layers=config["models"]["fast_ogn_layers"],
        rmsd_lags=SWEEPS["rmsd_lags"],
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
        curves=[curve_file(*model) for model in layer_sweep_models(config)],
    output:
        png=report("results/figures/figS8.png", caption="../report/figS8.rst",
                   category="Supplement"),
        pdf="results/figures/figS8.pdf",
    params:
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
        curves=[curve_file(*m) for m in k_models_of(liquid_k_systems())],
    output:
        png=report("results/figures/figS9.png", caption="../report/figS9.rst",
                   category="Supplement"),
        pdf="results/figures/figS9.pdf",
    params:
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
        curves=[curve_file(*m) for m in k_models_of([SWEEPS["glass"], SWEEPS["liquid"]])],
    output:
        png=report("results/figures/figS10.png", caption="../report/figS10.rst",
                   category="Supplement"),
        pdf="results/figures/figS10.pdf",
    params:
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
        "Figure S11: fictive temperature of {params.glass} from its quench"
    input:
        quench=f"results/md/{SWEEPS['glass']}/quench.csv",
    output:
        png=report("results/figures/figS11.png", caption="../report/figS11.rst",
                   category="Supplement"),
        pdf="results/figures/figS11.pdf",
        table="results/sweeps/fictive_temperature.csv",
    params:
        glass=SWEEPS["glass"],
        fictive=SWEEPS["fictive"],
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


rule summary:
    message:
        "Summary: the paper's headline numbers next to ours"
    input:
        losses="results/sweeps/final_losses.csv",
        rmsd="results/sweeps/rmsd.csv",
        fictive="results/sweeps/fictive_temperature.csv",
        transfer="results/transfer/transfer_losses.csv",
        accuracy=lambda w: optional_output("results/accuracy.csv"),  # rules parsed later too
    output:
        csv=report("results/summary.csv", caption="../report/summary.rst", category="Summary"),
        md="results/summary.md",
    params:
        sweeps=SWEEPS,
        models=config["models"],
        training=config["training"],
        production=config["md"]["production"],
        fast_ogn_k={s: config["systems"][s]["fast_ogn_k"] for s in SYSTEMS},
    log:
        log_path("summary", "summary"),
    benchmark:
        benchmark_path("summary", "summary")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/summary.py"
