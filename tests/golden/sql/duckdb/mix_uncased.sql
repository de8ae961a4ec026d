WITH events_agg AS (
  SELECT e."customer_id" AS customer_id,
    count(
      CASE WHEN (e."type" = :text_purchase AND e."occurred_at" >= :now_minus_31536000_value) THEN 1
      END
    ) AS a0,
    sum(
      CASE WHEN (e."type" = :text_purchase AND e."occurred_at" >= :now_minus_31536000_value) THEN CAST(
        e."amount" AS DOUBLE PRECISION
      )
      END
    ) AS a1,
    max(CASE WHEN (e."type" = :text_view) THEN e."occurred_at" END) AS a2,
    max(
      CASE WHEN (
        e."type" = :text_open
        AND e."channel" = :text_email
        AND e."occurred_at" >= :now_minus_2592000_value
      ) THEN 1
      END
    ) AS a3
  FROM "events" AS e
  WHERE e."type" IN (:text_open, :text_purchase, :text_view)
    AND e."occurred_at" <= :now_value
    AND (
      e."type" = :text_purchase
        AND e."occurred_at" >= :now_minus_31536000_value
      OR e."type" = :text_view
      OR e."type" = :text_open
        AND e."channel" = :text_email
        AND e."occurred_at" >= :now_minus_2592000_value
    )
  GROUP BY e."customer_id"
),
events_agg_last AS (
  SELECT e."customer_id" AS customer_id,
    max(
      CASE WHEN (e."type" = :text_view AND e."occurred_at" = events_agg.a2) THEN e."product_name"
      END
    ) AS v2
  FROM "events" AS e JOIN events_agg ON events_agg.customer_id = e."customer_id"
  WHERE e."type" IN (:text_open, :text_purchase, :text_view)
    AND e."occurred_at" <= :now_value
    AND e."occurred_at" = events_agg.a2
  GROUP BY e."customer_id"
)
SELECT d.r AS r,
  CASE WHEN (d.r >= 0) THEN d.id END AS id,
  count(*) AS n
FROM (
  SELECT c."id" AS id,
    CASE WHEN (c."consent_sms" AND c."phone" IS NOT NULL) THEN CASE WHEN (
      c."last_purchase_at" <= :now_minus_604800_value
      AND c."last_purchase_at" > :now_minus_2678400_value
      AND starts_with(c."first_name", :text_a)
      AND ends_with(c."email", :text_x)
    ) THEN 0
      WHEN (
        coalesce(events_agg.a0, 0) >= :number_2
        AND coalesce(events_agg.a1, 0) > :number_100
        AND contains(events_agg_last.v2, :text_Shoe)
      ) THEN 1
      WHEN (
        strftime(
          CAST(CAST(c."birthday" AS TIMESTAMP WITHOUT TIME ZONE) AS TIMESTAMP WITHOUT TIME ZONE),
          :text_m_d
        ) IN (:today_md, :today_md_also)
        AND CAST(CAST(c."lifetime_value" AS DOUBLE PRECISION) AS DOUBLE PRECISION) / CAST(
          nullif(:number_2, :number_0) AS DOUBLE PRECISION
        ) > :number_10
        AND events_agg.a3 IS NULL
      ) THEN 2
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LEFT OUTER JOIN events_agg ON events_agg.customer_id = c."id"
  LEFT OUTER JOIN events_agg_last ON events_agg_last.customer_id = c."id"
) AS d
WHERE d.r IS NOT NULL
GROUP BY d.r,
  CASE WHEN (d.r >= 0) THEN d.id END
