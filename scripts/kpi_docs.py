"""Print the README's KPI table from the KPI registry (the registry is the single source).

Usage: ``python scripts/kpi_docs.py`` — paste between the KPI markers of README.md; a test
checks that the README table equals this output.
"""

from __future__ import annotations

from terraplan.planning.kpi_registry import KPIS


def kpi_table() -> str:
    direction = {True: "higher", False: "lower", None: "—"}
    lines = ["| KPI | unit | better | definition |", "|---|---|---|---|"]
    for kpi in KPIS:
        definition = kpi.definition.replace("|", "\\\\|")
        lines.append(
            f"| `{kpi.name}` ({kpi.label}) | {kpi.unit} | {direction[kpi.higher_is_better]} | {definition} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(kpi_table() + "\n")
