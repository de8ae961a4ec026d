"""Reports: the run summary now; funnels per rule and variant later."""
