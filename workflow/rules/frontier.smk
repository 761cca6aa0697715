# The accuracy/speed frontier (figS13; `snakemake --cores 2 frontier`): the grid of step
# choices of the config block `frontier`, each point trained for the same wall-clock budget,
# judged by its rollout against MD and timed against our MD and LAMMPS in one job.
# Points and their config blocks: src/ogn/workflow/frontier.py.
from ogn.workflow import frontier as frontier_plan

FRONTIER = config["frontier"]
FRONTIER_POINTS = frontier_plan.frontier_points(config)
TRAINED_POINTS = frontier_plan.trained_points(config)  # a bfloat16 point runs its twin's model


wildcard_constraints:
    point=alternatives({**FRONTIER_POINTS, **TRAINED_POINTS}),


rule frontier:
    message:
        "The accuracy/speed frontier of every system of frontier.systems, and figure S13"
    input:
        frontier_plan.frontier_tables(config),
        "results/figures/figS13.pdf",


rule frontier_train:
    message:
        "Frontier: training point {wildcards.point} of {wildcards.system}"
    input:
        train=lambda w: f"results/pairs/{w.system}/k{TRAINED_POINTS[w.point]['k']}/train.h5",
        test=lambda w: f"results/pairs/{w.system}/k{TRAINED_POINTS[w.point]['k']}/test.h5",
    output:
        model="results/frontier/{system}/{point}/model.npz",
        curve="results/frontier/{system}/{point}/curve.csv",
    params:
        system=lambda w: frontier_plan.point_system_block(config, w.system,
                                                          TRAINED_POINTS[w.point]),
        model=lambda w: frontier_plan.point_model_block(config, w.system,
                                                        TRAINED_POINTS[w.point]),
        training=lambda w: frontier_plan.point_training_block(config, w.system),
        layers=lambda w: int(TRAINED_POINTS[w.point]["layers"]),
    log:
        log_path("frontier_train", "{system}/{point}"),
    benchmark:
        benchmark_path("frontier_train", "{system}/{point}")
    threads: config["compute"]["train_threads"]
    resources:
        mem_mb=8000,
        runtime=lambda w: int(FRONTIER["minutes"]) + 30,
        gpu=config["compute"]["train_gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/train.py"


rule frontier_point:
    message:
        "Frontier: judging and timing point {wildcards.point} of {wildcards.system}"
    input:
        model=lambda w: frontier_plan.point_model(w.system, FRONTIER_POINTS[w.point]),
        test=lambda w: f"results/pairs/{w.system}/k{FRONTIER_POINTS[w.point]['k']}/test.h5",
        md=lambda w: test_start(w.system),
        state=lambda w: starting_state(w.system),
    output:
        row="results/frontier/{system}/{point}/point.csv",
    params:
        system=lambda w: frontier_plan.point_system_block(config, w.system,
                                                          FRONTIER_POINTS[w.point]),
        physics=lambda w: system_block(w.system),
        point=lambda w: FRONTIER_POINTS[w.point],
        k=lambda w: int(FRONTIER_POINTS[w.point]["k"]),
        rollout=config["rollout"],
        frontier=FRONTIER,
        runtime=RUNTIME,
        precision=config["md"]["precision"],
    log:
        log_path("frontier_point", "{system}/{point}"),
    benchmark:
        benchmark_path("frontier_point", "{system}/{point}")
    threads: RUNTIME["threads"]
    resources:
        mem_mb=RUNTIME["mem_mb"],
        runtime=120,
        gpu=RUNTIME["gpus"],
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/frontier_point.py"


rule frontier_table:
    message:
        "Frontier of {wildcards.system}: every point, its Pareto flag and targets"
    input:
        lambda w: frontier_plan.point_rows(config, w.system),
    output:
        table="results/frontier/{system}.csv",
        markdown="results/frontier/{system}.md",
    params:
        frontier=FRONTIER,
    log:
        log_path("frontier_table", "{system}"),
    benchmark:
        benchmark_path("frontier_table", "{system}")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/frontier_table.py"


rule figS13:
    message:
        "Figure S13: the accuracy/speed frontier"
    input:
        tables=frontier_plan.frontier_tables(config),
    output:
        pdf="results/figures/figS13.pdf",
        png=report("results/figures/figS13.png", caption="../report/figS13.rst",
                   category="Supplement"),
    params:
        systems=FRONTIER["systems"],
        frontier=FRONTIER,
        preset=config_files_label(),  # the points' own models: the footer names them
    log:
        log_path("figS13", "all"),
    benchmark:
        benchmark_path("figS13", "all")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ogn.yaml"
    script:
        "../scripts/figS13.py"
