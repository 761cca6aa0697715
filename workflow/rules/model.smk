# Training pairs and graph-network training.


rule pairs:
    message:
        "Input/target pairs of {wildcards.system} at k = {wildcards.k} MD steps"
    input:
        train=lambda w: trajectory_files(w.system, "train"),
        test=lambda w: trajectory_files(w.system, "test"),
    output:
        train="results/pairs/{system}/k{k}/train.h5",
        test="results/pairs/{system}/k{k}/test.h5",
    params:
        k=lambda w: int(w.k),
        training=lambda w: {"test_pairs": config["training"]["test_pairs"]},
    log:
        log_path("pairs", "{system}/k{k}"),
    benchmark:
        benchmark_path("pairs", "{system}/k{k}")
    priority: 30
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/pairs.py"


rule train:
    message:
        "Training a {wildcards.layers}-layer OGN on {wildcards.system} at k = {wildcards.k}"
    input:
        train="results/pairs/{system}/k{k}/train.h5",
        test="results/pairs/{system}/k{k}/test.h5",
        curriculum=lambda w: curriculum_pairs(w.system, w.k),
        also=lambda w: train_also_on_pairs(w.system, w.k),
    output:
        model="results/models/{system}/L{layers}_k{k}/model.npz",
        curve="results/models/{system}/L{layers}_k{k}/curve.csv",
    params:
        system=lambda w: system_block(w.system),
        model=lambda w: model_block(system=w.system),
        training=lambda w: training_block(w.system),
        layers=lambda w: int(w.layers),
    log:
        log_path("train", "{system}/L{layers}_k{k}"),
    benchmark:
        benchmark_path("train", "{system}/L{layers}_k{k}")
    priority: 20
    threads: config["compute"]["train_threads"]
    resources:
        mem_mb=8000,
        runtime=10080,
        gpu=config["compute"]["train_gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/train.py"
