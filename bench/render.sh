#!/usr/bin/env bash
# What rendering a post costs with and without code highlighting (release build, one core):
# the seed's bodies, bodies each carrying a 37-line Rust block, and titles' slugs (benches/render.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench --quiet --locked --bench render
