WITH events_agg AS (
  SELECT e."customer_id" AS customer_id,
    max(
      CASE WHEN (
        e."type" = :text_open
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_survey
      ) THEN 1
      END
    ) AS a0,
    max(
      CASE WHEN (
        e."type" = :text_open
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_contest
      ) THEN 1
      END
    ) AS a1,
    max(
      CASE WHEN (
        e."type" = :text_click
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_coupon
        AND e."occurred_at" >= :now_minus_1209600_value
      ) THEN 1
      END
    ) AS a2,
    max(
      CASE WHEN (
        e."type" = :text_click
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_coupon
      ) THEN 1
      END
    ) AS a3
  FROM "events" AS e
  WHERE e."type" IN (:text_click, :text_open)
    AND e."occurred_at" <= :now_value
    AND (
      e."type" = :text_open
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_survey
      OR e."type" = :text_open
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_contest
      OR e."type" = :text_click
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_coupon
        AND e."occurred_at" >= :now_minus_1209600_value
      OR e."type" = :text_click
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_coupon
    )
  GROUP BY e."customer_id"
)
SELECT d.r AS r,
  CASE WHEN (d.r >= 0) THEN d.id END AS id,
  count(*) AS n
FROM (
  SELECT c."id" AS id,
    CASE WHEN (
      CAST(c."lifetime_value" AS DOUBLE PRECISION) >= :number_20
      AND c."country" IN (:text_KR, :text_RO, :text_US)
    ) THEN CASE WHEN (
      c."last_purchase_at" <= :now_minus_2592000_value
      AND c."last_purchase_at" > :now_minus_5184000_value
    ) THEN 0
      WHEN (
        c."last_purchase_at" <= :now_minus_5184000_value
        AND c."last_purchase_at" > :now_minus_7776000_value
        AND events_agg.a0 IS NULL
      ) THEN 1
      WHEN (
        c."last_purchase_at" <= :now_minus_7776000_value
        AND events_agg.a0 IS NULL
        AND events_agg.a1 IS NULL
      ) THEN 2
      WHEN (events_agg.a2 IS NOT NULL) THEN 3
      WHEN false THEN 4
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LEFT OUTER JOIN events_agg ON events_agg.customer_id = c."id"
) AS d
WHERE d.r IS NOT NULL
GROUP BY d.r,
  CASE WHEN (d.r >= 0) THEN d.id END
