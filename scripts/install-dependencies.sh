#!/usr/bin/env bash
# Installs the Debian packages Tandem builds against, if any is missing.
# As root it installs them; otherwise it prints the exact command to run and fails.
set -euo pipefail

packages=(libopenblas-dev libyaml-dev libzstd-dev libdnnl-dev libopenmpi-dev openmpi-bin)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing ${missing[*]} …"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}"
    else
        echo "Tandem needs these Debian packages: ${missing[*]}" >&2
        echo "Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
    echo "Swift is not on PATH and not at /opt/swift/usr/bin/swift; install Swift 6.x first." >&2
    exit 1
fi
