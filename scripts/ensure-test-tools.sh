#!/usr/bin/env bash
# The tests use real parts: Go's toolchain (a real Go program and `go tool pprof` as the reference), openssl (test
# certificates) and Chromium (the viewer in a real browser). Installs what is missing on Debian/Ubuntu when run as
# root; otherwise says what to install.
set -euo pipefail
missing=()
command -v go >/dev/null || missing+=(golang-go)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates >/dev/null
else
  echo "The tests need: ${missing[*]} (Debian packages). Install them, e.g. sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
