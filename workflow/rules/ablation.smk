# Ablation of the extended OGN (figS12): each option alone and the best combination,
# trained for the same wall-clock budget, then judged by one-step losses and a rollout.
# Helpers: workflow/rules/common.smk (ABLATION, ablation_options, ablation_dir).

wildcard_constraints:
    ablation=alternatives(ABLATION["variants"]),


rule ablation_train:
    message:
        "Ablation: training variant {wildcards.ablation} on {wildcards.system} at k = {wildcards.k}"
    input:
        train="results/pairs/{system}/k{k}/train.h5",
        test="results/pairs/{system}/k{k}/test.h5",
        curriculum=lambda w: curriculum_pairs(w.system, w.k, ablation_options(w.ablation, w.system)),
    output:
        model="results/ablation/{system}/k{k}/{ablation}/model.npz",
        curve="results/ablation/{system}/k{k}/{ablation}/curve.csv",
    params:
        system=lambda w: system_block(w.system),
        model=lambda w: model_block(ablation_options(w.ablation, w.system)),
        training={**config["training"], "max_minutes": ABLATION["minutes"], "max_steps": None},
        layers=ABLATION["layers"],
    log:
        log_path("ablation_train", "{system}/k{k}/{ablation}"),
    benchmark:
        benchmark_path("ablation_train", "{system}/k{k}/{ablation}")
    threads: config["compute"]["train_threads"]
    resources:
        mem_mb=8000,
        runtime=lambda w: int(ABLATION["minutes"]) + 30,
        gpu=config["compute"]["train_gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/train.py"


rule ablation_eval:
    message:
        "Ablation: evaluating variant {wildcards.ablation} on {wildcards.system} at k = {wildcards.k}"
    input:
        model="results/ablation/{system}/k{k}/{ablation}/model.npz",
        curve="results/ablation/{system}/k{k}/{ablation}/curve.csv",
        test="results/pairs/{system}/k{k}/test.h5",
        md=lambda w: test_start(w.system),
    output:
        evaluation="results/ablation/{system}/k{k}/{ablation}/evaluation.csv",
    params:
        system=lambda w: system_block(w.system),
        rollout=lambda w: {**config["rollout"], "steps": ABLATION["rollout_steps"]},
        k=lambda w: int(w.k),
        options=lambda w: ablation_options(w.ablation, w.system),
    log:
        log_path("ablation_eval", "{system}/k{k}/{ablation}"),
    benchmark:
        benchmark_path("ablation_eval", "{system}/k{k}/{ablation}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/ablation_eval.py"


rule ablation_reference:
    message:
        "Ablation: velocity Verlet over strides of k = {wildcards.k} on {wildcards.system}"
    input:
        test="results/pairs/{system}/k{k}/test.h5",
        md=lambda w: test_start(w.system),
    output:
        evaluation="results/ablation/{system}/k{k}/reference.csv",
    params:
        system=lambda w: system_block(w.system),
        rollout=lambda w: {**config["rollout"], "steps": ABLATION["rollout_steps"]},
        k=lambda w: int(w.k),
        substeps=ABLATION["reference_substeps"],
    log:
        log_path("ablation_reference", "{system}/k{k}"),
    benchmark:
        benchmark_path("ablation_reference", "{system}/k{k}")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/ablation_reference.py"


rule ablation_table:
    message:
        "Ablation table (every variant, every case)"
    input:
        ablation_evaluations(),
    output:
        csv="results/ablation/table.csv",
        markdown="results/ablation/table.md",
    params:
        minutes=ABLATION["minutes"],
    log:
        log_path("ablation_table", "all"),
    benchmark:
        benchmark_path("ablation_table", "all")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/ablation_table.py"
