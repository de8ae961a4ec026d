SELECT count(d.r) AS audience, array_agg(d.id) FILTER (WHERE d.r = 0) AS rule_0, array_agg(d.id) FILTER (WHERE d.r = 1) AS rule_1, array_agg(d.id) FILTER (WHERE d.r = 2) AS rule_2, array_agg(d.id) FILTER (WHERE d.r = 3) AS rule_3, array_agg(d.id) FILTER (WHERE d.r = 4) AS rule_4 
FROM (SELECT c."id" AS id, CASE WHEN (CAST(c."lifetime_value" AS DOUBLE PRECISION) >= :param_1 AND c."country" IN (:param_2::VARCHAR, :param_3::VARCHAR, :param_4::VARCHAR)) THEN CASE WHEN (c."last_purchase_at" <= :now_minus_2592000_value::TIMESTAMP WITHOUT TIME ZONE AND c."last_purchase_at" > :now_minus_5184000_value::TIMESTAMP WITHOUT TIME ZONE) THEN 0 WHEN (c."last_purchase_at" <= :now_minus_5184000_value::TIMESTAMP WITHOUT TIME ZONE AND c."last_purchase_at" > :now_minus_7776000_value::TIMESTAMP WITHOUT TIME ZONE AND (c."id" NOT IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_5::VARCHAR, :param_6::VARCHAR) AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE AND e."type" = :param_7::VARCHAR AND e."campaign" = :param_8::VARCHAR AND e."template" = :param_9::VARCHAR AND e."customer_id" IS NOT NULL))) THEN 1 WHEN (c."last_purchase_at" <= :now_minus_7776000_value::TIMESTAMP WITHOUT TIME ZONE AND (c."id" NOT IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_5::VARCHAR, :param_6::VARCHAR) AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE AND e."type" = :param_7::VARCHAR AND e."campaign" = :param_8::VARCHAR AND e."template" = :param_9::VARCHAR AND e."customer_id" IS NOT NULL)) AND (c."id" NOT IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_10::VARCHAR, :param_11::VARCHAR) AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE AND e."type" = :param_12::VARCHAR AND e."campaign" = :param_13::VARCHAR AND e."template" = :param_14::VARCHAR AND e."customer_id" IS NOT NULL))) THEN 2 WHEN (c."id" IN (SELECT e."customer_id" 
FROM "events" AS e 
WHERE e."type" IN (:param_15::VARCHAR, :param_16::VARCHAR) AND e."occurred_at" <= :now_value::TIMESTAMP WITHOUT TIME ZONE AND e."type" = :param_17::VARCHAR AND e."campaign" = :param_18::VARCHAR AND e."template" = :param_19::VARCHAR AND e."occurred_at" >= :now_minus_1209600_value::TIMESTAMP WITHOUT TIME ZONE AND e."customer_id" IS NOT NULL)) THEN 3 WHEN false THEN 4 ELSE -1 END END AS r 
FROM "customers" AS c
 LIMIT ALL OFFSET 0) AS d
