WITH tp_periods AS (
  SELECT
    '2026Q1' AS period,
    'quarter' AS grain,
    CAST('2026-01-01' AS DATE) AS period_start,
    CAST('2026-03-31' AS DATE) AS period_end,
    CAST('2026-03-15' AS DATE) AS cut,
    24312 AS start_m,
    24314 AS cut_m,
    TRUE AS partial,
    0.8222222222222222 AS elapsed_share,
    0.20698924731182797 AS period_years,
    1 AS grain_order
  UNION ALL
  SELECT
    'YTD' AS period,
    'ytd' AS grain,
    CAST('2026-01-01' AS DATE) AS period_start,
    CAST('2026-03-15' AS DATE) AS period_end,
    CAST('2026-03-15' AS DATE) AS cut,
    24312 AS start_m,
    24314 AS cut_m,
    TRUE AS partial,
    1.0 AS elapsed_share,
    0.20698924731182797 AS period_years,
    3 AS grain_order
), tp_shared_raw AS (
  SELECT
    CAST(s.territory_id AS STRING) AS territory_id,
    CAST(s.rep_id AS STRING) AS rep_id,
    CAST(s.share AS FLOAT64) AS share,
    CAST(s.rep_order AS INT64) AS rep_order
  FROM crm.shared_owners AS s
  WHERE
    NOT s.territory_id IS NULL AND NOT s.rep_id IS NULL
), tp_shared_w AS (
  SELECT
    territory_id,
    rep_id,
    share / SUM(share) OVER (PARTITION BY territory_id) AS weight
  FROM tp_shared_raw
), tp_shared_turns AS (
  SELECT
    territory_id,
    rep_id,
    ROW_NUMBER() OVER (PARTITION BY territory_id ORDER BY rep_order NULLS LAST, rep_id NULLS LAST) - 1 AS turn,
    COUNT(*) OVER (PARTITION BY territory_id) AS n_reps
  FROM (
    SELECT
      territory_id,
      rep_id,
      MIN(rep_order) AS rep_order
    FROM tp_shared_raw
    GROUP BY
      territory_id,
      rep_id
  ) AS r
), tp_acc_raw AS (
  SELECT
    CAST(a.id AS STRING) AS account_id,
    CAST(a.segment AS STRING) AS segment,
    CAST(a.industry AS STRING) AS industry,
    CAST(a.potential AS FLOAT64) AS potential,
    CAST(a.owner_id AS STRING) AS owner_id,
    (
      CAST(EXTRACT(YEAR FROM CAST(a.closed_on AS DATE)) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM CAST(a.closed_on AS DATE)) AS INT64) - 1
    ) AS closed_m
  FROM crm.accounts AS a
), tp_ali AS (
  SELECT
    CAST(l.account_id AS STRING) AS account_id,
    CAST(l.territory_id AS STRING) AS territory_id
  FROM crm.alignment AS l
), tp_acc_base AS (
  SELECT
    COALESCE(a.account_id, l.account_id) AS account_id,
    l.territory_id,
    a.segment,
    a.industry,
    a.potential,
    a.closed_m,
    a.owner_id
  FROM tp_acc_raw AS a
  FULL OUTER JOIN tp_ali AS l
    ON a.account_id = l.account_id
), tp_acc_held AS (
  SELECT
    b.account_id,
    b.territory_id,
    b.segment,
    b.industry,
    b.potential,
    b.closed_m,
    h.rep_id AS holder_id
  FROM tp_acc_base AS b
  LEFT JOIN (
    SELECT DISTINCT
      territory_id,
      rep_id
    FROM tp_shared_raw
  ) AS h
    ON h.territory_id = b.territory_id AND h.rep_id = b.owner_id
), tp_acc AS (
  SELECT
    account_id,
    territory_id,
    segment,
    industry,
    potential,
    closed_m,
    holder_id,
    ROW_NUMBER() OVER (ORDER BY account_id NULLS LAST) AS acc,
    DENSE_RANK() OVER (
      ORDER BY territory_id NULLS LAST, segment NULLS LAST, industry NULLS LAST, holder_id NULLS LAST
    ) AS cell
  FROM tp_acc_held
), tp_terr0 AS (
  SELECT
    CAST(t.id AS STRING) AS territory_id,
    CAST(t.parent_id AS STRING) AS parent_id,
    CAST(t.owner_id AS STRING) AS owner_id
  FROM crm.territories AS t
), tp_terr AS (
  SELECT
    *
  FROM tp_terr0
  UNION ALL
  SELECT DISTINCT
    l.territory_id,
    CAST(NULL AS STRING) AS parent_id,
    CAST(NULL AS STRING) AS owner_id
  FROM tp_ali AS l
  LEFT JOIN tp_terr0 AS k
    ON k.territory_id = l.territory_id
  WHERE
    NOT l.territory_id IS NULL AND k.territory_id IS NULL
), tp_parents AS (
  SELECT DISTINCT
    parent_id
  FROM tp_terr
  WHERE
    NOT parent_id IS NULL
), tp_nodes AS (
  SELECT
    t.territory_id,
    t.parent_id,
    t.owner_id,
    p.parent_id IS NULL AS is_leaf
  FROM tp_terr AS t
  LEFT JOIN tp_parents AS p
    ON p.parent_id = t.territory_id
), tp_anc AS (
  SELECT
    n0.territory_id,
    n0.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  WHERE
    n0.is_leaf AND NOT n0.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n1.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  WHERE
    n0.is_leaf AND NOT n1.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n2.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  JOIN tp_nodes AS n2
    ON n2.territory_id = n1.parent_id
  WHERE
    n0.is_leaf AND NOT n2.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n3.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  JOIN tp_nodes AS n2
    ON n2.territory_id = n1.parent_id
  JOIN tp_nodes AS n3
    ON n3.territory_id = n2.parent_id
  WHERE
    n0.is_leaf AND NOT n3.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n4.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  JOIN tp_nodes AS n2
    ON n2.territory_id = n1.parent_id
  JOIN tp_nodes AS n3
    ON n3.territory_id = n2.parent_id
  JOIN tp_nodes AS n4
    ON n4.territory_id = n3.parent_id
  WHERE
    n0.is_leaf AND NOT n4.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n5.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  JOIN tp_nodes AS n2
    ON n2.territory_id = n1.parent_id
  JOIN tp_nodes AS n3
    ON n3.territory_id = n2.parent_id
  JOIN tp_nodes AS n4
    ON n4.territory_id = n3.parent_id
  JOIN tp_nodes AS n5
    ON n5.territory_id = n4.parent_id
  WHERE
    n0.is_leaf AND NOT n5.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n6.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  JOIN tp_nodes AS n2
    ON n2.territory_id = n1.parent_id
  JOIN tp_nodes AS n3
    ON n3.territory_id = n2.parent_id
  JOIN tp_nodes AS n4
    ON n4.territory_id = n3.parent_id
  JOIN tp_nodes AS n5
    ON n5.territory_id = n4.parent_id
  JOIN tp_nodes AS n6
    ON n6.territory_id = n5.parent_id
  WHERE
    n0.is_leaf AND NOT n6.parent_id IS NULL
  UNION DISTINCT
  SELECT
    n0.territory_id,
    n7.parent_id AS ancestor_id
  FROM tp_nodes AS n0
  JOIN tp_nodes AS n1
    ON n1.territory_id = n0.parent_id
  JOIN tp_nodes AS n2
    ON n2.territory_id = n1.parent_id
  JOIN tp_nodes AS n3
    ON n3.territory_id = n2.parent_id
  JOIN tp_nodes AS n4
    ON n4.territory_id = n3.parent_id
  JOIN tp_nodes AS n5
    ON n5.territory_id = n4.parent_id
  JOIN tp_nodes AS n6
    ON n6.territory_id = n5.parent_id
  JOIN tp_nodes AS n7
    ON n7.territory_id = n6.parent_id
  WHERE
    n0.is_leaf AND NOT n7.parent_id IS NULL
), tp_cells AS (
  SELECT DISTINCT
    cell,
    territory_id,
    segment,
    industry,
    holder_id
  FROM tp_acc
), tp_sales AS (
  SELECT
    s.account_id,
    (
      EXTRACT(YEAR FROM s.date) * 12 + EXTRACT(MONTH FROM s.date) - 1
    ) AS m,
    SUM(
      CASE
        WHEN s.date > CAST('2025-03-15' AS DATE)
        THEN 0.0
        ELSE CAST(s.amount AS FLOAT64)
      END
    ) AS early,
    SUM(
      CASE
        WHEN s.date > CAST('2025-03-15' AS DATE)
        THEN CAST(s.amount AS FLOAT64)
        ELSE 0.0
      END
    ) AS late
  FROM crm.sales_lines AS s
  WHERE
    s.date <= CAST('2026-03-15' AS DATE)
  GROUP BY
    1,
    2
), tp_am AS (
  SELECT
    a.acc,
    a.cell,
    a.potential,
    a.closed_m,
    CAST(s.m AS INT64) AS m,
    s.early,
    s.late,
    s.early > 0 OR s.late > 0 AS sold,
    s.account_id AS source_id
  FROM tp_sales AS s
  JOIN tp_acc AS a
    ON a.account_id = CAST(s.account_id AS STRING)
), tp_opp AS (
  SELECT
    CAST(o.id AS STRING) AS opp_id,
    a.account_id,
    a.acc,
    a.cell,
    CAST(o.created_date AS DATE) AS created_date,
    (
      CAST(EXTRACT(YEAR FROM o.created_date) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM o.created_date) AS INT64) - 1
    ) AS cm,
    (
      CAST(EXTRACT(YEAR FROM o.close_date) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM o.close_date) AS INT64) - 1
    ) AS xm,
    CAST(o.amount AS FLOAT64) AS amount,
    COALESCE(COALESCE(o.is_closed, FALSE) AND o.close_date <= CAST('2026-03-15' AS DATE), FALSE) AS closed,
    COALESCE(o.is_closed, FALSE) AND o.close_date IS NULL AS undated,
    COALESCE(o.is_won, FALSE) AS won,
    COALESCE(COALESCE(o.is_won, FALSE) AND o.close_date <= CAST('2026-03-15' AS DATE), FALSE) AS won_by_as_of,
    COALESCE(COALESCE(o.is_won, FALSE) AND CAST(o.amount AS FLOAT64) < 0, FALSE) AS credit,
    COALESCE(o.deal_type IN ('New Business'), FALSE) AS new_deal,
    COALESCE(
      o.deal_type IN (
        'Existing Business',
        'Renewal',
        'Upsell',
        'Add-On',
        'Expansion',
        'Cross-Sell',
        'Upgrade',
        'Downgrade'
      ),
      FALSE
    ) AS existing_deal,
    CAST(DATE_DIFF(o.close_date, o.created_date, DAY) AS FLOAT64) AS days
  FROM crm.opportunities AS o
  LEFT JOIN tp_acc AS a
    ON a.account_id = CAST(o.account_id AS STRING)
  WHERE
    o.created_date <= CAST('2026-03-15' AS DATE)
), tp_opp_known AS (
  SELECT
    *
  FROM tp_opp
  WHERE
    NOT acc IS NULL
), tp_rev AS (
  SELECT
    cell,
    m,
    SUM(early) AS revenue_early,
    SUM(late) AS revenue_late
  FROM tp_am
  GROUP BY
    cell,
    m
), tp_first AS (
  SELECT
    acc,
    MIN(m) AS m
  FROM (
    SELECT
      acc,
      m
    FROM tp_am
    WHERE
      sold
    UNION ALL
    SELECT
      acc,
      xm AS m
    FROM tp_opp_known
    WHERE
      won_by_as_of AND NOT credit
  ) AS b
  GROUP BY
    acc
), tp_renewed AS (
  SELECT
    acc,
    MIN(CASE WHEN existing_deal THEN xm END) AS renewed,
    MIN(CASE WHEN new_deal THEN xm END) AS newbiz
  FROM tp_opp_known
  WHERE
    won_by_as_of AND NOT credit
  GROUP BY
    acc
), tp_new AS (
  SELECT
    f.acc,
    f.m
  FROM tp_first AS f
  LEFT JOIN tp_renewed AS r
    ON r.acc = f.acc
  WHERE
    r.renewed IS NULL OR r.renewed > f.m OR COALESCE(r.newbiz = f.m, FALSE)
), tp_act AS (
  SELECT
    acc,
    cell,
    m,
    closed_m
  FROM tp_am
  WHERE
    sold AND (
      closed_m IS NULL OR m < closed_m
    )
  UNION ALL
  SELECT
    o.acc,
    o.cell,
    o.cm AS m,
    a.closed_m
  FROM tp_opp_known AS o
  JOIN tp_acc AS a
    ON a.acc = o.acc
  WHERE
    (
      a.closed_m IS NULL OR o.cm < a.closed_m
    ) AND NOT o.credit
), tp_act_runs AS (
  SELECT
    cell,
    m,
    closed_m,
    LAG(m) OVER (PARTITION BY acc ORDER BY m NULLS LAST) AS prev_m,
    LEAD(m) OVER (PARTITION BY acc ORDER BY m NULLS LAST) AS next_m
  FROM tp_act
), tp_events AS (
  SELECT
    cell,
    m,
    revenue_early,
    revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_rev
  UNION ALL
  SELECT
    a.cell AS cell,
    n.m AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    1.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_new AS n
    JOIN tp_acc AS a
      ON a.acc = n.acc
  UNION ALL
  SELECT
    cell,
    cm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    amount AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_opp_known
  WHERE
    NOT undated AND NOT credit
  UNION ALL
  SELECT
    cell,
    xm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    1.0 AS opps_closed,
    CASE WHEN won THEN 1.0 ELSE 0.0 END AS opps_won,
    CASE WHEN won THEN amount ELSE 0.0 END AS won_amount,
    CASE WHEN won THEN days ELSE 0.0 END AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    -amount AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_opp_known
  WHERE
    closed AND NOT credit
  UNION ALL
  SELECT
    cell,
    xm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    CASE WHEN new_deal THEN amount ELSE 0.0 END AS new_won,
    CASE WHEN existing_deal THEN amount ELSE 0.0 END AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_opp_known
  WHERE
    closed AND won
  UNION ALL
  SELECT
    cell,
    m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    1.0 AS active_delta
  FROM tp_act_runs
  WHERE
    prev_m IS NULL OR m - prev_m >= 6
  UNION ALL
  SELECT
    cell,
    LEAST(m + 6, COALESCE(closed_m, m + 6)) AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    -1.0 AS active_delta
  FROM tp_act_runs
  WHERE
    next_m IS NULL OR next_m - m >= 6
), tp_cm AS (
  SELECT
    cell,
    m,
    SUM(revenue_early) AS revenue_early,
    SUM(revenue_late) AS revenue_late,
    SUM(new_customers) AS new_customers,
    SUM(opps_closed) AS opps_closed,
    SUM(opps_won) AS opps_won,
    SUM(won_amount) AS won_amount,
    SUM(cycle_days) AS cycle_days,
    SUM(new_won) AS new_won,
    SUM(existing_won) AS existing_won,
    SUM(pipeline_delta) AS pipeline_delta,
    SUM(active_delta) AS active_delta
  FROM tp_events
  GROUP BY
    cell,
    m
), tp_cm_named AS (
  SELECT
    c.territory_id,
    c.segment,
    c.industry,
    c.holder_id,
    x.m,
    x.revenue_early,
    x.revenue_late,
    x.new_customers,
    x.opps_closed,
    x.opps_won,
    x.won_amount,
    x.cycle_days,
    x.new_won,
    x.existing_won,
    x.pipeline_delta,
    x.active_delta
  FROM tp_cm AS x
  JOIN tp_cells AS c
    ON c.cell = x.cell
), tp_opp_later AS (
  SELECT DISTINCT
    CAST(o.id AS STRING) AS opp_id
  FROM crm.opportunities AS o
  WHERE
    o.created_date > CAST('2026-03-15' AS DATE)
), tp_lead_seq AS (
  SELECT
    (
      CAST(EXTRACT(YEAR FROM d.created_date) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM d.created_date) AS INT64) - 1
    ) AS m,
    CAST(d.territory_id AS STRING) AS territory_id,
    CAST(d.segment AS STRING) AS segment,
    CAST(d.industry AS STRING) AS industry,
    1.0 AS leads,
    CASE
      WHEN NOT CAST(d.converted_opportunity_id AS STRING) IS NULL AND lt.opp_id IS NULL
      THEN 1.0
      ELSE 0.0
    END AS leads_converted,
    CASE WHEN o.won_by_as_of THEN 1.0 ELSE 0.0 END AS leads_won,
    ROW_NUMBER() OVER (
      PARTITION BY CAST(d.territory_id AS STRING)
      ORDER BY d.created_date NULLS LAST, CAST(d.id AS STRING) NULLS LAST
    ) - 1 AS place
  FROM crm.leads AS d
  LEFT JOIN tp_opp AS o
    ON o.opp_id = CAST(d.converted_opportunity_id AS STRING)
  LEFT JOIN tp_opp_later AS lt
    ON lt.opp_id = CAST(d.converted_opportunity_id AS STRING)
  WHERE
    d.created_date <= CAST('2026-03-15' AS DATE)
), tp_lead_rows AS (
  SELECT
    q.m,
    q.territory_id,
    q.segment,
    q.industry,
    q.leads,
    q.leads_converted,
    q.leads_won,
    t.rep_id AS holder_id
  FROM tp_lead_seq AS q
  LEFT JOIN tp_shared_turns AS t
    ON t.territory_id = q.territory_id
    AND t.turn = q.place - t.n_reps * FLOOR(q.place / t.n_reps)
), tp_own AS (
  SELECT
    CAST(o.account_id AS STRING) AS account_id,
    CAST(o.owner_id AS STRING) AS owner_id,
    CAST(o.valid_from AS DATE) AS valid_from,
    CAST(o.valid_to AS DATE) AS valid_to
  FROM crm.ownership AS o
), tp_today AS (
  SELECT
    a.account_id,
    COALESCE(a.holder_id, n.owner_id) AS today
  FROM tp_acc AS a
  LEFT JOIN tp_nodes AS n
    ON n.territory_id = a.territory_id AND n.is_leaf
), tp_changed AS (
  SELECT DISTINCT
    t.account_id,
    t.today
  FROM tp_today AS t
  JOIN tp_own AS o
    ON o.account_id = t.account_id
  WHERE
    o.owner_id IS DISTINCT FROM t.today
), tp_changed_ids AS (
  SELECT DISTINCT
    am.source_id,
    c.account_id,
    c.today
  FROM tp_am AS am
  JOIN tp_acc AS a
    ON a.acc = am.acc
  JOIN tp_changed AS c
    ON c.account_id = a.account_id
), tp_moved_lines AS (
  SELECT
    c.account_id,
    c.today,
    s.date AS day,
    SUM(CAST(s.amount AS FLOAT64)) AS amount
  FROM crm.sales_lines AS s
  JOIN tp_changed_ids AS c
    ON c.source_id = s.account_id
  WHERE
    s.date <= CAST('2026-03-15' AS DATE)
  GROUP BY
    1,
    2,
    3
), tp_moved_opps AS (
  SELECT
    c.account_id,
    c.today,
    o.created_date AS day,
    o.cm,
    o.xm,
    o.amount,
    o.closed,
    o.undated,
    o.won,
    o.days,
    o.credit,
    o.new_deal,
    o.existing_deal
  FROM tp_opp AS o
  JOIN tp_changed AS c
    ON c.account_id = o.account_id
), tp_credit_days AS (
  SELECT
    account_id,
    day
  FROM tp_moved_lines
  UNION DISTINCT
  SELECT
    account_id,
    day
  FROM tp_moved_opps
), tp_first_own AS (
  SELECT
    account_id,
    MIN(valid_from) AS first_from
  FROM tp_own
  GROUP BY
    account_id
), tp_day_spans AS (
  SELECT
    d.account_id,
    d.day,
    f.first_from,
    o.owner_id,
    o.valid_to,
    ROW_NUMBER() OVER (
      PARTITION BY d.account_id, d.day
      ORDER BY o.valid_from DESC, o.owner_id NULLS LAST
    ) AS pos
  FROM tp_credit_days AS d
  JOIN tp_first_own AS f
    ON f.account_id = d.account_id
  JOIN tp_own AS o
    ON o.account_id = d.account_id
    AND o.valid_from <= CASE WHEN d.day < f.first_from THEN f.first_from ELSE d.day END
), tp_day_owner AS (
  SELECT
    account_id,
    day,
    owner_id,
    day < first_from OR valid_to IS NULL OR day <= valid_to AS covered
  FROM tp_day_spans
  WHERE
    pos = 1
), tp_credit_lines AS (
  SELECT
    l.today,
    CASE WHEN COALESCE(x.covered, FALSE) THEN x.owner_id ELSE l.today END AS owner,
    (
      CAST(EXTRACT(YEAR FROM l.day) AS INT64) * 12 + CAST(EXTRACT(MONTH FROM l.day) AS INT64) - 1
    ) AS m,
    CASE WHEN l.day > CAST('2025-03-15' AS DATE) THEN 0.0 ELSE l.amount END AS early,
    CASE WHEN l.day > CAST('2025-03-15' AS DATE) THEN l.amount ELSE 0.0 END AS late
  FROM tp_moved_lines AS l
  LEFT JOIN tp_day_owner AS x
    ON x.account_id = l.account_id AND x.day = l.day
), tp_credit_opps AS (
  SELECT
    l.*,
    CASE WHEN COALESCE(x.covered, FALSE) THEN x.owner_id ELSE l.today END AS owner
  FROM tp_moved_opps AS l
  LEFT JOIN tp_day_owner AS x
    ON x.account_id = l.account_id AND x.day = l.day
), tp_credit AS (
  SELECT
    owner AS key,
    m,
    early AS revenue_early,
    late AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_lines
  WHERE
    NOT owner IS NULL AND owner IS DISTINCT FROM today
  UNION ALL
  SELECT
    today AS key,
    m,
    -early AS revenue_early,
    -late AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_lines
  WHERE
    NOT today IS NULL AND owner IS DISTINCT FROM today
  UNION ALL
  SELECT
    owner AS key,
    cm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    amount AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_opps
  WHERE
    (
      NOT undated AND NOT credit
    )
    AND (
      NOT owner IS NULL AND owner IS DISTINCT FROM today
    )
  UNION ALL
  SELECT
    owner AS key,
    xm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    1.0 AS opps_closed,
    CASE WHEN won THEN 1.0 ELSE 0.0 END AS opps_won,
    CASE WHEN won THEN amount ELSE 0.0 END AS won_amount,
    CASE WHEN won THEN days ELSE 0.0 END AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    -amount AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_opps
  WHERE
    (
      closed AND NOT credit
    )
    AND (
      NOT owner IS NULL AND owner IS DISTINCT FROM today
    )
  UNION ALL
  SELECT
    owner AS key,
    xm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    CASE WHEN new_deal THEN amount ELSE 0.0 END AS new_won,
    CASE WHEN existing_deal THEN amount ELSE 0.0 END AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_opps
  WHERE
    (
      closed AND won
    ) AND (
      NOT owner IS NULL AND owner IS DISTINCT FROM today
    )
  UNION ALL
  SELECT
    today AS key,
    cm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    -amount AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_opps
  WHERE
    (
      NOT undated AND NOT credit
    )
    AND (
      NOT today IS NULL AND owner IS DISTINCT FROM today
    )
  UNION ALL
  SELECT
    today AS key,
    xm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    -1.0 AS opps_closed,
    -CASE WHEN won THEN 1.0 ELSE 0.0 END AS opps_won,
    -CASE WHEN won THEN amount ELSE 0.0 END AS won_amount,
    -CASE WHEN won THEN days ELSE 0.0 END AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    amount AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_opps
  WHERE
    (
      closed AND NOT credit
    )
    AND (
      NOT today IS NULL AND owner IS DISTINCT FROM today
    )
  UNION ALL
  SELECT
    today AS key,
    xm AS m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    -CASE WHEN new_deal THEN amount ELSE 0.0 END AS new_won,
    -CASE WHEN existing_deal THEN amount ELSE 0.0 END AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta
  FROM tp_credit_opps
  WHERE
    (
      closed AND won
    ) AND (
      NOT today IS NULL AND owner IS DISTINCT FROM today
    )
), tp_cm_groups AS (
  SELECT
    'territory' AS dimension,
    r.territory_id AS key,
    r.m,
    r.revenue_early,
    r.revenue_late,
    r.new_customers,
    r.opps_closed,
    r.opps_won,
    r.won_amount,
    r.cycle_days,
    r.new_won,
    r.existing_won,
    r.pipeline_delta,
    r.active_delta
  FROM tp_cm_named AS r
  WHERE
    NOT r.territory_id IS NULL
  UNION ALL
  SELECT
    'rep' AS dimension,
    COALESCE(r.holder_id, g.owner_id) AS key,
    r.m,
    r.revenue_early,
    r.revenue_late,
    r.new_customers,
    r.opps_closed,
    r.opps_won,
    r.won_amount,
    r.cycle_days,
    r.new_won,
    r.existing_won,
    r.pipeline_delta,
    r.active_delta
  FROM tp_cm_named AS r
  JOIN tp_nodes AS g
    ON g.territory_id = r.territory_id
  WHERE
    g.is_leaf AND NOT COALESCE(r.holder_id, g.owner_id) IS NULL
), tp_lead_groups AS (
  SELECT
    'territory' AS dimension,
    r.territory_id AS key,
    r.m,
    r.leads,
    r.leads_converted,
    r.leads_won
  FROM tp_lead_rows AS r
  WHERE
    NOT r.territory_id IS NULL
  UNION ALL
  SELECT
    'rep' AS dimension,
    COALESCE(r.holder_id, g.owner_id) AS key,
    r.m,
    r.leads,
    r.leads_converted,
    r.leads_won
  FROM tp_lead_rows AS r
  JOIN tp_nodes AS g
    ON g.territory_id = r.territory_id
  WHERE
    g.is_leaf AND NOT COALESCE(r.holder_id, g.owner_id) IS NULL
), tp_gm_rows AS (
  SELECT
    dimension,
    key,
    m,
    revenue_early,
    revenue_late,
    new_customers,
    opps_closed,
    opps_won,
    won_amount,
    cycle_days,
    new_won,
    existing_won,
    pipeline_delta,
    active_delta,
    0.0 AS leads,
    0.0 AS leads_converted,
    0.0 AS leads_won
  FROM tp_cm_groups
  UNION ALL
  SELECT
    dimension,
    key,
    m,
    0.0 AS revenue_early,
    0.0 AS revenue_late,
    0.0 AS new_customers,
    0.0 AS opps_closed,
    0.0 AS opps_won,
    0.0 AS won_amount,
    0.0 AS cycle_days,
    0.0 AS new_won,
    0.0 AS existing_won,
    0.0 AS pipeline_delta,
    0.0 AS active_delta,
    leads,
    leads_converted,
    leads_won
  FROM tp_lead_groups
  UNION ALL
  SELECT
    'rep' AS dimension,
    key,
    m,
    revenue_early,
    revenue_late,
    new_customers,
    opps_closed,
    opps_won,
    won_amount,
    cycle_days,
    new_won,
    existing_won,
    pipeline_delta,
    active_delta,
    0.0 AS leads,
    0.0 AS leads_converted,
    0.0 AS leads_won
  FROM tp_credit
), tp_gm AS (
  SELECT
    dimension,
    key,
    m,
    CASE WHEN ABS(SUM(revenue_early)) < 1e-6 THEN 0.0 ELSE SUM(revenue_early) END AS revenue_early,
    CASE WHEN ABS(SUM(revenue_late)) < 1e-6 THEN 0.0 ELSE SUM(revenue_late) END AS revenue_late,
    CASE WHEN ABS(SUM(new_customers)) < 1e-6 THEN 0.0 ELSE SUM(new_customers) END AS new_customers,
    CASE WHEN ABS(SUM(opps_closed)) < 1e-6 THEN 0.0 ELSE SUM(opps_closed) END AS opps_closed,
    CASE WHEN ABS(SUM(opps_won)) < 1e-6 THEN 0.0 ELSE SUM(opps_won) END AS opps_won,
    CASE WHEN ABS(SUM(won_amount)) < 1e-6 THEN 0.0 ELSE SUM(won_amount) END AS won_amount,
    CASE WHEN ABS(SUM(cycle_days)) < 1e-6 THEN 0.0 ELSE SUM(cycle_days) END AS cycle_days,
    CASE WHEN ABS(SUM(new_won)) < 1e-6 THEN 0.0 ELSE SUM(new_won) END AS new_won,
    CASE WHEN ABS(SUM(existing_won)) < 1e-6 THEN 0.0 ELSE SUM(existing_won) END AS existing_won,
    CASE WHEN ABS(SUM(pipeline_delta)) < 1e-6 THEN 0.0 ELSE SUM(pipeline_delta) END AS pipeline_delta,
    CASE WHEN ABS(SUM(active_delta)) < 1e-6 THEN 0.0 ELSE SUM(active_delta) END AS active_delta,
    CASE WHEN ABS(SUM(leads)) < 1e-6 THEN 0.0 ELSE SUM(leads) END AS leads,
    CASE WHEN ABS(SUM(leads_converted)) < 1e-6 THEN 0.0 ELSE SUM(leads_converted) END AS leads_converted,
    CASE WHEN ABS(SUM(leads_won)) < 1e-6 THEN 0.0 ELSE SUM(leads_won) END AS leads_won,
    CASE
      WHEN ABS(SUM(revenue_early) + SUM(revenue_late)) < 1e-6
      THEN 0.0
      ELSE SUM(revenue_early) + SUM(revenue_late)
    END AS revenue
  FROM tp_gm_rows
  GROUP BY
    dimension,
    key,
    m
), tp_flows AS (
  SELECT
    gm.dimension,
    gm.key,
    p.period,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.revenue ELSE 0.0 END) AS revenue,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.new_customers ELSE 0.0 END) AS new_customers,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.opps_closed ELSE 0.0 END) AS opps_closed,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.opps_won ELSE 0.0 END) AS opps_won,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.won_amount ELSE 0.0 END) AS won_amount,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.cycle_days ELSE 0.0 END) AS cycle_days,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.new_won ELSE 0.0 END) AS new_won,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.existing_won ELSE 0.0 END) AS existing_won,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.leads ELSE 0.0 END) AS leads,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.leads_converted ELSE 0.0 END) AS leads_converted,
    SUM(CASE WHEN gm.m >= p.start_m THEN gm.leads_won ELSE 0.0 END) AS leads_won,
    SUM(
      CASE
        WHEN gm.m <= p.cut_m - 12
        THEN gm.revenue_early + CASE WHEN p.partial THEN 0.0 ELSE gm.revenue_late END
        ELSE 0.0
      END
    ) AS revenue_prior_year
  FROM tp_gm AS gm
  JOIN tp_periods AS p
    ON p.cut_m >= p.start_m
    AND (
      (
        gm.m >= p.start_m AND gm.m <= p.cut_m
      )
      OR (
        gm.m >= p.start_m - 12 AND gm.m <= p.cut_m - 12
      )
    )
  GROUP BY
    gm.dimension,
    gm.key,
    p.period
), tp_stocks AS (
  SELECT
    s.dimension,
    s.key,
    p.period,
    SUM(s.pipeline_delta) AS open_pipeline,
    SUM(s.active_delta) AS active_accounts
  FROM tp_gm AS s
  JOIN tp_periods AS p
    ON s.m <= p.cut_m
  GROUP BY
    s.dimension,
    s.key,
    p.period
), tp_book AS (
  SELECT
    cell,
    closed_m,
    CAST(COUNT(*) AS FLOAT64) AS account_count,
    SUM(potential) AS potential
  FROM tp_acc
  GROUP BY
    cell,
    closed_m
), tp_static_cells AS (
  SELECT
    c.territory_id,
    c.segment,
    c.industry,
    c.holder_id,
    x.period,
    x.account_count,
    x.potential
  FROM (
    SELECT
      k.cell,
      p.period,
      SUM(k.account_count) AS account_count,
      SUM(k.potential) AS potential
    FROM tp_book AS k
    JOIN tp_periods AS p
      ON k.closed_m IS NULL OR k.closed_m >= p.start_m
    GROUP BY
      k.cell,
      p.period
  ) AS x
  JOIN tp_cells AS c
    ON c.cell = x.cell
), tp_static_groups AS (
  SELECT
    'territory' AS dimension,
    r.territory_id AS key,
    r.period,
    r.account_count,
    r.potential
  FROM tp_static_cells AS r
  WHERE
    NOT r.territory_id IS NULL
  UNION ALL
  SELECT
    'rep' AS dimension,
    COALESCE(r.holder_id, g.owner_id) AS key,
    r.period,
    r.account_count,
    r.potential
  FROM tp_static_cells AS r
  JOIN tp_nodes AS g
    ON g.territory_id = r.territory_id
  WHERE
    g.is_leaf AND NOT COALESCE(r.holder_id, g.owner_id) IS NULL
), tp_static AS (
  SELECT
    dimension,
    key,
    period,
    SUM(account_count) AS account_count,
    SUM(potential) AS potential
  FROM tp_static_groups
  GROUP BY
    dimension,
    key,
    period
), tp_months AS (
  SELECT DISTINCT
    m
  FROM tp_rev
), tp_period_months AS (
  SELECT
    p.period,
    t.m
  FROM tp_months AS t
  JOIN tp_periods AS p
    ON t.m >= p.start_m AND t.m <= p.cut_m
  WHERE
    p.cut_m > p.start_m
), tp_acc_period AS (
  SELECT
    am.acc,
    pm.period,
    SUM(am.early + am.late) AS revenue
  FROM tp_am AS am
  JOIN tp_period_months AS pm
    ON pm.m = am.m
  WHERE
    NOT am.potential IS NULL
  GROUP BY
    am.acc,
    pm.period
), tp_bought_cells AS (
  SELECT
    c.territory_id,
    c.segment,
    c.industry,
    c.holder_id,
    x.period,
    x.bought
  FROM (
    SELECT
      a.cell,
      r.period,
      SUM(LEAST(a.potential * p.period_years, r.revenue)) AS bought
    FROM tp_acc_period AS r
    JOIN tp_acc AS a
      ON a.acc = r.acc
    JOIN tp_periods AS p
      ON p.period = r.period
    WHERE
      a.closed_m IS NULL OR a.closed_m >= p.start_m
    GROUP BY
      a.cell,
      r.period
  ) AS x
  JOIN tp_cells AS c
    ON c.cell = x.cell
), tp_bought_groups AS (
  SELECT
    'territory' AS dimension,
    r.territory_id AS key,
    r.period,
    r.bought
  FROM tp_bought_cells AS r
  WHERE
    NOT r.territory_id IS NULL
  UNION ALL
  SELECT
    'rep' AS dimension,
    COALESCE(r.holder_id, g.owner_id) AS key,
    r.period,
    r.bought
  FROM tp_bought_cells AS r
  JOIN tp_nodes AS g
    ON g.territory_id = r.territory_id
  WHERE
    g.is_leaf AND NOT COALESCE(r.holder_id, g.owner_id) IS NULL
), tp_bought AS (
  SELECT
    dimension,
    key,
    period,
    SUM(bought) AS bought
  FROM tp_bought_groups
  GROUP BY
    dimension,
    key,
    period
), tp_targets_keyed AS (
  SELECT
    CAST(t.territory_id AS STRING) AS territory_id,
    CAST(t.rep_id AS STRING) AS rep_id,
    COALESCE(CAST(t.territory_id AS STRING), '') AS k_t,
    COALESCE(CAST(t.rep_id AS STRING), '') AS k_r,
    DATE_DIFF(CAST(t.period_start AS DATE), CAST('1970-01-01' AS DATE), DAY) AS d_s,
    DATE_DIFF(CAST(t.period_end AS DATE), CAST('1970-01-01' AS DATE), DAY) + 1 AS d_e,
    CAST(t.amount AS FLOAT64) AS amount
  FROM crm.targets AS t
  WHERE
    CAST(t.period_end AS DATE) >= CAST(t.period_start AS DATE)
    AND (
      t.metric IS NULL OR t.metric = 'revenue'
    )
), tp_targets_cuts AS (
  SELECT
    k_t,
    k_r,
    d_s AS a
  FROM tp_targets_keyed
  UNION DISTINCT
  SELECT
    k_t,
    k_r,
    d_e AS a
  FROM tp_targets_keyed
), tp_targets_pieces AS (
  SELECT
    k_t,
    k_r,
    a,
    LEAD(a) OVER (PARTITION BY k_t, k_r ORDER BY a) AS b
  FROM tp_targets_cuts
), tp_targets_ranked AS (
  SELECT
    k.territory_id,
    k.rep_id,
    s.a,
    s.b,
    k.amount * (
      s.b - s.a
    ) / (
      k.d_e - k.d_s
    ) AS amount,
    ROW_NUMBER() OVER (PARTITION BY s.k_t, s.k_r, s.a ORDER BY k.d_e - k.d_s, k.d_s, k.amount DESC) AS rn
  FROM tp_targets_pieces AS s
  JOIN tp_targets_keyed AS k
    ON k.k_t = s.k_t AND k.k_r = s.k_r AND k.d_s <= s.a AND s.a < k.d_e
  WHERE
    NOT s.b IS NULL
), tp_targets_fine AS (
  SELECT
    territory_id,
    rep_id,
    a AS d_start,
    b - 1 AS d_end,
    amount
  FROM tp_targets_ranked
  WHERE
    rn = 1
), tp_targets_raw AS (
  SELECT
    t.territory_id,
    t.rep_id,
    p.period,
    CAST(LEAST(t.d_end, DATE_DIFF(p.period_end, CAST('1970-01-01' AS DATE), DAY)) - GREATEST(t.d_start, DATE_DIFF(p.period_start, CAST('1970-01-01' AS DATE), DAY)) + 1 AS FLOAT64) AS overlap,
    CAST(LEAST(t.d_end, DATE_DIFF(p.cut, CAST('1970-01-01' AS DATE), DAY)) - GREATEST(t.d_start, DATE_DIFF(p.period_start, CAST('1970-01-01' AS DATE), DAY)) + 1 AS FLOAT64) AS overlap_due,
    CAST(t.d_end - t.d_start + 1 AS FLOAT64) AS span_days,
    t.amount
  FROM tp_targets_fine AS t
  JOIN tp_periods AS p
    ON TRUE
), tp_targets_spread AS (
  SELECT
    territory_id,
    rep_id,
    period,
    amount * overlap / span_days AS amount,
    CASE WHEN overlap_due > 0 THEN amount * overlap_due / span_days ELSE 0.0 END AS due
  FROM tp_targets_raw
  WHERE
    overlap > 0
), tp_targets_hires AS (
  SELECT
    CAST(r.id AS STRING) AS rep_id,
    MIN(DATE_DIFF(CAST(r.hire_date AS DATE), CAST('1970-01-01' AS DATE), DAY)) AS d_hire
  FROM crm.reps AS r
  WHERE
    NOT r.id IS NULL AND NOT r.hire_date IS NULL
  GROUP BY
    CAST(r.id AS STRING)
), tp_targets_rep_seg AS (
  SELECT
    t.rep_id AS key,
    1 AS direct,
    t.d_start,
    t.d_end,
    GREATEST(t.d_start, COALESCE(h.d_hire, t.d_start)) AS d_from,
    t.amount AS amount
  FROM tp_targets_fine AS t
  LEFT JOIN tp_targets_hires AS h
    ON h.rep_id = t.rep_id
  WHERE
    NOT t.rep_id IS NULL
  UNION ALL
  SELECT
    COALESCE(w.rep_id, g.owner_id) AS key,
    0 AS direct,
    t.d_start,
    t.d_end,
    GREATEST(t.d_start, COALESCE(h.d_hire, t.d_start)) AS d_from,
    t.amount * COALESCE(w.weight, 1.0) AS amount
  FROM tp_targets_fine AS t
  JOIN tp_nodes AS g
    ON g.territory_id = t.territory_id
  LEFT JOIN tp_shared_w AS w
    ON w.territory_id = t.territory_id
  LEFT JOIN tp_targets_hires AS h
    ON h.rep_id = COALESCE(w.rep_id, g.owner_id)
  WHERE
    NOT t.territory_id IS NULL
    AND COALESCE(g.is_leaf, FALSE)
    AND NOT COALESCE(w.rep_id, g.owner_id) IS NULL
), tp_targets_rep_raw AS (
  SELECT
    t.key,
    t.direct,
    p.period,
    CAST(LEAST(t.d_end, DATE_DIFF(p.period_end, CAST('1970-01-01' AS DATE), DAY)) - GREATEST(t.d_from, DATE_DIFF(p.period_start, CAST('1970-01-01' AS DATE), DAY)) + 1 AS FLOAT64) AS overlap,
    CAST(LEAST(t.d_end, DATE_DIFF(p.cut, CAST('1970-01-01' AS DATE), DAY)) - GREATEST(t.d_from, DATE_DIFF(p.period_start, CAST('1970-01-01' AS DATE), DAY)) + 1 AS FLOAT64) AS overlap_due,
    CAST(t.d_end - t.d_start + 1 AS FLOAT64) AS span_days,
    t.amount
  FROM tp_targets_rep_seg AS t
  JOIN tp_periods AS p
    ON TRUE
), tp_targets_rep_spread AS (
  SELECT
    key,
    direct,
    period,
    amount * overlap / span_days AS amount,
    CASE WHEN overlap_due > 0 THEN amount * overlap_due / span_days ELSE 0.0 END AS due
  FROM tp_targets_rep_raw
  WHERE
    overlap > 0
), tp_targets_terr AS (
  SELECT
    s.territory_id,
    s.period,
    SUM(s.amount) AS amount,
    SUM(s.due) AS due,
    n.is_leaf
  FROM tp_targets_spread AS s
  LEFT JOIN tp_nodes AS n
    ON n.territory_id = s.territory_id
  WHERE
    NOT s.territory_id IS NULL
  GROUP BY
    s.territory_id,
    s.period,
    n.is_leaf
), tp_targets_parts AS (
  SELECT
    'territory' AS dimension,
    r.territory_id AS key,
    r.period,
    r.amount,
    r.due,
    1 AS direct
  FROM tp_targets_terr AS r
  WHERE
    COALESCE(r.is_leaf, FALSE)
  UNION ALL
  SELECT
    'rep' AS dimension,
    s.key,
    s.period,
    s.amount,
    s.due,
    s.direct
  FROM tp_targets_rep_spread AS s
), tp_targets_own AS (
  SELECT DISTINCT
    'rep' AS dimension,
    rep_id AS key
  FROM tp_targets_raw
  WHERE
    NOT rep_id IS NULL
), tp_targets_owned AS (
  SELECT
    q.*,
    CASE WHEN NOT o.key IS NULL THEN 1 ELSE 0 END AS own
  FROM tp_targets_parts AS q
  LEFT JOIN tp_targets_own AS o
    ON o.dimension = q.dimension AND o.key = q.key
), tp_targets AS (
  SELECT
    dimension,
    key,
    period,
    CASE
      WHEN MAX(own) = 1
      THEN SUM(CASE WHEN direct = 1 THEN amount END)
      ELSE COALESCE(
        SUM(CASE WHEN direct = 1 THEN amount END),
        SUM(CASE WHEN direct = 0 THEN amount END)
      )
    END AS amount,
    CASE
      WHEN MAX(own) = 1
      THEN SUM(CASE WHEN direct = 1 THEN due END)
      ELSE COALESCE(SUM(CASE WHEN direct = 1 THEN due END), SUM(CASE WHEN direct = 0 THEN due END))
    END AS due
  FROM tp_targets_owned
  GROUP BY
    dimension,
    key,
    period
), tp_costs_raw AS (
  SELECT
    CAST(t.territory_id AS STRING) AS territory_id,
    CAST(NULL AS STRING) AS rep_id,
    p.period,
    CAST(DATE_DIFF(
      LEAST(CAST(t.period_end AS DATE), p.cut),
      GREATEST(CAST(t.period_start AS DATE), p.period_start),
      DAY
    ) + 1 AS FLOAT64) AS overlap,
    CAST(DATE_DIFF(CAST(t.period_end AS DATE), CAST(t.period_start AS DATE), DAY) + 1 AS FLOAT64) AS span_days,
    CAST(t.amount AS FLOAT64) AS amount
  FROM crm.costs AS t
  JOIN tp_periods AS p
    ON TRUE
), tp_costs_spread AS (
  SELECT
    territory_id,
    rep_id,
    period,
    amount * overlap / span_days AS amount
  FROM tp_costs_raw
  WHERE
    overlap > 0
), tp_costs_terr AS (
  SELECT
    s.territory_id,
    s.period,
    SUM(s.amount) AS amount,
    n.is_leaf
  FROM tp_costs_spread AS s
  LEFT JOIN tp_nodes AS n
    ON n.territory_id = s.territory_id
  WHERE
    NOT s.territory_id IS NULL
  GROUP BY
    s.territory_id,
    s.period,
    n.is_leaf
), tp_costs_parts AS (
  SELECT
    'territory' AS dimension,
    r.territory_id AS key,
    r.period,
    r.amount,
    1 AS direct
  FROM tp_costs_terr AS r
  WHERE
    COALESCE(r.is_leaf, FALSE)
  UNION ALL
  SELECT
    'rep' AS dimension,
    s.rep_id AS key,
    s.period,
    s.amount,
    1 AS direct
  FROM tp_costs_spread AS s
  WHERE
    NOT s.rep_id IS NULL
  UNION ALL
  SELECT
    'rep' AS dimension,
    COALESCE(w.rep_id, g.owner_id) AS key,
    r.period,
    r.amount * COALESCE(w.weight, 1.0) AS amount,
    0 AS direct
  FROM tp_costs_terr AS r
  LEFT JOIN tp_shared_w AS w
    ON w.territory_id = r.territory_id
  JOIN tp_nodes AS g
    ON g.territory_id = r.territory_id
  WHERE
    COALESCE(r.is_leaf, FALSE) AND NOT COALESCE(w.rep_id, g.owner_id) IS NULL
), tp_costs_own AS (
  SELECT DISTINCT
    'rep' AS dimension,
    rep_id AS key
  FROM tp_costs_raw
  WHERE
    NOT rep_id IS NULL
), tp_costs_owned AS (
  SELECT
    q.*,
    CASE WHEN NOT o.key IS NULL THEN 1 ELSE 0 END AS own
  FROM tp_costs_parts AS q
  LEFT JOIN tp_costs_own AS o
    ON o.dimension = q.dimension AND o.key = q.key
), tp_costs AS (
  SELECT
    dimension,
    key,
    period,
    CASE
      WHEN MAX(own) = 1
      THEN SUM(CASE WHEN direct = 1 THEN amount END)
      ELSE COALESCE(
        SUM(CASE WHEN direct = 1 THEN amount END),
        SUM(CASE WHEN direct = 0 THEN amount END)
      )
    END AS amount
  FROM tp_costs_owned
  GROUP BY
    dimension,
    key,
    period
), tp_keys AS (
  SELECT
    'territory' AS dimension,
    territory_id AS key
  FROM tp_nodes
  WHERE
    is_leaf AND NOT territory_id IS NULL
  UNION DISTINCT
  SELECT
    'rep' AS dimension,
    owner_id AS key
  FROM tp_nodes
  WHERE
    is_leaf AND NOT owner_id IS NULL
  UNION DISTINCT
  SELECT
    'rep' AS dimension,
    holder_id AS key
  FROM tp_acc
  WHERE
    NOT holder_id IS NULL
  UNION DISTINCT
  SELECT
    dimension,
    key
  FROM tp_gm
), tp_history AS (
  SELECT
    MIN(m) AS first_m
  FROM tp_sales
), tp_joined AS (
  SELECT
    k.dimension,
    k.key,
    p.period,
    p.grain,
    p.period_start,
    p.period_end,
    p.elapsed_share,
    p.grain_order,
    COALESCE(f.revenue, 0.0) AS revenue,
    COALESCE(f.new_customers, 0.0) AS new_customers,
    COALESCE(f.opps_closed, 0.0) AS opps_closed,
    COALESCE(f.opps_won, 0.0) AS opps_won,
    COALESCE(f.won_amount, 0.0) AS won_amount,
    COALESCE(f.cycle_days, 0.0) AS cycle_days,
    COALESCE(f.new_won, 0.0) AS new_won,
    COALESCE(f.existing_won, 0.0) AS existing_won,
    COALESCE(f.leads, 0.0) AS leads,
    COALESCE(f.leads_converted, 0.0) AS leads_converted,
    COALESCE(f.leads_won, 0.0) AS leads_won,
    CASE WHEN p.start_m - 12 >= h.first_m THEN COALESCE(f.revenue_prior_year, 0.0) END AS revenue_prior_year,
    COALESCE(s.open_pipeline, 0.0) AS open_pipeline,
    COALESCE(s.active_accounts, 0.0) AS active_accounts,
    COALESCE(c.account_count, 0.0) AS account_count,
    c.potential * p.period_years AS potential,
    COALESCE(w.bought, 0.0) AS bought,
    t.amount AS target,
    t.due AS target_due,
    x.amount AS acquisition_cost
  FROM tp_keys AS k
  JOIN tp_periods AS p
    ON TRUE
  JOIN tp_history AS h
    ON TRUE
  LEFT JOIN tp_flows AS f
    ON f.dimension = k.dimension AND f.key = k.key AND f.period = p.period
  LEFT JOIN tp_stocks AS s
    ON s.dimension = k.dimension AND s.key = k.key AND s.period = p.period
  LEFT JOIN tp_static AS c
    ON c.dimension = k.dimension AND c.key = k.key AND c.period = p.period
  LEFT JOIN tp_bought AS w
    ON w.dimension = k.dimension AND w.key = k.key AND w.period = p.period
  LEFT JOIN tp_targets AS t
    ON t.dimension = k.dimension AND t.key = k.key AND t.period = p.period
  LEFT JOIN tp_costs AS x
    ON x.dimension = k.dimension AND x.key = k.key AND x.period = p.period
)
SELECT
  dimension,
  key,
  period,
  grain,
  period_start,
  period_end,
  CAST(revenue AS FLOAT64) AS revenue,
  CAST(revenue_prior_year AS FLOAT64) AS revenue_prior_year,
  CAST(CASE WHEN revenue_prior_year > 1e-6 THEN revenue / revenue_prior_year END - 1.0 AS FLOAT64) AS revenue_growth,
  CAST(target AS FLOAT64) AS target,
  CAST(CASE WHEN target > 1e-6 THEN revenue / target END AS FLOAT64) AS attainment,
  CAST(elapsed_share AS FLOAT64) AS elapsed_share,
  CAST(CASE
    WHEN NOT (
      CASE WHEN target > 1e-6 THEN revenue / target END
    ) IS NULL
    THEN CASE WHEN target_due > 1e-6 THEN revenue / target_due END
  END AS FLOAT64) AS pace_to_target,
  CAST(open_pipeline AS FLOAT64) AS open_pipeline,
  CAST(CASE
    WHEN (
      target - revenue
    ) > 1e-6
    THEN open_pipeline / (
      target - revenue
    )
  END AS FLOAT64) AS pipeline_coverage,
  CAST(CASE WHEN opps_closed > 1e-6 THEN opps_won / opps_closed END AS FLOAT64) AS win_rate,
  CAST(CASE WHEN leads > 1e-6 THEN leads_converted / leads END AS FLOAT64) AS lead_conversion_rate,
  CAST(CASE WHEN leads > 1e-6 THEN leads_won / leads END AS FLOAT64) AS lead_win_rate,
  CAST(new_customers AS FLOAT64) AS new_customers,
  CAST(acquisition_cost AS FLOAT64) AS acquisition_cost,
  CAST(CASE WHEN new_customers > 1e-6 THEN acquisition_cost / new_customers END AS FLOAT64) AS customer_acquisition_cost,
  CAST(CASE WHEN opps_won > 1e-6 THEN won_amount / opps_won END AS FLOAT64) AS average_deal_size,
  CAST(CASE WHEN opps_won > 1e-6 THEN cycle_days / opps_won END AS FLOAT64) AS sales_cycle_days,
  CAST(new_won AS FLOAT64) AS new_business_won,
  CAST(existing_won AS FLOAT64) AS existing_business_won,
  CAST(account_count AS FLOAT64) AS account_count,
  CAST(CASE WHEN account_count > 1e-6 THEN revenue / account_count END AS FLOAT64) AS revenue_per_account,
  CAST(potential AS FLOAT64) AS potential,
  CAST(CASE WHEN potential > 1e-6 THEN revenue / potential END AS FLOAT64) AS penetration,
  CAST(potential - bought AS FLOAT64) AS whitespace,
  CAST(account_count - active_accounts AS FLOAT64) AS inactive_accounts
FROM tp_joined
ORDER BY
  CASE
    WHEN dimension = 'territory'
    THEN 0
    WHEN dimension = 'region'
    THEN 1
    WHEN dimension = 'rep'
    THEN 2
    WHEN dimension = 'segment'
    THEN 3
    WHEN dimension = 'industry'
    THEN 4
  END,
  key,
  grain_order,
  period_start,
  period
