"""docs/notebook.ipynb runs from top to bottom on the venv's own Python kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


def test_the_notebook_runs_without_errors(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "store the notebook without outputs"
    )
    # The kernel is this interpreter (ipykernel's own "python3" spec); plots go inline.
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError naming the cell when one fails
    outputs = [cell.get("outputs", []) for cell in notebook.cells if cell.cell_type == "code"]
    errors = [o for cell in outputs for o in cell if o.get("output_type") == "error"]
    assert not errors
    texts = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for cell in outputs
        for o in cell
    )
    assert "row 1, column 'potential'" in texts  # the validation cell shows the bad row
    assert any("image/png" in o.get("data", {}) for o in outputs[-1])  # the map
