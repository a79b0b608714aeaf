#!/usr/bin/env bash
# The validate, graph and convert commands as a user runs them: output
# format, exit codes, Graphviz rendering, and a YAML → JSON → YAML round trip.
# usage: test_cli_validate.sh IVRSM_BINARY SOURCE_DIR
set -uo pipefail
ivrsm=$1
src=$2
fixtures=$src/tests/fixtures/validate
seed=$src/examples/synergia_rdv/machine.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run NAME WANT_STATUS CMD...: stdout in $tmp/out, stderr in $tmp/err.
run() {
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$name: exit $got, want $want"
        sed 's/^/  | /' "$tmp/out" "$tmp/err" >&2
    fi
}

expect_out() { # NAME TEXT: stdout is exactly TEXT
    if [ "$(cat "$tmp/out")" != "$2" ]; then
        fail "$1: stdout differs"
        diff <(echo "$2") "$tmp/out" | sed 's/^/  | /' >&2
    fi
}

expect_err() { # NAME TEXT: stderr is exactly TEXT
    if [ "$(cat "$tmp/err")" != "$2" ]; then
        fail "$1: stderr is \"$(cat "$tmp/err")\", want \"$2\""
    fi
}

# --- validate ----------------------------------------------------------------

run "validate --help" 0 "$ivrsm" validate --help
grep -q '^usage: ivrsm validate' "$tmp/out" || fail "validate --help: no usage line"

run "clean machine" 0 "$ivrsm" validate "$fixtures/clean.yaml"
expect_out "clean machine" "1 file checked: 0 errors, 0 warnings"
expect_err "clean machine" ""

run "one error" 1 "$ivrsm" validate "$fixtures/dangling-next.yaml"
expect_out "one error" "$fixtures/dangling-next.yaml:34:13: error: next: no state named 'by'; did you mean 'bye'? [dangling-next]
1 file checked: 1 error, 0 warnings"
expect_err "one error" ""

run "warnings only" 0 "$ivrsm" validate "$seed"
[ "$(wc -l <"$tmp/out")" = 9 ] || fail "seed: $(wc -l <"$tmp/out") lines, want 8 and the summary"
if head -n 8 "$tmp/out" | grep -v -E "^$seed:[0-9]+:[0-9]+: warning: .+ \[[a-z-]+\]$"; then
    fail "seed: lines not in FILE:LINE:COL: warning: message [rule] form"
fi
[ "$(tail -n 1 "$tmp/out")" = "1 file checked: 0 errors, 8 warnings" ] || fail "seed: last line $(tail -n 1 "$tmp/out")"
expect_err "warnings only" ""

run "quiet" 0 "$ivrsm" validate --quiet "$seed"
expect_out "quiet" "1 file checked: 0 errors, 8 warnings"

run "several files" 1 "$ivrsm" validate "$fixtures/clean.yaml" "$fixtures/wrong-type.yaml" "$seed" -q
expect_out "several files" "$fixtures/wrong-type.yaml:23:15: error: fallback: expected a map with next (and set), found a string (\"bye\") [wrong-type]
3 files checked: 1 error, 8 warnings"
expect_err "several files" ""

run "syntax error" 1 "$ivrsm" validate "$fixtures/syntax.yaml"
grep -q "^$fixtures/syntax.yaml:37:14: error: YAML syntax error: .* \[syntax\]$" "$tmp/out" ||
    fail "syntax error: $(cat "$tmp/out")"

run "json format" 1 "$ivrsm" validate --format json "$fixtures/dangling-next.yaml" "$fixtures/unused-intent.yaml"
python3 - "$tmp/out" <<'PY' || fail "json format: unexpected document"
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["rule"] for x in d] == ["dangling-next", "unused-intent"], d
assert d[0]["line"] == 34 and d[0]["column"] == 13 and d[0]["severity"] == "error"
assert d[0]["path"] == "states.check.on_fail.next"
assert d[1]["severity"] == "warning" and d[1]["file"].endswith("unused-intent.yaml")
PY
expect_err "json format" "2 files checked: 1 error, 1 warning"

