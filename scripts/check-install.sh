#!/usr/bin/env bash
# A clean install, as a user does it: `pipx install .` into a throwaway PIPX_HOME, then `imds-audit demo`
# and `imds-audit report` end to end with nothing but what the package ships (no test extras, no source
# checkout on the path). The system packages come from scripts/setup-system.sh (make test runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
python3 -m venv "$root/tools"
"$root/tools/bin/python" -m pip install -q --disable-pip-version-check pipx
export PIPX_HOME="$root/pipx" PIPX_BIN_DIR="$root/bin" PIPX_MAN_DIR="$root/man"
"$root/tools/bin/pipx" install --quiet . >/dev/null
cli="$root/bin/imds-audit"
"$cli" --version
help=$("$cli" -h)  # not piped into grep -q: with pipefail, an early exit of grep would fail the pipe
case "$help" in *--install-completion*) ;; *) echo "check-install: -h offers no shell completion" >&2; exit 1 ;; esac
(cd "$root" && "$cli" demo --out "$root/demo" --format html,pdf,csv,remediation >/dev/null 2>"$root/demo.err") ||
  { cat "$root/demo.err" >&2; exit 1; }
if grep -q "Kernel is running over TCP" "$root/demo.err"; then
  echo "check-install: the demo's kernel warned about plain TCP" >&2; exit 1
fi
for f in audit.html audit.pdf findings.csv remediation/remediate.sh findings/manifest.json; do
  [ -s "$root/demo/$f" ] || { echo "check-install: demo did not write $f" >&2; exit 1; }
done
rc=0
(cd "$root" && "$cli" report "$root/demo/snapshot" --out "$root/report" --format csv,json,asff) >/dev/null || rc=$?
[ "$rc" -eq 3 ] || { echo "check-install: report exited $rc, expected 3 (the demo estate allows IMDSv1)" >&2; exit 1; }
[ -s "$root/report/findings.asff.json" ] || { echo "check-install: report wrote no findings.asff.json" >&2; exit 1; }
echo "check-install: pipx install . gives a working imds-audit (demo and report end to end)"
