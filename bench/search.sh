#!/usr/bin/env bash
# The search benchmark; see bench/search.py (SKIP_SEED=1 reuses the data, ENGINES=postgres
# runs one engine).
exec python3 "$(dirname "${BASH_SOURCE[0]}")/search.py" "$@"
