#!/usr/bin/env bash
# The tests use real parts: Go's toolchain (a real Go program and `go tool pprof` as the reference), openssl (test
# certificates), Chromium (the viewer in a real browser) and libFuzzer with g++ (the fuzz suite's addon). Go is the
# machine's own: Go >= 1.22 as `go` on the PATH (an official release, e.g. in /usr/local/go); this script never
# installs it. openssl, Chromium, libFuzzer and g++ it installs when missing on Debian/Ubuntu when run as root;
# otherwise says what to install. schemathesis (the spec against the running service) it installs from PyPI into
# .cache/.
set -euo pipefail
cd "$(dirname "$0")/.."
GO_MIN_MINOR=22 # Go 1.22

go_problem=''
if ! command -v go >/dev/null; then
  go_problem='there is no `go` on the PATH'
else
  # GOTOOLCHAIN=local: report the go that is on the PATH, never one it would switch to.
  go_version=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true) # e.g. go1.26.8
  if [[ $go_version =~ ^go1\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -lt "$GO_MIN_MINOR" ]; then
    go_problem="$(command -v go) is ${go_version}"
  fi
fi
if [ -n "$go_problem" ]; then
  echo "The tests need Go >= 1.${GO_MIN_MINOR} as \`go\` on the PATH, but ${go_problem}." >&2
  echo "Install a Go release (https://go.dev/dl/, e.g. into /usr/local/go) and put its bin/ first on the PATH." >&2
  echo "Debian's golang-go package is not used (Debian 12's is Go 1.19)." >&2
fi

missing=()
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The test cluster puts each node's pods in a network namespace of its own (cluster/pod-network.ts).
command -v ip >/dev/null || missing+=(iproute2)
# The fuzzer's libFuzzer addon (test/fuzz/native/build-addon.ts): g++ and Debian's libFuzzer.
command -v g++ >/dev/null || missing+=(g++)
[ -f /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a ] || missing+=(libclang-rt-16-dev)
# schemathesis (below) runs from a venv of its own.
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3 python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates >/dev/null
  else
    echo "The tests need: ${missing[*]} (Debian packages). Install them, e.g. sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
[ -z "$go_problem" ] || exit 1

# schemathesis (test/schemathesis.test.ts) from PyPI, every package pinned by test/schemathesis/requirements.txt, in
# a venv under .cache/ so the machine's Python is left alone; installed again only when that file has changed.
SCHEMATHESIS_VENV=.cache/schemathesis-venv
SCHEMATHESIS_REQUIREMENTS=test/schemathesis/requirements.txt
if ! cmp -s "$SCHEMATHESIS_REQUIREMENTS" "$SCHEMATHESIS_VENV/requirements.txt"; then
  rm -rf "$SCHEMATHESIS_VENV"
  python3 -m venv "$SCHEMATHESIS_VENV"
  "$SCHEMATHESIS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$SCHEMATHESIS_REQUIREMENTS"
  cp "$SCHEMATHESIS_REQUIREMENTS" "$SCHEMATHESIS_VENV/requirements.txt"
fi

# Recent Go releases ship no prebuilt pprof (Go 1.26's pkg/tool has none): `go tool pprof` builds it on first use,
# which takes half a minute or more. Build it now, into the tests' Go cache (test/support/go-pprof.ts), so that no
# test's time goes to it.
node_modules/.bin/node -r ./test/support/register-ts.js -e '
  require("./test/support/go-pprof").goPprofTool().catch((err) => {
    console.error(`building go tool pprof failed: ${err.message}`);
    process.exit(1);
  });
'
