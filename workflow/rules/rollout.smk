# Rollouts of trained models against MD, MD at k*dt, long rollouts, the accuracy table.
# Helpers: workflow/rules/common.smk.

rule rollout:
    message:
        "Rollout of the {wildcards.layers}-layer k={wildcards.k} model of {wildcards.system} vs MD"
    input:
        model="results/models/{system}/L{layers}_k{k}/model.npz",
        md=lambda w: test_start(w.system),
    output:
        trajectory="results/rollouts/{system}/L{layers}_k{k}/rollout.h5",
        metrics="results/rollouts/{system}/L{layers}_k{k}/metrics.csv",
        summary="results/rollouts/{system}/L{layers}_k{k}/summary.csv",
    params:
        system=lambda w: system_block(w.system),
        rollout=config["rollout"],
        k=lambda w: int(w.k),
    log:
        log_path("rollout", "{system}/L{layers}_k{k}"),
    benchmark:
        benchmark_path("rollout", "{system}/L{layers}_k{k}")
    priority: 10
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/rollout.py"


rule md_kdt:
    message:
        "MD of {wildcards.system} at {wildcards.k} x dt from the rollouts' start (Fig. 4B)"
    input:
        md=lambda w: test_start(w.system),
    output:
        metrics="results/rollouts/{system}/md_k{k}/metrics.csv",
    params:
        system=lambda w: system_block(w.system),
        rollout=config["rollout"],
        k=lambda w: int(w.k),
    log:
        log_path("md_kdt", "{system}/k{k}"),
    benchmark:
        benchmark_path("md_kdt", "{system}/k{k}")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/md_kdt.py"


rule long_rollout:
    message:
        "Long rollout ({wildcards.system}, L{wildcards.layers} k={wildcards.k}) vs long MD (ESI S4)"
    input:
        model="results/models/{system}/L{layers}_k{k}/model.npz",
        md=lambda w: trajectory_files(w.system, "test"),
    output:
        series="results/rollouts/{system}/L{layers}_k{k}/long.csv",
        structure="results/rollouts/{system}/L{layers}_k{k}/long_structure.csv",
    params:
        system=lambda w: system_block(w.system),
        rollout=config["rollout"],
        k=lambda w: int(w.k),
    log:
        log_path("long_rollout", "{system}/L{layers}_k{k}"),
    benchmark:
        benchmark_path("long_rollout", "{system}/L{layers}_k{k}")
    priority: 10
    threads: 2
    resources:
        mem_mb=4000,
        runtime=1440,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/long_rollout.py"


rule accuracy:
    message:
        "Accuracy table of every rollout"
    input:
        accuracy_inputs(),
    output:
        table="results/accuracy.csv",
    log:
        log_path("accuracy", "accuracy"),
    benchmark:
        benchmark_path("accuracy", "accuracy")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/accuracy.py"
