-- One shared rate-limit check (rate_limit::SHARED_CHECK), 10 per minute, over 10,000 client
-- addresses: pgbench -n -M prepared -f bench/rate_limit_check.sql (see bench/rate_limit.sh).
\set ip random(1, 10000)
WITH attempt AS (
    INSERT INTO rate_limit_buckets AS b (key, tat)
    VALUES ('login:10.0.' || :ip, clock_timestamp() + 6000000 * interval '1 microsecond')
    ON CONFLICT (key) DO UPDATE
        SET tat = greatest(b.tat, clock_timestamp()) + 6000000 * interval '1 microsecond'
        WHERE greatest(b.tat, clock_timestamp()) + 6000000 * interval '1 microsecond'
            <= clock_timestamp() + 60000000 * interval '1 microsecond'
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM attempt) AS allowed,
       (SELECT extract(epoch FROM greatest(tat, clock_timestamp())
                                 + 6000000 * interval '1 microsecond'
                                 - clock_timestamp() - 60000000 * interval '1 microsecond')::float8
          FROM rate_limit_buckets WHERE key = 'login:10.0.' || :ip) AS wait_secs;
