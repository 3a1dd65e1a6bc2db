#!/usr/bin/env bash
# Fuzzes every Go fuzz target listed in .ci/fuzz-targets for a short time each (default 4s), seeded by its corpus.
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
t=${1:-4s}
list=.ci/fuzz-targets

listed=$(grep -v '^#' "$list" | awk 'NF { print $1, $2 }' | sort)
found=$(grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s|^func |./$(dirname "${f#./}") |"
done | sort)
if [[ "$listed" != "$found" ]]; then
  echo "fuzz: $list does not match the fuzz targets in the sources (< listed, > found):"
  diff <(echo "$listed") <(echo "$found") | grep '^[<>]' || true
  exit 1
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cache=$(go env GOCACHE)/fuzz
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
  dir=$cache/$(go list -f '{{.ImportPath}}' "$pkg")
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
