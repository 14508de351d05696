#!/usr/bin/env bash
# Fuzzes every Jazzer target (tests/FUZZING.md) for a bounded time each: JAZZER_FUZZ=1 turns a
# @FuzzTest from replaying its seeds (what `mvn -B test` does) into coverage-guided fuzzing, one
# target per JVM. Each run stops after the target's maxDuration (2 minutes) or at the first
# finding, whose input Jazzer writes beside the seeds
# (src/test/resources/<package>/<Class>Inputs/<method>/crash-*) so that the ordinary tests replay
# it from then on; the corpus it grows stays in .cifuzz-corpus/ (not committed).
#
#   scripts/fuzz.sh                      # every target
#   scripts/fuzz.sh SafetensorsFuzzTest  # the targets whose name contains this
#   FUZZ_SECONDS=30 scripts/fuzz.sh      # stop each target sooner (a hard bound, below maxDuration)
#
# Runs niced: the dev machine is shared. Exit status: 0 when every target ran clean.
set -uo pipefail
cd "$(dirname "$0")/.."

targets=(
  io.longshort.weights.SafetensorsFuzzTest#anyFileIsRefusedClearlyOrKeepsTheInvariants
  io.longshort.weights.SafetensorsFuzzTest#whatTheWriterWritesReadsBackEqual
  io.longshort.train.CheckpointFuzzTest#anyFileIsRestoredWholeOrRefusedClearly
  io.longshort.train.CheckpointFuzzTest#whatSaveWritesRestoresEqual
  io.longshort.export.RestPredictFuzzTest#anyRequestIsAnsweredOrRefusedAsABadRequest
  io.longshort.data.ReadersFuzzTest#anyTsvFileIsReadOrRefusedByRow
  io.longshort.data.ReadersFuzzTest#anyCorpusFileGivesWholeWindows
  io.longshort.data.ReadersFuzzTest#writtenListOpsReadsBackEqual
  io.longshort.spec.SpecJsonFuzzTest#anySpecJsonIsRefusedClearlyOrRoundTrips
)
filter="${1:-}"
limit="${FUZZ_SECONDS:-}"

mvn -B -o -q test-compile || exit 1
failed=()
for t in "${targets[@]}"; do
  [[ -n "$filter" && "$t" != *"$filter"* ]] && continue
  echo "== fuzzing $t"
  log="target/fuzz-$(echo "$t" | tr '#' '.').log"
  cmd=(nice mvn -B -o surefire:test -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false)
  if [[ -n "$limit" ]]; then
    cmd=(timeout --signal=TERM "$((limit + 60))" "${cmd[@]}")
  fi
  JAZZER_FUZZ=1 "${cmd[@]}" >"$log" 2>&1
  rc=$?
  grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs|== Java Exception|FuzzerSecurityIssue|Tests run:.*Fail" "$log" | tail -4
  if [[ $rc -ne 0 ]]; then
    failed+=("$t")
    echo "   FINDING or failure (exit $rc): see $log"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "targets with findings: ${failed[*]}"
  exit 1
fi
echo "all targets ran clean"
