# Glass vs liquid (Fig. 5), the sweeps of the supplement (S1, S5-S11) and the summary table.
# Sweep models are the `train` rule's outputs, results/models/{system}/L{layers}_k{k}/, so a
# model that two figures use is trained once; with sweeps.model or sweeps.training set they
# are the `sweep_train` rule's, results/sweeps/models/{system}/L{layers}_k{k}/.
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
            w.system, *fast_ogn_variant(w.system)),
        reference=lambda w: "results/pairs/{}/k{}/test.h5".format(
            w.system, fast_ogn_variant(w.system)[1]),
        trajectories=lambda w: transfer_trajectories(w.system, w.variant),
    output:
        loss="results/transfer/{system}/{variant}/loss.csv",
    params:
        variant=lambda w: {k: v for k, v in TRANSFER[w.system][w.variant].items()},
        base=lambda w: system_block(w.system),
        k=lambda w: fast_ogn_variant(w.system)[1],
        layers=lambda w: fast_ogn_variant(w.system)[0],
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


rule sweep_train:
    message:
        "Training a {wildcards.layers}-layer sweep model on {wildcards.system} at k = "
        "{wildcards.k} ({params.model[architecture]}, sweeps.model and sweeps.training)"
    input:
        train="results/pairs/{system}/k{k}/train.h5",
        test="results/pairs/{system}/k{k}/test.h5",
        curriculum=lambda w: curriculum_pairs(w.system, w.k, block=SWEEP_MODEL),
    output:
        model="results/sweeps/models/{system}/L{layers}_k{k}/model.npz",
        curve="results/sweeps/models/{system}/L{layers}_k{k}/curve.csv",
    params:
        system=lambda w: system_block(w.system),
        model=SWEEP_MODEL,
        training=SWEEP_TRAINING,
        layers=lambda w: int(w.layers),
    log:
        log_path("sweep_train", "{system}/L{layers}_k{k}"),
    benchmark:
        benchmark_path("sweep_train", "{system}/L{layers}_k{k}")
    threads: config["compute"]["train_threads"]
    resources:
        mem_mb=8000,
        runtime=10080,
        gpu=config["compute"]["train_gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/train.py"


rule sweep_losses:
    message:
        "Final losses of every trained model (the figures' and the sweeps')"
    input:
        figure_curves=[curve_file(*model) for model in figure_models()],
        sweep_curves=[sweep_curve_file(*model) for model in sweep_models()],
    output:
        table="results/sweeps/final_losses.csv",
    params:
        figure_models=figure_models(),
        sweep_models=sweep_models(),
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


rule summary:
    message:
        "Summary: the paper's headline numbers next to ours"
    input:
        losses="results/sweeps/final_losses.csv",
        rmsd="results/sweeps/rmsd.csv",
        fictive="results/sweeps/fictive_temperature.csv",
        transfer="results/transfer/transfer_losses.csv",
        accuracy=lambda w: optional_output("results/accuracy.csv"),  # rules parsed later too
        runtime=expand("results/runtime/{system}.csv", system=RUNTIME_SYSTEMS),
    output:
        csv=report("results/summary.csv", caption="../report/summary.rst", category="Summary"),
        md="results/summary.md",
    params:
        sweeps=SWEEPS,
        models=config["models"],
        training=config["training"],
        system_budgets={name: block["training"]["max_minutes"]
                        for name, block in config["systems"].items()
                        if (block.get("training") or {}).get("max_minutes") is not None},
        sweep_training=SWEEP_TRAINING,
        sweep_models=f"sweep models: {architecture_label(SWEEP_MODEL)}",
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
