#!/usr/bin/env bash
# kill -9 at seeded random moments of training, checkpoint writing, export and export --overwrite
# (src/test/java/io/longshort/cli/KillTest.java): KILLS per target (default 20), moments from SEED
# (default: the time, printed, so that a failing run can be replayed with SEED=...). Then the
# concurrent writers: two exports to one model folder and two trainings on one run folder, each a
# process (one is refused naming the other's PID, nothing is lost; about a minute).
# CI runs the same test with 3 kills per target as part of `mvn -B test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kills=${KILLS:-20}
seed=${SEED:-$(date +%s)}
echo "kill tests: $kills kills per target, seed $seed"
mvn -B test -Dtest=KillTest -Dlongshort.kills="$kills" -Dlongshort.killSeed="$seed" \
  -Dsurefire.failIfNoSpecifiedTests=false | tee target/kill_tests.log | grep -E '^kill |^export|^kill tests|^two |Tests run:|FAIL' || true
grep -q 'Tests run: 6, Failures: 0, Errors: 0' target/kill_tests.log
