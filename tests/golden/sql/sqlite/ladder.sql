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
        AND (
          e."occurred_at" >= :now_minus_1209600_next_day
          OR e."occurred_at" >= :now_minus_1209600_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_1209600_us
        )
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
    AND (
      e."occurred_at" < :now_day
      OR e."occurred_at" < :now_next_day
        AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
          substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
        ) <= :now_us
    )
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
        AND (
          e."occurred_at" >= :now_minus_1209600_next_day
          OR e."occurred_at" >= :now_minus_1209600_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_1209600_us
        )
      OR e."type" = :text_click
        AND e."campaign" = :text_sms_reengagement_ladder
        AND e."template" = :text_coupon
    )
  GROUP BY + e."customer_id"
)
SELECT count(d.r) AS audience,
  json_group_array(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  json_group_array(d.id) FILTER (WHERE d.r = 1) AS rule_1,
  json_group_array(d.id) FILTER (WHERE d.r = 2) AS rule_2,
  json_group_array(d.id) FILTER (WHERE d.r = 3) AS rule_3,
  json_group_array(d.id) FILTER (WHERE d.r = 4) AS rule_4
FROM (
  SELECT c."id" AS id,
    CASE WHEN (
      CASE WHEN (typeof(c."lifetime_value") IN ('integer', 'real', 'null')) THEN c."lifetime_value"
        ELSE winlang_wrong_value(
          :text_customers,
          :text_lifetime_value,
          :text_number,
          c."lifetime_value"
        )
      END >= :number_20
      AND (
        CASE WHEN (typeof(c."country") IN ('text', 'null')) THEN c."country"
          ELSE winlang_wrong_value(:text_customers, :text_country, :text_text, c."country")
        END COLLATE "BINARY"
      ) IN (:text_KR, :text_RO, :text_US)
    ) THEN CASE WHEN (
      (
        c."last_purchase_at" < :now_minus_2592000_day
        OR c."last_purchase_at" < :now_minus_2592000_next_day
          AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
            substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
          ) <= :now_minus_2592000_us
      )
      AND (
        c."last_purchase_at" >= :now_minus_5184000_next_day
        OR c."last_purchase_at" >= :now_minus_5184000_day
          AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
            substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
          ) > :now_minus_5184000_us
      )
    ) THEN 0
      WHEN (
        (
          c."last_purchase_at" < :now_minus_5184000_day
          OR c."last_purchase_at" < :now_minus_5184000_next_day
            AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
              substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) <= :now_minus_5184000_us
        )
        AND (
          c."last_purchase_at" >= :now_minus_7776000_next_day
          OR c."last_purchase_at" >= :now_minus_7776000_day
            AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
              substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) > :now_minus_7776000_us
        )
        AND (
          c."id" NOT IN (
            SELECT events_agg.customer_id
            FROM events_agg
            WHERE events_agg.a0 IS NOT NULL
              AND events_agg.customer_id IS NOT NULL
          )
        )
      ) THEN 1
      WHEN (
        (
          c."last_purchase_at" < :now_minus_7776000_day
          OR c."last_purchase_at" < :now_minus_7776000_next_day
            AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
              substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) <= :now_minus_7776000_us
        )
        AND (
          c."id" NOT IN (
            SELECT events_agg.customer_id
            FROM events_agg
            WHERE events_agg.a0 IS NOT NULL
              AND events_agg.customer_id IS NOT NULL
          )
        )
        AND (
          c."id" NOT IN (
            SELECT events_agg.customer_id
            FROM events_agg
            WHERE events_agg.a1 IS NOT NULL
              AND events_agg.customer_id IS NOT NULL
          )
        )
      ) THEN 2
      WHEN (
        c."id" IN (
          SELECT events_agg.customer_id
          FROM events_agg
          WHERE events_agg.a2 IS NOT NULL
            AND events_agg.customer_id IS NOT NULL
        )
      ) THEN 3
      WHEN 0 = 1 THEN 4
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LIMIT -1
  OFFSET 0
) AS d
