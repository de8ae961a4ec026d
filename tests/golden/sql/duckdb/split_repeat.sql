SELECT count(d.r) AS audience,
  list(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  list(d.id) FILTER (WHERE d.r = 1) AS rule_1
FROM (
  SELECT c."id" AS id,
    CASE WHEN c."consent_sms" THEN CASE WHEN (c."last_purchase_at" <= :now_minus_5184000_value) THEN 0
      WHEN (
        strftime(
          CAST(CAST(c."birthday" AS TIMESTAMP WITHOUT TIME ZONE) AS TIMESTAMP WITHOUT TIME ZONE),
          :text_m_d
        ) IN (:today_md, :today_md_also)
        AND (c."id" NOT IN (SELECT temp.winlang_state_0.id FROM temp.winlang_state_0))
      ) THEN 1
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
) AS d
