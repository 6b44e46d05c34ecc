#!/usr/bin/env bash
# Crash safety: groundwork killed with SIGKILL at random moments of a run, again and again; every
# next run resumes from the journal. In the end every step is done, a step whose end was journaled
# never ran again, and a last apply runs nothing.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

sim_inventory inv.yaml crash
mkdir -p stages
STAGES=12
STEPS=3
for s in $(seq 1 $STAGES); do
  needs=""
  [ "$s" -gt 2 ] && needs="needs: [s$((s - 2))]"
  {
    printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: s%d}\nspec:\n  %s\n  steps:\n' "$s" "$needs"
    for t in $(seq 1 $STEPS); do
      # Each run of a step appends its name to ran.log, then takes a little while.
      printf '    - name: t%d\n      run: {argv: [/bin/sh, -c, "echo s%d/t%d >> ${vars.work}/ran.log; sleep 0.1"]}\n' "$t" "$s" "$t"
    done
  } >"stages/s$s.yaml"
done
JOURNAL="$WORK/st/crash/journal.jsonl"

# ended_steps: the steps with a step_end "passed" record in the journal so far (complete lines).
ended_steps() {
  python3 -c "
import json, sys
done = set()
try:
    for line in open('$JOURNAL'):
        if not line.endswith('\n'):
            break
        r = json.loads(line)
        if r.get('t') == 'step_end' and r.get('status') == 'passed':
            done.add(r['stage'] + '/' + r['step'])
except FileNotFoundError:
    pass
print('\n'.join(sorted(done)))"
}

run_gw -i inv.yaml --state-dir st validate
expect_rc 0 "the generated stages validate"

KILLS=0
for round in $(seq 1 10); do
  ended_steps >"$WORK/ended.before"
  if [ -f "$WORK/ran.log" ]; then wc -l <"$WORK/ran.log" >"$WORK/ran.before"; else echo 0 >"$WORK/ran.before"; fi
  start_gw -i inv.yaml --state-dir st apply -j 3
  # Kill somewhere between 20 ms and 270 ms in (a whole run takes about 2 s).
  sleep "0.$(printf '%03d' $((20 + RANDOM % 250)))"
  if kill -KILL "$BG_PID" 2>/dev/null; then KILLS=$((KILLS + 1)); fi
  { wait "$BG_PID"; } 2>/dev/null
  # A step already journaled as passed before this round must not have run in it.
  skip=$(cat "$WORK/ran.before")
  check "round $round: no step that had ended ran again" python3 -c "
ended = set(open('$WORK/ended.before').read().split())
ran = open('$WORK/ran.log').read().split()[$skip:] if __import__('os').path.exists('$WORK/ran.log') else []
again = ended & set(ran)
assert not again, sorted(again)"
done
check "groundwork was killed mid-run at least 5 times ($KILLS)" test "$KILLS" -ge 5

run_gw -i inv.yaml --state-dir st apply -j 3
expect_rc 0 "the run after the crashes completes"
run_gw -i inv.yaml --state-dir st status --format json
expect_rc 0 "status after the crashes"
check "every stage and step is done" python3 -c "
import json
j = json.load(open('$WORK/out'))
bad = [(s['name'], st['name'], st['status']) for s in j['stages'] for st in s['steps'] if st['status'] != 'done']
bad += [(s['name'], s['status']) for s in j['stages'] if s['status'] != 'done']
assert len(j['stages']) == $STAGES and not bad, bad"
check "every step ran at least once, and at most once more than the kills" python3 -c "
from collections import Counter
c = Counter(open('$WORK/ran.log').read().split())
assert len(c) == $((STAGES * STEPS)), len(c)
assert max(c.values()) <= 1 + $KILLS, c.most_common(3)"
check "the journal is whole JSON lines" python3 -c "
import json
text = open('$JOURNAL').read()
assert text.endswith('\n')
for l in text.splitlines(): json.loads(l)"
LINES=$(wc -l <"$WORK/ran.log")
run_gw -i inv.yaml --state-dir st apply -j 3
expect_rc 0 "a last apply"
check "the last apply ran nothing" test "$(wc -l <"$WORK/ran.log")" -eq "$LINES"

finish
