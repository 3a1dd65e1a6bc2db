#!/usr/bin/env bash
# Fuzzes every Go fuzz target listed in .ci/fuzz-targets for a bounded number of executions each (default 10000x),
# seeded by its corpus.
#
# The budget is a count, not a duration: with a duration, Go 1.26's fuzz coordinator can report a bare "context
# deadline exceeded" failure (no failing input) when the deadline passes while a starved worker is mid-execution
# (golang/go#75804, fixed in Go 1.27). A count has no deadline to race, so a loaded machine only makes the run slower.
# A duration such as 4s is still accepted as the argument.
#
# Each package's test binary is built once, with the fuzzing instrumentation (`go test -c -fuzz=.`: the -fuzz flag is
# what makes cmd/go compile the packages with coverage counters), and every target of the package is run from that
# binary the way `go test -fuzz` runs it: from the package directory (testdata/fuzz holds the seed corpus and receives
# new failures) with go's cache of interesting inputs. `go test -fuzz` per target would link a new binary every time.
#
# Nothing passes silently: the list must equal both the fuzz targets found in the sources and those the compiled test
# binaries report, and each run must report its own target as fuzzed and passed, with coverage guidance.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10000x}
list=.ci/fuzz-targets

listed=$(grep -v '^#' "$list" | awk 'NF { print $1, $2 }' | sort)
target='^func Fuzz[A-Za-z0-9_]*\([A-Za-z0-9_]+ \*testing\.F\)'
found=$(grep -rlE --include='*_test.go' "$target" . | sort | while read -r f; do
  grep -oE "$target" "$f" | sed -E "s|^func (Fuzz[A-Za-z0-9_]*).*|./$(dirname "${f#./}") \1|"
done | sort)
if [[ "$listed" != "$found" ]]; then
  echo "fuzz: $list does not match the fuzz targets in the sources (< listed, > found):"
  diff <(echo "$listed") <(echo "$found") | grep '^[<>]' || true
  exit 1
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cache=$(go env GOCACHE)/fuzz
module=$(awk '$1 == "module" { print $2; exit }' go.mod)
for pkg in $(awk '{ print $1 }' <<<"$listed" | uniq); do
  b=$bin/$(tr / _ <<<"${pkg#./}").test
  echo "== build $pkg"
  go test -c -vet=off -fuzz=. -ldflags="-s -w" -o "$b" "$pkg"
  want=$(awk -v p="$pkg" '$1 == p { print $2 }' <<<"$listed")
  got=$("$b" -test.list '^Fuzz' | sort)
  if [[ "$want" != "$got" ]]; then
    echo "fuzz: the test binary of $pkg has fuzz targets [$(echo $got)], $list lists [$(echo $want)]"
    exit 1
  fi
  dir=$cache/$module/${pkg#./} # where go test -fuzz keeps this package's interesting inputs
  for name in $want; do
    echo "== fuzz $pkg $name ($t)"
    out=$bin/out
    (cd "$pkg" && "$b" -test.paniconexit0 -test.v -test.run='^$' -test.fuzz="^${name}\$" -test.fuzztime="$t" \
      -test.fuzzcachedir="$dir") 2>&1 | tee "$out"
    if ! grep -q "^--- PASS: ${name} " "$out" || grep -q 'not built with coverage instrumentation' "$out"; then
      echo "fuzz: $pkg $name did not fuzz with coverage guidance and pass"
      exit 1
    fi
  done
done
