SELECT count(d.r) AS audience,
  json_group_array(d.id) FILTER (WHERE d.r = 0) AS rule_0,
  json_group_array(d.id) FILTER (WHERE d.r = 1) AS rule_1
FROM (
  SELECT c."id" AS id,
    CASE WHEN CASE WHEN (typeof(c."consent_sms") IN ('integer', 'real', 'null')) THEN c."consent_sms"
      ELSE winlang_wrong_value(:text_customers, :text_consent_sms, :text_bool, c."consent_sms")
    END THEN CASE WHEN (
      c."last_purchase_at" < :now_minus_5184000_day
      OR c."last_purchase_at" < :now_minus_5184000_next_day
        AND unixepoch(substr(c."last_purchase_at", 1, 19)) * 1000000 + CAST(
          substr(substr(c."last_purchase_at", 21) || :text_000000, 1, 6) AS INTEGER
        ) <= :now_minus_5184000_us
    ) THEN 0
      WHEN (
        substr(c."birthday", 6, 5) IN (:today_md, :today_md_also)
        AND (c."id" NOT IN (SELECT "temp".winlang_state_0.id FROM "temp".winlang_state_0))
      ) THEN 1
      ELSE -1
    END
    END AS r
  FROM "customers" AS c
  LIMIT -1
  OFFSET 0
) AS d
