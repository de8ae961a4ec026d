WITH events_agg AS (
  SELECT e."customer_id" AS customer_id,
    count(
      CASE WHEN (
        e."type" = :text_purchase
        AND (
          e."occurred_at" >= :now_minus_31536000_next_day
          OR e."occurred_at" >= :now_minus_31536000_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_31536000_us
        )
      ) THEN 1
      END
    ) AS a0,
    sum(
      CASE WHEN (
        e."type" = :text_purchase
        AND (
          e."occurred_at" >= :now_minus_31536000_next_day
          OR e."occurred_at" >= :now_minus_31536000_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_31536000_us
        )
      ) THEN CASE WHEN (typeof(e."amount") IN ('integer', 'real', 'null')) THEN e."amount"
        ELSE winlang_wrong_value(:text_events, :text_amount, :text_number, e."amount")
      END
      END
    ) AS a1,
    max(CASE WHEN (e."type" = :text_view) THEN e."occurred_at" END) AS a2,
    max(
      CASE WHEN (
        e."type" = :text_open
        AND e."channel" = :text_email
        AND (
          e."occurred_at" >= :now_minus_2592000_next_day
          OR e."occurred_at" >= :now_minus_2592000_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_2592000_us
        )
      ) THEN 1
      END
    ) AS a3
  FROM "events" AS e
  WHERE e."type" IN (:text_open, :text_purchase, :text_view)
    AND (
      e."occurred_at" < :now_day
      OR e."occurred_at" < :now_next_day
        AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
          substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
        ) <= :now_us
    )
    AND (
      e."type" = :text_purchase
        AND (
          e."occurred_at" >= :now_minus_31536000_next_day
          OR e."occurred_at" >= :now_minus_31536000_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_31536000_us
        )
      OR e."type" = :text_view
      OR e."type" = :text_open
        AND e."channel" = :text_email
        AND (
          e."occurred_at" >= :now_minus_2592000_next_day
          OR e."occurred_at" >= :now_minus_2592000_day
            AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
              substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
            ) >= :now_minus_2592000_us
        )
    )
  GROUP BY + e."customer_id"
),
events_agg_last AS (
  SELECT e."customer_id" AS customer_id,
    max(
      CASE WHEN (e."type" = :text_view AND e."occurred_at" = events_agg.a2) THEN CASE WHEN (
        typeof(e."product_name") IN ('text', 'null')
      ) THEN e."product_name"
        ELSE winlang_wrong_value(:text_events, :text_product_name, :text_text, e."product_name")
      END COLLATE "BINARY"
      END
    ) AS v2
  FROM "events" AS e JOIN events_agg ON events_agg.customer_id = e."customer_id"
  WHERE e."type" IN (:text_open, :text_purchase, :text_view)
    AND (
      e."occurred_at" < :now_day
      OR e."occurred_at" < :now_next_day
        AND unixepoch(substr(e."occurred_at", 1, 19)) * 1000000 + CAST(
          substr(substr(e."occurred_at", 21) || :text_000000, 1, 6) AS INTEGER
        ) <= :now_us
    )
    AND e."occurred_at" = events_agg.a2
  GROUP BY + e."customer_id"
)
SELECT count(d.r) AS audience,
  json_group_array(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  json_group_array(d.id) FILTER (WHERE d.r = 1) AS rule_1,
  json_group_array(d.id) FILTER (WHERE d.r = 2) AS rule_2
FROM (
  SELECT c."id" AS id,
    CASE WHEN (
      CASE WHEN (typeof(c."consent_sms") IN ('integer', 'real', 'null')) THEN c."consent_sms"
        ELSE winlang_wrong_value(:text_customers, :text_consent_sms, :text_bool, c."consent_sms")
      END
      AND CASE WHEN (typeof(c."phone") IN ('text', 'null')) THEN c."phone"
        ELSE winlang_wrong_value(:text_customers, :text_phone, :text_text, c."phone")
      END IS NOT NULL
    ) THEN CASE WHEN (
      (
        c."last_purchase_at" < :now_minus_604800_day
        OR c."last_purchase_at" < :now_minus_604800_next_day
          AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
            substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
          ) <= :now_minus_604800_us
      )
      AND (
        c."last_purchase_at" >= :now_minus_2678400_next_day
        OR c."last_purchase_at" >= :now_minus_2678400_day
          AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
            substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
          ) > :now_minus_2678400_us
      )
      AND substr(
        CASE WHEN (typeof(c."first_name") IN ('text', 'null')) THEN c."first_name"
          ELSE winlang_wrong_value(:text_customers, :text_first_name, :text_text, c."first_name")
        END,
        1,
        length(:text_a)
      ) = :text_a
      AND substr(
        CASE WHEN (typeof(c."email") IN ('text', 'null')) THEN c."email"
          ELSE winlang_wrong_value(:text_customers, :text_email, :text_text, c."email")
        END,
        (
          length(
            CASE WHEN (typeof(c."email") IN ('text', 'null')) THEN c."email"
              ELSE winlang_wrong_value(:text_customers, :text_email, :text_text, c."email")
            END
          ) - length(:text_x)
        ) + 1
      ) = :text_x
    ) THEN 0
      WHEN (
        coalesce((SELECT events_agg.a0 FROM events_agg WHERE events_agg.customer_id = c."id"), 0) >= :number_2
        AND coalesce(
          (SELECT events_agg.a1 FROM events_agg WHERE events_agg.customer_id = c."id"),
          0
        ) > :number_100
        AND instr(
          (
            SELECT events_agg_last.v2
            FROM events_agg_last
            WHERE events_agg_last.customer_id = c."id"
          ),
          :text_Shoe
        ) > 0
      ) THEN 1
      WHEN (
        substr(c."birthday", 6, 5) IN (:today_md, :today_md_also)
        AND CAST(
          CASE WHEN (typeof(c."lifetime_value") IN ('integer', 'real', 'null')) THEN c."lifetime_value"
            ELSE winlang_wrong_value(
              :text_customers,
              :text_lifetime_value,
              :text_number,
              c."lifetime_value"
            )
          END AS DOUBLE
        ) / CAST(nullif(:number_2, :number_0) AS DOUBLE) > :number_10
        AND (
          c."id" NOT IN (
            SELECT events_agg.customer_id
            FROM events_agg
            WHERE events_agg.a3 IS NOT NULL
              AND events_agg.customer_id IS NOT NULL
          )
        )
      ) THEN 2
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LIMIT -1
  OFFSET 0
) AS d
