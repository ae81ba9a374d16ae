"""terraplan with pandas or Polars DataFrames (notebooks, data science work).

Typical use::

    import terraplan.frames as tf

    data = tf.demo_frames(n_accounts=2_000)          # dict of pandas DataFrames
    design = tf.design_territories(data["geo_units"], accounts=data["accounts"],
                                   n_territories=8, balance={"potential": 0.10}, seed=1)
    design.balance()                                 # DataFrame: territory x metric
    design.to_geodataframe().plot(column="potential")  # needs the `geo` extra

Frames in have the import columns (see the README: the same names and Salesforce names as
``terraplan import``) and are checked by the same validation; a bad row raises
:class:`~terraplan.errors.DataError` naming the row index, column and reason. Results come
back as pandas DataFrames (``library="polars"`` for Polars). pandas and GeoPandas are
optional; importing this module imports neither.
"""

from terraplan.frames.convert import as_polars, is_frame, records, records_frame, validate_frame
from terraplan.frames.jobs import (
    Design,
    add_account_metrics,
    assign_accounts,
    compute_kpis,
    demo_frames,
    design_territories,
    match_reps,
    set_targets,
    to_frame,
)
from terraplan.planning.design_options import BalanceWindow, TravelCost
from terraplan.planning.unit_metrics import ACCOUNT_METRICS

__all__ = [
    "ACCOUNT_METRICS",
    "BalanceWindow",
    "Design",
    "TravelCost",
    "add_account_metrics",
    "as_polars",
    "assign_accounts",
    "compute_kpis",
    "demo_frames",
    "design_territories",
    "is_frame",
    "match_reps",
    "records",
    "records_frame",
    "set_targets",
    "to_frame",
    "validate_frame",
]
