#!/usr/bin/env bash
# Installs the system packages imds-audit needs for reports, when they are missing:
#   chromium        the HTML rendering check (headless), and static chart export where the shell is missing
#   chromium-headless-shell  static chart export (kaleido drives it): no online features at all
#   strace          the test that proves the PDF render makes no network connection
#   fonts-noto-cjk  Japanese text in the PDF
#   poppler-utils   pdftoppm / pdffonts for the PDF checks
#   pango/harfbuzz  WeasyPrint's text layout
# On a system without apt-get it names what to install and fails.
set -euo pipefail

PACKAGES=(chromium chromium-headless-shell strace fonts-noto-cjk fonts-dejavu-core poppler-utils libpango-1.0-0 libpangoft2-1.0-0
          libharfbuzz0b libharfbuzz-subset0 shared-mime-info)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "imds-audit needs these system packages (Debian names): ${missing[*]}" >&2
  echo "Install their equivalents: Chromium (or Chrome) and set BROWSER_PATH to it, Noto CJK fonts," >&2
  echo "poppler (pdftoppm, pdffonts), and Pango >= 1.44 for WeasyPrint." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "run as root or install sudo; missing: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
