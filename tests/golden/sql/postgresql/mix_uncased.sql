WITH events_agg AS (
  SELECT e."customer_id" AS customer_id,
    count(
      CASE WHEN (
        e."type" = :text_purchase::VARCHAR
        AND e."occurred_at" >= :now_minus_31536000_value::TIMESTAMP WITHOUT TIME ZONE
      ) THEN 1
      END
    ) AS a0,
    sum(
      CASE WHEN (
        e."type" = :text_purchase::VARCHAR
        AND e."occurred_at" >= :now_minus_31536000_value::TIMESTAMP WITHOUT TIME ZONE
      ) THEN CAST(e."amount" AS DOUBLE PRECISION)
      END
    ) AS a1,
    max(CASE WHEN (e."type" = :text_view::VARCHAR) THEN e."occurred_at" END) AS a2,
    max(
      CASE WHEN (
        e."type" = :text_open::VARCHAR
        AND e."channel" = :text_email::VARCHAR
        AND e."occurred_at" >= :now_minus_2592000_value::TIMESTAMP WITHOUT TIME ZONE
      ) THEN 1
      END
    ) AS a3
  FROM "events" AS e
  WHERE e."type" IN (:text_open::VARCHAR, :text_purchase::VARCHAR, :text_view::VARCHAR)
    AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE
    AND (
      e."type" = :text_purchase::VARCHAR
        AND e."occurred_at" >= :now_minus_31536000_value::TIMESTAMP WITHOUT TIME ZONE
      OR e."type" = :text_view::VARCHAR
      OR e."type" = :text_open::VARCHAR
        AND e."channel" = :text_email::VARCHAR
        AND e."occurred_at" >= :now_minus_2592000_value::TIMESTAMP WITHOUT TIME ZONE
    )
  GROUP BY e."customer_id"
),
events_agg_last AS (
  SELECT e."customer_id" AS customer_id,
    max(
      CASE WHEN (e."type" = :text_view::VARCHAR AND e."occurred_at" = events_agg.a2) THEN e."product_name" COLLATE "C"
      END
    ) AS v2
  FROM "events" AS e JOIN events_agg ON events_agg.customer_id = e."customer_id"
  WHERE e."type" IN (:text_open::VARCHAR, :text_purchase::VARCHAR, :text_view::VARCHAR)
    AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE
    AND e."occurred_at" = events_agg.a2
  GROUP BY e."customer_id"
)
SELECT count(d.r) AS audience,
  array_agg(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  array_agg(d.id) FILTER (WHERE d.r = 1) AS rule_1,
  array_agg(d.id) FILTER (WHERE d.r = 2) AS rule_2
FROM (
  SELECT c."id" AS id,
    CASE WHEN (c."consent_sms" AND c."phone" IS NOT NULL) THEN CASE WHEN (
      c."last_purchase_at" <= :now_minus_604800_value::TIMESTAMP WITHOUT TIME ZONE
      AND c."last_purchase_at" > :now_minus_2678400_value::TIMESTAMP WITHOUT TIME ZONE
      AND starts_with(c."first_name", :text_a::VARCHAR)
      AND right(c."email", char_length(:text_x::VARCHAR)) = :text_x::VARCHAR
    ) THEN 0
      WHEN (
        coalesce(events_agg.a0, 0) >= :number_2
        AND coalesce(events_agg.a1, 0) > :number_100
        AND strpos(events_agg_last.v2, :text_Shoe::VARCHAR) > 0
      ) THEN 1
      WHEN (
        to_char(CAST(c."birthday" AS TIMESTAMP WITHOUT TIME ZONE), :text_MM_DD::VARCHAR) IN (
          :today_md::VARCHAR,
          :today_md_also::VARCHAR
        )
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
  LIMIT ALL
  OFFSET 0
) AS d
