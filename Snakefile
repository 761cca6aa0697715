# OGN reproduction workflow (Liu et al., Mater. Horiz. 2023). See README.md.
#   snakemake --cores 2 --configfile config/quick.yaml            # everything, 2-core preset
#   snakemake --cores 2 --configfile config/quick.yaml --until produce quench
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/md.smk"
include: "workflow/rules/model.smk"


rule all:
    default_target: True
    input:
        all_targets(),
