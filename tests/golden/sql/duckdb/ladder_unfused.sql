SELECT count(d.r) AS audience, list(d.id) FILTER (WHERE d.r = 0) AS rule_0, list(d.id) FILTER (WHERE d.r = 1) AS rule_1, list(d.id) FILTER (WHERE d.r = 2) AS rule_2, list(d.id) FILTER (WHERE d.r = 3) AS rule_3, list(d.id) FILTER (WHERE d.r = 4) AS rule_4 
FROM (SELECT c."id" AS id, CASE WHEN (CAST(c."lifetime_value" AS DOUBLE PRECISION) >= :param_1 AND c."country" IN (:param_2, :param_3, :param_4)) THEN CASE WHEN (c."last_purchase_at" <= :now_minus_2592000_value AND c."last_purchase_at" > :now_minus_5184000_value) THEN 0 WHEN (c."last_purchase_at" <= :now_minus_5184000_value AND c."last_purchase_at" > :now_minus_7776000_value AND (c."id" NOT IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_5, :param_6) AND e."occurred_at" <= :now_value AND e."type" = :param_7 AND e."campaign" = :param_8 AND e."template" = :param_9 AND e."customer_id" IS NOT NULL))) THEN 1 WHEN (c."last_purchase_at" <= :now_minus_7776000_value AND (c."id" NOT IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_5, :param_6) AND e."occurred_at" <= :now_value AND e."type" = :param_7 AND e."campaign" = :param_8 AND e."template" = :param_9 AND e."customer_id" IS NOT NULL)) AND (c."id" NOT IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_10, :param_11) AND e."occurred_at" <= :now_value AND e."type" = :param_12 AND e."campaign" = :param_13 AND e."template" = :param_14 AND e."customer_id" IS NOT NULL))) THEN 2 WHEN (c."id" IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_15, :param_16) AND e."occurred_at" <= :now_value AND e."type" = :param_17 AND e."campaign" = :param_18 AND e."template" = :param_19 AND e."occurred_at" >= :now_minus_1209600_value AND e."customer_id" IS NOT NULL)) THEN 3 WHEN false THEN 4 ELSE -1 END END AS r 
FROM "customers" AS c) AS d
