#!/usr/bin/env bash
# `groundwork help`, `help VERB` and the man page groundwork(1): one table of text, rendered as help
# and as roff that man and groff read without a warning.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
VERBS="validate plan apply bootstrap status reset doctor drill restore help"

run_gw help
expect_rc 0 "help"
for v in $VERBS; do
  check "help lists $v" grep -qE "^  $v +[a-z]" "$WORK/out"
done
expect_in "$WORK/out" "--inventory" "help lists the global options"
expect_not_in "$WORK/out" "__complete" "help hides the completion verb"

run_gw help plan
expect_rc 0 "help plan"
expect_in "$WORK/out" "usage: groundwork [GLOBAL OPTIONS] plan [OPTIONS] [TARGET...]" "plan's usage"
expect_in "$WORK/out" "--format TEXT" "plan's options come from the parser"
expect_in "$WORK/out" "examples:" "plan has examples"
expect_in "$WORK/out" "groundwork -i inventories/sim.yaml plan --format mermaid" "plan's example"
for v in $VERBS; do
  run_gw help "$v"
  expect_rc 0 "help $v"
  expect_in "$WORK/out" "examples:" "help $v has examples"
done

# The summary in `--help` is the table's.
run_gw --help
expect_in "$WORK/out" "dry-run preview; runs no external command" "--help shows plan's summary"

run_gw help plna
expect_rc 2 "help of an unknown verb"
expect_in "$WORK/err" "unknown verb 'plna' (did you mean 'plan'?)" "did-you-mean"
check "nothing on stdout for an unknown verb" test ! -s "$WORK/out"
run_gw --log-format json help plna
expect_rc 2 "help of an unknown verb, JSON log"
expect_in "$WORK/err" '"level":"error"' "the error is a JSON log line"
expect_in "$WORK/err" "did you mean 'plan'?" "did-you-mean in JSON"
run_gw help a b
expect_rc 2 "help with two verbs"

# The man page: the build writes it next to the binary, and it is what --man prints.
"$GW" --man >groundwork.1
check "--man writes roff" grep -q '^\.TH GROUNDWORK 1' groundwork.1
check "the build wrote groundwork.1 next to the binary" cmp -s groundwork.1 "$(dirname "$GW")/groundwork.1"
groff -man -ww -z groundwork.1 2>groff.err
check "groff reads it without a warning" test ! -s groff.err
sed 's/^/  groff: /' groff.err | head -5 >&2
MANWIDTH=100 MANPAGER=cat man -l groundwork.1 2>man.err | col -bx >man.txt
check "man renders it" test -s man.txt
for s in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" VERBS FILES ENVIRONMENT "EXIT STATUS" "SEE ALSO"; do
  check "man page section $s" grep -qx "$s" man.txt
done
expect_in man.txt "groundwork -i inventories/sim.yaml plan --format mermaid" "man page has plan's example"
expect_in man.txt "--playbook TEXT" "man page has plan's options"
expect_in man.txt "share/groundwork/stages" "man page says where shipped stages are found"
for v in $VERBS; do
  check "man page describes $v" grep -qE "^ +$v( |\$)" man.txt
done
finish
