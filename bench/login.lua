-- POST /api/v1/auth/login with a correct password (the argon2-bound path).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"login":"bench_user","password":"bench password 123"}'
