#!/usr/bin/env bash
# The SLURM profile on a real single-node SLURM (tests/slurm/): installs Debian's slurm-wlm,
# slurmdbd, munge and mariadb-server if missing, then runs the test, which starts private
# daemons below /tmp, runs the tiny DAG through profiles/slurm, cancels and resumes a training
# job, and stops every daemon it started. Needs root (slurmd runs jobs as their user) or sudo.
# Run from the repo with the venv active:  .ci/slurm_test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(slurm-wlm slurmdbd munge mariadb-server)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif sudo -n true 2>/dev/null; then
    as_root=(sudo -n -E)
else
    echo "SLURM test: needs root (apt-get install; slurmd starts jobs as their user)," >&2
    echo "and $(id -un) is not root and has no password-less sudo. Run as root." >&2
    exit 1
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "SLURM test: installing ${missing[*]}"
    # policy-rc.d keeps the packages' own services from starting (the test runs private ones).
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
        "${as_root[@]}" chmod +x "$policy"
        made_policy=1
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "${missing[@]}" >/dev/null
    if [ "$made_policy" -eq 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
fi

start=$(date +%s)
"${as_root[@]}" env OGN_SLURM_TEST=1 PATH="$PATH:/usr/sbin:/sbin" \
    python -m pytest -q -s -n 0 -p no:cacheprovider tests/slurm
echo "SLURM test: $(( $(date +%s) - start )) s"
