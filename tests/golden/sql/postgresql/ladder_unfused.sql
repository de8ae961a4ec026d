SELECT count(d.r) AS audience,
  array_agg(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  array_agg(d.id) FILTER (WHERE d.r = 1) AS rule_1,
  array_agg(d.id) FILTER (WHERE d.r = 2) AS rule_2,
  array_agg(d.id) FILTER (WHERE d.r = 3) AS rule_3,
  array_agg(d.id) FILTER (WHERE d.r = 4) AS rule_4
FROM (
  SELECT c."id" AS id,
    CASE WHEN (
      CAST(c."lifetime_value" AS DOUBLE PRECISION) >= :number_20
      AND c."country" IN (:text_KR::VARCHAR, :text_RO::VARCHAR, :text_US::VARCHAR)
    ) THEN CASE WHEN (
      c."last_purchase_at" <= :now_minus_2592000_value::TIMESTAMP WITHOUT TIME ZONE
      AND c."last_purchase_at" > :now_minus_5184000_value::TIMESTAMP WITHOUT TIME ZONE
    ) THEN 0
      WHEN (
        c."last_purchase_at" <= :now_minus_5184000_value::TIMESTAMP WITHOUT TIME ZONE
        AND c."last_purchase_at" > :now_minus_7776000_value::TIMESTAMP WITHOUT TIME ZONE
        AND (
          c."id" NOT IN (
            SELECT e."customer_id"
            FROM "events" AS e
            WHERE e."type" IN (:text_click::VARCHAR, :text_open::VARCHAR)
              AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE
              AND e."type" = :text_open::VARCHAR
              AND e."campaign" = :text_sms_reengagement_ladder::VARCHAR
              AND e."template" = :text_survey::VARCHAR
              AND e."customer_id" IS NOT NULL
          )
        )
      ) THEN 1
      WHEN (
        c."last_purchase_at" <= :now_minus_7776000_value::TIMESTAMP WITHOUT TIME ZONE
        AND (
          c."id" NOT IN (
            SELECT e."customer_id"
            FROM "events" AS e
            WHERE e."type" IN (:text_click::VARCHAR, :text_open::VARCHAR)
              AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE
              AND e."type" = :text_open::VARCHAR
              AND e."campaign" = :text_sms_reengagement_ladder::VARCHAR
              AND e."template" = :text_survey::VARCHAR
              AND e."customer_id" IS NOT NULL
          )
        )
        AND (
          c."id" NOT IN (
            SELECT e."customer_id"
            FROM "events" AS e
            WHERE e."type" IN (:text_click::VARCHAR, :text_open::VARCHAR)
              AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE
              AND e."type" = :text_open::VARCHAR
              AND e."campaign" = :text_sms_reengagement_ladder::VARCHAR
              AND e."template" = :text_contest::VARCHAR
              AND e."customer_id" IS NOT NULL
          )
        )
      ) THEN 2
      WHEN (
        c."id" IN (
          SELECT e."customer_id"
          FROM "events" AS e
          WHERE e."type" IN (:text_click::VARCHAR, :text_open::VARCHAR)
            AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE
            AND e."type" = :text_click::VARCHAR
            AND e."campaign" = :text_sms_reengagement_ladder::VARCHAR
            AND e."template" = :text_coupon::VARCHAR
            AND e."occurred_at" >= :now_minus_1209600_value::TIMESTAMP WITHOUT TIME ZONE
            AND e."customer_id" IS NOT NULL
        )
      ) THEN 3
      WHEN false THEN 4
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LIMIT ALL
  OFFSET 0
) AS d
