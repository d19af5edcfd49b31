DROP TABLE recent_writes;
DROP TABLE rate_limit_buckets;
