#!/usr/bin/env bash
# Makes sure the Debian packages the test suite needs are present; installs them as root, fails clearly otherwise.
set -euo pipefail
declare -A needs=(
  [age]="command -v age"
  [poppler-utils]="command -v pdfsig"
  [libnss3-tools]="command -v certutil"
  [fonts-noto-cjk]="test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
  [chromium]="command -v chromium"
)
missing=()
for pkg in "${!needs[@]}"; do
  bash -c "${needs[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: the test suite needs these Debian packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install -y ${missing[*]}   (then run make test again)" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "error: apt-get could not install: ${missing[*]}" >&2
  exit 1
fi
for pkg in "${missing[@]}"; do
  bash -c "${needs[$pkg]}" >/dev/null 2>&1 || { echo "error: $pkg installed but its check still fails: ${needs[$pkg]}" >&2; exit 1; }
done
