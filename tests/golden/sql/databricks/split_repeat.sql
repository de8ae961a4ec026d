SELECT d.r AS r,
  CASE WHEN (d.r >= 0) THEN d.id END AS id,
  count(*) AS n
FROM (
  SELECT c.`id` AS id,
    CASE WHEN c.`consent_sms` THEN CASE WHEN (
      c.`last_purchase_at` <= CAST(:`now_minus_5184000_value` AS TIMESTAMP_NTZ)
    ) THEN 0
      WHEN (
        date_format(CAST(CAST(c.`birthday` AS TIMESTAMP_NTZ) AS TIMESTAMP), :`text_MM_dd`) IN (
          :`today_md`,
          :`today_md_also`
        )
        AND (c.`id` NOT IN (SELECT winlang_state_0.id FROM winlang_state_0))
      ) THEN 1
      ELSE -1
    END
    END AS r
  FROM `customers` AS c
) AS d
WHERE d.r IS NOT NULL
GROUP BY d.r,
  CASE WHEN (d.r >= 0) THEN d.id END
