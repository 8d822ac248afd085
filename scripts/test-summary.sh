#!/usr/bin/env bash
# Prints the totals of one or more `swift test` logs — XCTest's and Swift Testing's together — as
# one closing line: "N passed, M failed".
passed=0; failed=0
for log in "$@"; do
    line=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
    if [ -n "$line" ]; then
        total=$(echo "$line" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
        failures=$(echo "$line" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
        passed=$((passed + total - failures)); failed=$((failed + failures))
    fi
    # Swift Testing: "Test run with N tests in S suites passed|failed …"; failed tests end "✘ Test … failed after".
    run=$(grep -E "Test run with [0-9]+ tests?" "$log" | tail -n 1)
    if [ -n "$run" ]; then
        tests=$(echo "$run" | sed -E 's/.*Test run with ([0-9]+) tests?.*/\1/')
        bad=$(grep -cE "^✘ Test .* failed after" "$log")
        passed=$((passed + tests - bad)); failed=$((failed + bad))
    fi
done
echo "$passed passed, $failed failed"
