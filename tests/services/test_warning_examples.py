"""The value counts of a row-counting warning, summed over the batches of one import."""

from __future__ import annotations

from terraplan.services.warning_examples import examples, summed, with_examples

MONDAY = "1,204 opportunities read as open from the stage (e.g. 'Negotiation': 1,200, \"Won't Proceed\": 4): rename"
TUESDAY = (
    "7 opportunities read as open from the stage (e.g. \"Won't Proceed\": 5, 'Demo': 2): rename"
)


def test_examples_are_read_with_quotes_and_thousands_separators() -> None:
    assert examples(MONDAY) == {"'Negotiation'": 1200, '"Won\'t Proceed"': 4}
    assert examples("3 accounts name an owner (e.g. 0055, 0056)") is None
    assert examples("no examples here") is None


def test_summed_examples_are_listed_most_frequent_first() -> None:
    total = summed(summed({}, MONDAY), TUESDAY)
    assert total == {"'Negotiation'": 1200, '"Won\'t Proceed"': 9, "'Demo'": 2}
    assert with_examples(MONDAY.replace("1,204", "1,211"), total, 3) == (
        "1,211 opportunities read as open from the stage (e.g. 'Negotiation': 1,200,"
        " \"Won't Proceed\": 9, 'Demo': 2): rename"
    )
    assert with_examples(TUESDAY, total, 1) == (
        "7 opportunities read as open from the stage (e.g. 'Negotiation': 1,200, and 2 more): rename"
    )


def test_a_batch_without_value_counts_stops_the_sum() -> None:
    assert summed({"'A'": 1}, "2 rows (e.g. 0055)") is None
    assert summed(None, MONDAY) is None


def test_more_values_than_shown_are_counted() -> None:
    counts = {f"'Stage {n:02d}'": 20 - n for n in range(14)}
    text = with_examples("14 opportunities read as open (e.g. 'Stage 00': 20): rename", counts)
    assert text.endswith("'Stage 11': 9, and 2 more): rename")
