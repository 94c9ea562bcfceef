#!/usr/bin/env bash
# The full run of issue 21's figures, in the order a 2-core machine allows: the big builds first,
# both databases side by side (a build's speed does not matter), then every section alone, so no
# timing shares the machine with a build or with another section.
# Usage: bench/full_run.sh KEEP_DIR [SECTION...]   (no sections: all of them, growth last)
# KEEP_DIR holds the kept builds (STUDYBOT_BENCH_KEEP), a PostgreSQL cluster that outlives the
# run (KEEP_DIR/pg, started here unless STUDYBOT_BENCH_PG_URL is set), one log and one JSON per
# section (KEEP_DIR/run-SECTION.log, .json). Re-running skips the builds already kept.
# BENCH_ARGS are added to every run (BENCH_ARGS=--quick: the whole sequence at smoke sizes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=$(mkdir -p "${1:?usage: bench/full_run.sh KEEP_DIR [SECTION...]}" && cd "$1" && pwd)
shift
python=${PYTHON:-$root/.venv/bin/python}
export STUDYBOT_BENCH_KEEP=$keep
if [ -z "${STUDYBOT_BENCH_PG_URL:-}" ]; then
  if [ -f "$keep/pg-url" ] && [ -d "$keep/pg/data" ]; then
    # The kept cluster of an earlier run, started again on its port if it is not running.
    bin=$("$root/.ci/pg-bin")
    port=$(sed 's#.*:\([0-9]*\)/.*#\1#' "$keep/pg-url")
    as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
    as_pg "'$bin/pg_ctl' -D '$keep/pg/data' status" >/dev/null ||
      as_pg "'$bin/pg_ctl' -D '$keep/pg/data' -l '$keep/pg/log' -w -o \"-p $port -k '$keep/pg' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >/dev/null
  else
    chmod 755 "$keep"
    bash "$root/.ci/pg-start" "$keep/pg" > "$keep/pg-url"
  fi
  STUDYBOT_BENCH_PG_URL=$(cat "$keep/pg-url")
fi
export STUDYBOT_BENCH_PG_URL
cd "$root"

bench() {  # bench NAME ARGS...: one bench run, logged, with the load after it
  local name=$1
  shift
  echo "$(date -u +%T) $name: $*"
  # shellcheck disable=SC2086  # BENCH_ARGS: words on purpose
  "$python" -m bench --out "$keep/run-$name.json" "$@" ${BENCH_ARGS:-} > "$keep/run-$name.log" 2>&1
  echo "$(date -u +%T) $name done; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

sections=("$@")
if [ ${#sections[@]} -eq 0 ]; then
  sections=(answer_latency burst close_stall commands startup idle_tick rescore review_cards
    deck_import charts fanout growth)
fi

# 1. Builds, when a section needs them: the growth steps up to 5,000,000 answers, then the
#    commands' workspace (the 5M step and a 30,000-way tie), SQLite and PostgreSQL at once.
#    Their timings are not the figures.
if [[ " ${sections[*]} " =~ " "(commands|growth)" " ]]; then
  for backend in sqlite postgres; do
    (bench "build-growth-$backend" --growth --backends "$backend" &&
      bench "build-commands-$backend" --only commands --backends "$backend" --repeats 1) &
  done
  wait
fi

# 2. Every section alone, in turn (the growth last: it times each kept step again).
for section in "${sections[@]}"; do
  if [ "$section" = growth ]; then
    bench growth --growth
  elif [ "$section" = fanout ]; then
    bench fanout --only fanout --rtt 200
  else
    bench "$section" --only "$section"
  fi
done
echo "logs and figures: $keep/run-*.log, $keep/run-*.json"