# With 2>&1 into a pipe or a file, one stream in order: each file's
# diagnostics, a file that cannot be read in its turn, the summary last.
"$ivrsm" validate "$fixtures/dangling-next.yaml" "$tmp/nope.yaml" "$fixtures/unused-intent.yaml" >"$tmp/both" 2>&1
python3 - "$tmp/both" <<'PY' || fail "2>&1: not in order: $(cat "$tmp/both")"
import sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 4, lines
assert "dangling-next.yaml:34:13: error:" in lines[0], lines
assert "nope.yaml: cannot read the file" in lines[1], lines
assert "unused-intent.yaml:" in lines[2] and "[unused-intent]" in lines[2], lines
assert lines[3] == "2 files checked: 1 error, 1 warning", lines
PY

# --ignore: the warnings of a rule left out and counted apart; errors cannot be ignored.
run "ignore" 0 "$ivrsm" validate --ignore template-path-never-set "$fixtures/template-path-never-set.yaml"
expect_out "ignore" "1 file checked: 0 errors, 0 warnings (2 ignored)"
run "ignore two" 0 "$ivrsm" validate --ignore=dtmf-conflict,utterance-conflict --ignore unused-intent "$seed"
grep -q -E "\[(dtmf-conflict|utterance-conflict|unused-intent)\]" "$tmp/out" && fail "ignore two: $(cat "$tmp/out")"
[ "$(tail -n 1 "$tmp/out")" = "1 file checked: 0 errors, 3 warnings (5 ignored)" ] || fail "ignore two: $(tail -n 1 "$tmp/out")"
run "ignore an error" 2 "$ivrsm" validate --ignore syntax "$seed"
expect_err "ignore an error" "ivrsm validate: --ignore: 'syntax' is an error, which cannot be ignored (the machine would not load)"
run "ignore an unknown rule" 2 "$ivrsm" validate --ignore dead-ends "$seed"
expect_err "ignore an unknown rule" "ivrsm validate: --ignore: 'dead-ends' is not a warning rule (see 'ivrsm validate --help')"
run "ignore without a rule" 2 "$ivrsm" validate --ignore
# Every rule (one fixture each) is listed by --help, which --ignore checks against.
"$ivrsm" validate --help >"$tmp/help"
for f in "$fixtures"/*.yaml; do
    rule=$(basename "$f" .yaml)
    [ "$rule" = clean ] && continue
    grep -q -- "$rule" "$tmp/help" || fail "validate --help does not list $rule"
done

run "missing file" 2 "$ivrsm" validate "$tmp/nope.yaml"
grep -q "nope.yaml: cannot read the file" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
run "missing file among good ones" 2 "$ivrsm" validate "$fixtures/clean.yaml" "$tmp/nope.yaml"
run "no file" 2 "$ivrsm" validate
run "unknown option" 2 "$ivrsm" validate --frobnicate "$seed"
run "bad format" 2 "$ivrsm" validate --format xml "$seed"

# An unknown locale: the known ones are named (those of the schema's enum, which
# the locales test compares with the library), and the nearest suggested.
known=$(python3 -c 'import json, sys; print(", ".join(json.load(open(sys.argv[1]))["$defs"]["locale"]["enum"]))' "$src/schema/ivrsm-machine.schema.json")
printf 'machine: m\nversion: "1"\nlocale: en-AU\nstates:\n  bye:\n    type: prompt_end\n    prompt: "Bye."\n' >"$tmp/en-AU.yaml"
run "unknown locale" 1 "$ivrsm" validate "$tmp/en-AU.yaml"
expect_out "unknown locale" "$tmp/en-AU.yaml:3:9: error: locale: unknown locale 'en-AU'; did you mean 'en-US'? (known: $known) [invalid-value]
1 file checked: 1 error, 0 warnings"
sed 's/en-AU/zz-ZZ/' "$tmp/en-AU.yaml" >"$tmp/zz-ZZ.yaml"
run "unknown locale, none near" 1 "$ivrsm" validate "$tmp/zz-ZZ.yaml"
expect_out "unknown locale, none near" "$tmp/zz-ZZ.yaml:3:9: error: locale: unknown locale 'zz-ZZ' (known: $known) [invalid-value]
1 file checked: 1 error, 0 warnings"
for tag in ${known//,/} en de es fr; do
    sed "s/en-AU/$tag/" "$tmp/en-AU.yaml" >"$tmp/known.yaml"
    run "locale $tag" 0 "$ivrsm" validate "$tmp/known.yaml"
done

# A block shared through an alias is checked in each state that uses it; a
# finding inside it is said once in the text output, once per state in JSON
# (the document paths differ).
cat >"$tmp/shared.yaml" <<'YAML'
machine: shared_block
version: "1"
states:
  first:
    type: action_then_prompt
    action: &lookup
      call: "GET /items/{id}"
      path: { id: "{{ctx.item}}" }
    on_success: { next: second }
    on_fail: { next: bye }
  second:
    type: action_then_prompt
    action: *lookup
    on_success: { next: bye }
    on_fail: { next: bye }
  bye:
    type: prompt_end
    prompt: "Bye."
YAML
run "shared block" 0 "$ivrsm" validate "$tmp/shared.yaml"
[ "$(grep -c 'template-path-never-set' "$tmp/out")" = 1 ] || fail "shared block: said $(grep -c 'template-path-never-set' "$tmp/out") times"
grep -q "^$tmp/shared.yaml:8:22: warning: the template reads ctx.item" "$tmp/out" || fail "shared block: $(cat "$tmp/out")"
[ "$(tail -n 1 "$tmp/out")" = "1 file checked: 0 errors, 1 warning" ] || fail "shared block: $(tail -n 1 "$tmp/out")"
run "shared block json" 0 "$ivrsm" validate --format json "$tmp/shared.yaml"
python3 - "$tmp/out" <<'PY' || fail "shared block json: $(cat "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(x["path"] for x in d) == ["states.first.action.path.id", "states.second.action.path.id"], d
PY

# --- graph -------------------------------------------------------------------

run "graph --help" 0 "$ivrsm" graph --help
grep -q '^usage: ivrsm graph' "$tmp/out" || fail "graph --help: no usage line"

# The graph and convert commands read their one file as the others read theirs (drv_operand).
run "graph unknown option" 2 "$ivrsm" graph --bogus "$seed"
expect_err "graph unknown option" "ivrsm graph: unknown option '--bogus'
Run 'ivrsm graph --help'."
run "graph two files" 2 "$ivrsm" graph "$seed" "$seed"
expect_err "graph two files" "ivrsm graph: one file at a time ('$seed' is extra)"
run "convert no file" 2 "$ivrsm" convert --to json
head -1 "$tmp/err" | grep -qx "ivrsm convert: no file given" || fail "convert no file: $(cat "$tmp/err")"
run "convert no --to" 2 "$ivrsm" convert "$seed"
head -1 "$tmp/err" | grep -qx "ivrsm convert: --to is required" || fail "convert no --to: $(cat "$tmp/err")"

run "graph dot" 0 "$ivrsm" graph "$seed" -o "$tmp/seed.dot"
grep -q '^digraph "synergia_rdv_mvp_ivr" {$' "$tmp/seed.dot" || fail "graph dot: no digraph line"
grep -q '"__start" -> "ivr.entry";' "$tmp/seed.dot" || fail "graph dot: initial state not marked"
grep -q '"ivr.auth.request_otp" \[shape=hexagon\];' "$tmp/seed.dot" || fail "graph dot: shape"
grep -q '"ivr.handoff.to_agent" \[shape=house\];' "$tmp/seed.dot" || fail "graph dot: handoff shape"
grep -q '"ivr.goodbye" \[shape=doublecircle\];' "$tmp/seed.dot" || fail "graph dot: end shape"
grep -q '"ivr.confirmation" -> "ivr.confirmation.share" \[label="text: partager"\];' "$tmp/seed.dot" ||
    fail "graph dot: when_text edge label"
grep -q '"ivr.auth.request_otp" -> "ivr.auth.verify_otp" \[label="success"\];' "$tmp/seed.dot" ||
    fail "graph dot: success edge"
grep -q '"ivr.entry" -> "ivr.entry.retry" \[label="noinput\\nnomatch"\];' "$tmp/seed.dot" ||
    fail "graph dot: merged noinput/nomatch edge"
if command -v dot >/dev/null; then
    run "dot -Tsvg" 0 dot -Tsvg "$tmp/seed.dot" -o "$tmp/seed.svg"
    grep -q '<svg' "$tmp/seed.svg" || fail "dot -Tsvg: no svg"
    grep -q 'ivr.auth.verify_otp.retry' "$tmp/seed.svg" || fail "dot -Tsvg: a state is missing"
else
    echo "dot not found: Graphviz rendering not checked"
fi

run "graph mermaid" 0 "$ivrsm" graph --format mermaid "$seed"
head -n 1 "$tmp/out" | grep -q '^flowchart LR$' || fail "mermaid: no flowchart header"
grep -q '^  s0\["ivr.entry"\]$' "$tmp/out" || fail "mermaid: quoted state label"
grep -q '^  start((" ")) --> s0$' "$tmp/out" || fail "mermaid: initial state"
grep -q -- '-->|"take_appointment"| s3$' "$tmp/out" || fail "mermaid: labelled edge"
if grep -v -E '^(flowchart LR|  start\(\(" "\)\) --> s[0-9]+|  s[0-9]+(\["|\{\{"|\(\["|\[/"|\(\(\(")[a-z._]+("\]|"\}\}|"\]\)|"\\\]|"\)\)\))|  s[0-9]+ -->\|"[^"|]+"\| s[0-9]+)$' "$tmp/out"; then
    fail "mermaid: lines outside the expected grammar"
fi

# Format 1.1: a decide is a diamond, routes on data and outcomes by answer say what takes them,
# the inputs stand beside the start (tests/format/refill.yaml).
refill=$src/tests/format/refill.yaml
run "graph format 1.1" 0 "$ivrsm" graph "$refill" -o "$tmp/refill.dot"
grep -q '"check" \[shape=diamond\];' "$tmp/refill.dot" || fail "graph dot: decide shape"
grep -q '"check" -> "no_refills" \[label="when: ctx.refills_left <= 0"\];' "$tmp/refill.dot" ||
    fail "graph dot: condition route label"
grep -q '"welcome" -> "to_pharmacist" \[label="pharmacist \[now.open\]"\];' "$tmp/refill.dot" ||
    fail "graph dot: intent with a condition"
grep -q '"lookup" -> "welcome" \[label="status 404"\];' "$tmp/refill.dot" || fail "graph dot: status edge"
grep -q '"lookup" -> "goodbye" \[label="fail\\nstatus 5xx\\ntimeout"\];' "$tmp/refill.dot" ||
    fail "graph dot: fail, status class and timeout merged"
grep -q '"__inputs" \[shape=note, label="inputs (the host gives them)\\ncaller_number: string, required' "$tmp/refill.dot" ||
    fail "graph dot: inputs note"
# validate --explain lists the inputs the host gives, with their type, default and whether required.
run "validate --explain" 0 "$ivrsm" validate --explain "$refill"
grep -q "machine pharmacy_refill 1.0, 9 states, starts in welcome" "$tmp/out" || fail "explain: header"
grep -q "^  inputs, which the host gives in the initial ctx:$" "$tmp/out" || fail "explain: inputs"
grep -Eq '^    caller_number +string, required$' "$tmp/out" || fail "explain: required input"
grep -Eq '^    pharmacy_name +string, default "Main Street Pharmacy"$' "$tmp/out" ||
    fail "explain: input with a default"
run "graph mermaid format 1.1" 0 "$ivrsm" graph --format mermaid "$refill"
grep -q -- '-->|"when: ctx.refills_left <= 0"| s5$' "$tmp/out" || fail "mermaid: condition label"
grep -q -- '-->|"fail, status 5xx, timeout"| s8$' "$tmp/out" || fail "mermaid: status labels"
grep -q '^  s2{"check"}$' "$tmp/out" || fail "mermaid: decide shape"

run "graph of a broken machine" 1 "$ivrsm" graph "$fixtures/dangling-next.yaml"
expect_err "graph of a broken machine" "$fixtures/dangling-next.yaml:34:13: error: next: no state named 'by'; did you mean 'bye'?"
run "graph bad format" 2 "$ivrsm" graph --format png "$seed"
run "graph no file" 2 "$ivrsm" graph

run "graph --format svg" 2 "$ivrsm" graph "$fixtures/clean.yaml" --format svg
expect_err "graph --format svg" "ivrsm graph: --format takes dot or mermaid, not 'svg' (for svg: ivrsm graph FILE | dot -Tsvg -o graph.svg)"
run "graph --format bogus" 2 "$ivrsm" graph "$fixtures/clean.yaml" --format bogus
expect_err "graph --format bogus" "ivrsm graph: --format takes dot or mermaid, not 'bogus'"

# --- convert -----------------------------------------------------------------

run "convert --help" 0 "$ivrsm" convert --help
grep -q '^usage: ivrsm convert' "$tmp/out" || fail "convert --help: no usage line"

run "yaml to json" 0 "$ivrsm" convert "$seed" --to json -o "$tmp/a.json"
run "json to yaml" 0 "$ivrsm" convert "$tmp/a.json" --to yaml -o "$tmp/b.yaml"
run "yaml to json again" 0 "$ivrsm" convert "$tmp/b.yaml" --to json -o "$tmp/c.json"
cmp -s "$tmp/a.json" "$tmp/c.json" || fail "round trip: the JSON documents differ"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/a.json" || fail "convert: invalid JSON"
# Same machine: the validator says the same things, positions aside.
for f in "$seed" "$tmp/a.json" "$tmp/b.yaml"; do
    "$ivrsm" validate "$f" 2>/dev/null | sed -E 's/^[^ ]+ //' >"$tmp/$(basename "$f").msgs"
done
cmp -s "$tmp/machine.yaml.msgs" "$tmp/a.json.msgs" || fail "round trip: JSON validates differently"
cmp -s "$tmp/machine.yaml.msgs" "$tmp/b.yaml.msgs" || fail "round trip: YAML validates differently"
grep -q '^  ivr.entry:$' "$tmp/b.yaml" || fail "convert: state names are plain keys"
grep -q '^  "yes":$' "$tmp/b.yaml" || fail "convert: yes is quoted"
grep -q '^    prompt: >$' "$tmp/b.yaml" || fail "convert: long prompts are folded"

run "convert to stdout" 0 "$ivrsm" convert "$fixtures/clean.yaml" --to=json
head -n 1 "$tmp/out" | grep -q '^{$' || fail "convert to stdout: not JSON"
run "convert without --to" 2 "$ivrsm" convert "$seed"
run "convert to xml" 2 "$ivrsm" convert "$seed" --to xml
run "convert malformed" 1 "$ivrsm" convert "$fixtures/syntax.yaml" --to json
grep -q "syntax.yaml:37:14: error: YAML syntax error" "$tmp/err" || fail "convert malformed: $(cat "$tmp/err")"
run "convert missing file" 2 "$ivrsm" convert "$tmp/nope.yaml" --to json

# bench: figures for any machine, errors like validate's.
run "bench" 0 "$ivrsm" bench "$seed" -n 3
grep -q '^machine  synergia_rdv_mvp_ivr 1.0.0: 37 states$' "$tmp/out" || fail "bench: no machine line"
grep -q '^load  *[0-9.]* us (median of 3)$' "$tmp/out" || fail "bench: no load figure"
grep -q '^calls    silent  *4.0 events per call' "$tmp/out" || fail "bench: silent caller: $(cat "$tmp/out")"
# The session's heap, counted through its allocator and jansson's, and what
# ivrsm_session_memory reports of it (its ctx included): never more than the heap.
mem_line=$(grep '^memory ' "$tmp/out")
heap=$(echo "$mem_line" | sed -n 's/.*first question: \([0-9]*\) bytes of heap, its ctx included (\([0-9]*\) by ivrsm_session_memory).*/\1/p')
own=$(echo "$mem_line" | sed -n 's/.*first question: \([0-9]*\) bytes of heap, its ctx included (\([0-9]*\) by ivrsm_session_memory).*/\2/p')
{ [ -n "$heap" ] && [ -n "$own" ] && [ "$own" -gt 0 ] && [ "$own" -le "$heap" ]; } ||
    fail "bench: memory line: $mem_line"
grep -q '^calls    says oui ' "$tmp/out" || fail "bench: the seed's speaking caller: $(cat "$tmp/out")"
# The speaking caller says yes in the machine's own language.
run "bench in Spanish" 0 "$ivrsm" bench "$src/examples/utility_outage/machine.yaml" -n 2
grep -q '^calls    says sí ' "$tmp/out" || fail "bench es-ES: $(cat "$tmp/out")"
run "bench in English" 0 "$ivrsm" bench "$src/examples/synergia_rdv_en/machine.yaml" -n 2
grep -q '^calls    says yes ' "$tmp/out" || fail "bench en-US: $(cat "$tmp/out")"
run "bench a broken machine" 1 "$ivrsm" bench "$fixtures/syntax.yaml" -n 2
grep -q "syntax.yaml:37:14: error: YAML syntax error" "$tmp/err" || fail "bench broken: $(cat "$tmp/err")"
run "bench without a machine" 2 "$ivrsm" bench

if [ "$failures" != 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all CLI checks passed"
