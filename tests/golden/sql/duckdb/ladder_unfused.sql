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
        AND (
          c."id" NOT IN (
            SELECT e."customer_id"
            FROM "events" AS e
            WHERE e."type" IN (:text_click, :text_open)
              AND e."occurred_at" <= :now_value
              AND e."type" = :text_open
              AND e."campaign" = :text_sms_reengagement_ladder
              AND e."template" = :text_survey
              AND e."customer_id" IS NOT NULL
          )
        )
      ) THEN 1
      WHEN (
        c."last_purchase_at" <= :now_minus_7776000_value
        AND (
          c."id" NOT IN (
            SELECT e."customer_id"
            FROM "events" AS e
            WHERE e."type" IN (:text_click, :text_open)
              AND e."occurred_at" <= :now_value
              AND e."type" = :text_open
              AND e."campaign" = :text_sms_reengagement_ladder
              AND e."template" = :text_survey
              AND e."customer_id" IS NOT NULL
          )
        )
        AND (
          c."id" NOT IN (
            SELECT e."customer_id"
            FROM "events" AS e
            WHERE e."type" IN (:text_click, :text_open)
              AND e."occurred_at" <= :now_value
              AND e."type" = :text_open
              AND e."campaign" = :text_sms_reengagement_ladder
              AND e."template" = :text_contest
              AND e."customer_id" IS NOT NULL
          )
        )
      ) THEN 2
      WHEN (
        c."id" IN (
          SELECT e."customer_id"
          FROM "events" AS e
          WHERE e."type" IN (:text_click, :text_open)
            AND e."occurred_at" <= :now_value
            AND e."type" = :text_click
            AND e."campaign" = :text_sms_reengagement_ladder
            AND e."template" = :text_coupon
            AND e."occurred_at" >= :now_minus_1209600_value
            AND e."customer_id" IS NOT NULL
        )
      ) THEN 3
      WHEN false THEN 4
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
) AS d
WHERE d.r IS NOT NULL
GROUP BY d.r,
  CASE WHEN (d.r >= 0) THEN d.id END
