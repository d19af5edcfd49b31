#!/usr/bin/env bash
# Uploads on a release build (issue 40): a 12 MP phone photo (a ~4 MB JPEG with EXIF, made by
# Pillow in a git-ignored virtualenv) uploaded, cleaned and thumbnailed, one at a time (time,
# and the server's peak RSS growth from /proc) and eight at once (the process's peak RSS);
# then a thumbnail served through devforum under `wrk -t2 -c64 -d10s`.
#   bench/uploads.sh            (DEVFORUM_BIN= another build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
scripts/pg start
base="$(scripts/pg url postgres)"; base="${base%/*}"
db=devforum_uploads_bench
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" 2>/dev/null
BIN="${DEVFORUM_BIN:-target/release/devforum}"
[ -n "${DEVFORUM_BIN:-}" ] || cargo build --release --locked --bin devforum

venv=.local/bench-venv
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import PIL' 2>/dev/null || {
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'pillow>=10,<12'
}
work="$(mktemp -d)"
photo="$work/photo.jpg"
"$venv/bin/python" - "$photo" <<'PY'
import sys, random
from PIL import Image
# 4000 x 3000: a smooth scene with sensor-like noise, so it compresses like a phone photo.
w, h = 4000, 3000
small = Image.new("RGB", (w // 8, h // 8))
px = small.load()
for y in range(h // 8):
    for x in range(w // 8):
        px[x, y] = (x * 255 // (w // 8), y * 255 // (h // 8), (x * y) % 255)
img = small.resize((w, h), Image.BICUBIC)
noise = Image.effect_noise((w, h), 40).convert("RGB")
img = Image.blend(img, noise, 0.25)
exif = Image.Exif()
exif[0x0112] = 1
exif[0x010F] = "BenchPhone"
img.save(sys.argv[1], "JPEG", quality=93, exif=exif)
PY
echo "photo: $(stat -c %s "$photo") bytes, 4000 x 3000"

port=18090
export DATABASE_URL="$base/$db"
DEVFORUM__SERVER__PORT=$port DEVFORUM__LOG__LEVEL=warn DEVFORUM__UPLOADS__DIR="$work/uploads" \
    DEVFORUM__RATE_LIMITS__REGISTER_PER_HOUR=1000 "$BIN" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
api="http://127.0.0.1:$port/api/v1"
curl -fs -o /dev/null -H 'content-type: application/json' "$api/auth/register" \
    -d '{"username":"bench","email":"bench@example.com","password":"bench-password-1"}'
psql -q "$DATABASE_URL" -c "UPDATE users SET email_verified = true, trust_level = 'regular', trust_level_pinned = true"
token=$(curl -fs -H 'content-type: application/json' "$api/auth/login" \
    -d '{"login":"bench","password":"bench-password-1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$server/status"; }
upload() {
    curl -fs -o "$work/last.json" -w '%{time_total}\n' -H "Authorization: Bearer $token" \
        -F purpose=post -F "file=@$1;type=image/jpeg" "$api/uploads"
}

# The first upload warms the allocator and the code; the rest are measured. Each photo differs
# by one byte of its EXIF, so none is taken for a stored one.
upload "$photo" >/dev/null
rss_before=$(kib VmRSS)
for i in 1 2 3 4 5; do
    cp "$photo" "$work/p$i.jpg"; printf '%s' "$i" >> "$work/p$i.jpg"
    echo "one upload: $(upload "$work/p$i.jpg") s"
done
echo "peak RSS growth over one-at-a-time uploads: $(( ($(kib VmHWM) - rss_before) / 1024 )) MiB (RSS before: $(( rss_before / 1024 )) MiB)"
for i in 1 2 3 4 5 6 7 8; do
    cp "$photo" "$work/c$i.jpg"; printf 'c%s' "$i" >> "$work/c$i.jpg"
done
start=$(date +%s.%N)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    upload "$work/c$i.jpg" >/dev/null &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "eight at once: $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s; process peak RSS $(( $(kib VmHWM) / 1024 )) MiB"

small=$(python3 -c 'import json; print(json.load(open("'"$work/last.json"'"))["thumbnails"]["small"])')
echo "thumbnail: $small ($(curl -fs "http://127.0.0.1:$port$small" | wc -c) bytes)"
wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port$small"
