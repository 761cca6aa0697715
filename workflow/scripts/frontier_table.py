"""Rule frontier_table: every point of one system's frontier in one CSV, with its error, its
Pareto flag and whether it meets frontier.targets; as Markdown with the recommended point."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import atomic_path, write_csv
from ogn.report.headline import frontier_markdown
from ogn.runtime.frontier import frontier_table

table = frontier_table([pd.read_csv(path) for path in sm.input], sm.params.frontier)
write_csv(table, sm.output.table)
with atomic_path(sm.output.markdown) as tmp:
    tmp.write_text(frontier_markdown(table, sm.wildcards.system, sm.params.frontier))
for row in table.itertuples():
    log(f"{row.point}: error {row.error:.3g}, {row.learned_s:.3g} s ({row.over_md:.3g} of MD, "
        f"{row.over_lammps:.3g} of LAMMPS), stable {row.stable_md_steps} MD steps"
        + (", on the front" if row.pareto else "") + (", meets the targets" if row.meets_targets
                                                      else ""))
