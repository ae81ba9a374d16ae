"""Names as the user knows them, with the id beside a name two records share."""

from __future__ import annotations

from terraplan.domain.names import distinct_labels, name_key


def test_a_shared_name_gets_its_id_beside_it() -> None:
    labels = distinct_labels(
        [("R1", "Alex Kim"), ("R2", "alex  KIM"), ("R3", "Sam Roy"), ("R4", None), ("R5", "")]
    )
    assert labels == {
        "R1": "Alex Kim (R1)",
        "R2": "alex  KIM (R2)",
        "R3": "Sam Roy",
        "R4": "R4",
        "R5": "R5",
    }
    assert name_key(" Alex   Kim ") == name_key("alex kim") == "alex kim"
