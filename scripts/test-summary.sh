#!/usr/bin/env bash
# Prints the XCTest totals of a `swift test` log as one closing line: "N passed, M failed".
log="$1"
line=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
if [ -z "$line" ]; then echo "0 passed, 0 failed"; exit 0; fi
total=$(echo "$line" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$line" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
echo "$((total - failed)) passed, $failed failed"
