SELECT count(d.r) AS audience,
  array_agg(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  array_agg(d.id) FILTER (WHERE d.r = 1) AS rule_1
FROM (
  SELECT c."id" AS id,
    CASE WHEN c."consent_sms" THEN CASE WHEN (
      c."last_purchase_at" <= :now_minus_5184000_value::TIMESTAMP WITHOUT TIME ZONE
    ) THEN 0
      WHEN (
        to_char(CAST(c."birthday" AS TIMESTAMP WITHOUT TIME ZONE), :text_MM_DD::VARCHAR) IN (
          :today_md::VARCHAR,
          :today_md_also::VARCHAR
        )
        AND (c."id" NOT IN (SELECT pg_temp.winlang_state_0.id FROM pg_temp.winlang_state_0))
      ) THEN 1
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LIMIT ALL
  OFFSET 0
) AS d
