#!/usr/bin/env bash
# End-to-end test of the connector against the real RHDH catalog: the
# sandbox (envtest, in-memory registry and catalog, the three binaries), a
# private PostgreSQL cluster and a Backstage backend built from the
# published catalog and RHDH model-catalog packages. The assertions are
# test/e2e/backstage/test/*.test.js (node:test). `make e2e` runs this.
#
# Everything started here is stopped on exit, whatever happens. Logs:
# e2e/.work/logs/. Exit status: non-zero when anything failed.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
WORK="$E2E_DIR/.work"
LOGS="$WORK/logs"
BIN="$WORK/bin"
APP="$E2E_DIR/backstage"
ENVTEST_DIR=${ENVTEST_DIR:-${KUBEBUILDER_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/rhoai-connector/envtest-1.34.4}}
STARTUP_TIMEOUT=${E2E_STARTUP_TIMEOUT:-300}

T0=$(date +%s)
say() { printf 'e2e [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

# Processes and folders to clean up, in reverse start order.
SANDBOX_PID=""
BACKEND_PID=""
PGDATA=""
PGBIN=""
cleanup() {
	local rc=$?
	set +e
	if [ -n "$BACKEND_PID" ] && kill -0 "$BACKEND_PID" 2>/dev/null; then
		say "stopping the Backstage backend (pid $BACKEND_PID)"
		kill -TERM -- "-$BACKEND_PID" 2>/dev/null || kill -TERM "$BACKEND_PID"
		waitgone "$BACKEND_PID" 20 || kill -KILL -- "-$BACKEND_PID" 2>/dev/null
	fi
	if [ -n "$PGDATA" ] && [ -d "$PGDATA" ]; then
		if [ -f "$PGDATA/postmaster.pid" ]; then
			say "stopping PostgreSQL"
			runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
		fi
		cp "$PGDATA/server.log" "$LOGS/postgres.log" 2>/dev/null
		rm -rf "$PGDATA"
	fi
	if [ -n "$SANDBOX_PID" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
		# SIGTERM lets the sandbox stop its binaries and control plane.
		say "stopping the sandbox (pid $SANDBOX_PID)"
		kill -TERM "$SANDBOX_PID"
		waitgone "$SANDBOX_PID" 60 || kill -KILL -- "-$SANDBOX_PID" 2>/dev/null
	fi
	if [ "$rc" -eq 0 ]; then
		say "PASS (logs: $LOGS)"
	else
		say "FAILED with status $rc (logs: $LOGS)"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# waitgone PID SECONDS: true once PID has exited.
waitgone() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.2
	done
	return 1
}

# freeport prints a TCP port nothing listens on.
freeport() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

rm -rf "$LOGS"
mkdir -p "$LOGS" "$BIN"

# --- tools -----------------------------------------------------------------
command -v node >/dev/null || fail "node is missing: install Node.js 20 or newer"
command -v npm >/dev/null || fail "npm is missing: install npm"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	say "installing PostgreSQL (apt-get)"
	[ "$(id -u)" -eq 0 ] || fail "PostgreSQL is missing and installing it needs root: apt-get install -y postgresql"
	apt-get update -qq >"$LOGS/apt.log" 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >>"$LOGS/apt.log" 2>&1 ||
		fail "apt-get install postgresql failed: see $LOGS/apt.log"
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
id postgres >/dev/null 2>&1 || fail "no postgres user: reinstall the postgresql package"

say "npm ci in $APP"
t=$(date +%s)
"$E2E_DIR/npm-ci.sh" >"$LOGS/npm-ci.log" 2>&1 || fail "npm ci failed: see $LOGS/npm-ci.log"
NPM_SECONDS=$(($(date +%s) - t))

say "building the binaries (make build BIN=$BIN) and the sandbox"
t=$(date +%s)
make -C "$ROOT" --no-print-directory build BIN="$BIN" >"$LOGS/build.log" 2>&1 || fail "make build failed: see $LOGS/build.log"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN/sandbox" ./hack/sandbox) >>"$LOGS/build.log" 2>&1 ||
	fail "building hack/sandbox failed: see $LOGS/build.log"
BUILD_SECONDS=$(($(date +%s) - t))
[ -x "$ENVTEST_DIR/kube-apiserver" ] || fail "no kube-apiserver in $ENVTEST_DIR: run make envtest"

# --- the sandbox -----------------------------------------------------------
t=$(date +%s)
REGISTRY_PORT=$(freeport)
STORAGE_PORT=$(freeport)
LOCATION_PORT=$(freeport)
METRICS_PORT=$(freeport)
say "starting the sandbox (location :$LOCATION_PORT, registry :$REGISTRY_PORT)"
rm -rf "$WORK/sandbox"
# setsid: its own process group, so a stray Ctrl-C of the terminal reaches
# it only through this script's cleanup.
(cd "$ROOT" && exec setsid "$BIN/sandbox" --bin "$BIN" --envtest "$ENVTEST_DIR" --workdir "$WORK/sandbox" \
	--registry-port "$REGISTRY_PORT" --storage-port "$STORAGE_PORT" --location-port "$LOCATION_PORT" \
	--metrics-port "$METRICS_PORT" --polling-interval 3s) >"$LOGS/sandbox.log" 2>&1 &
SANDBOX_PID=$!
deadline=$(($(date +%s) + STARTUP_TIMEOUT))
until grep -q 'Press Ctrl-C to stop' "$LOGS/sandbox.log"; do
	kill -0 "$SANDBOX_PID" 2>/dev/null || { tail -n 20 "$LOGS/sandbox.log"; fail "the sandbox exited during start-up: see $LOGS/sandbox.log"; }
	[ "$(date +%s)" -lt "$deadline" ] || fail "the sandbox was not ready within ${STARTUP_TIMEOUT}s: see $LOGS/sandbox.log"
	sleep 1
done
say "sandbox ready: $(curl -fsS "http://127.0.0.1:$LOCATION_PORT/list")"

# The Kubernetes plugin's service account (deploy/rhdh/kubernetes-plugin-rbac.yaml)
# on the sandbox's API server, and a token of it.
export E2E_KUBECONFIG="$WORK/sandbox/kubeconfig"
say "applying deploy/rhdh/kubernetes-plugin-rbac.yaml for the Kubernetes plugin"
creds=$(cd "$APP" && node src/k8s.js plugin-credentials "$E2E_KUBECONFIG" 2>"$LOGS/k8s-credentials.log") ||
	fail "creating the Kubernetes plugin's credentials failed: see $LOGS/k8s-credentials.log"
E2E_K8S_URL=$(node -e 'console.log(JSON.parse(process.argv[1]).url)' "$creds")
E2E_K8S_CA_DATA=$(node -e 'console.log(JSON.parse(process.argv[1]).caData)' "$creds")
E2E_K8S_TOKEN=$(node -e 'console.log(JSON.parse(process.argv[1]).token)' "$creds")
export E2E_K8S_URL E2E_K8S_CA_DATA E2E_K8S_TOKEN

# --- PostgreSQL ------------------------------------------------------------
PG_PORT=$(freeport)
# Outside the work tree: the postgres user may not be able to traverse it.
PGDATA=$(mktemp -d /tmp/rhoai-e2e-pg.XXXXXX)
chown postgres: "$PGDATA"
chmod 700 "$PGDATA"
say "starting PostgreSQL $(basename "$(dirname "$PGBIN")") on 127.0.0.1:$PG_PORT (data: $PGDATA)"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust --no-sync >"$LOGS/initdb.log" 2>&1 ||
	fail "initdb failed: see $LOGS/initdb.log"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
	-o "-p $PG_PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >"$LOGS/pg_ctl.log" 2>&1 ||
	fail "PostgreSQL did not start: see $LOGS/pg_ctl.log and $PGDATA/server.log"

# --- the Backstage backend -------------------------------------------------
BACKEND_PORT=$(freeport)
BACKEND_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')
export E2E_BACKEND_PORT=$BACKEND_PORT E2E_PG_PORT=$PG_PORT E2E_BACKEND_TOKEN=$BACKEND_TOKEN
export E2E_LOCATION_URL="http://127.0.0.1:$LOCATION_PORT" E2E_LOCATION_HOST="127.0.0.1:$LOCATION_PORT"
say "starting the Backstage backend on 127.0.0.1:$BACKEND_PORT (log: $LOGS/backstage.log)"
(cd "$APP" && exec setsid node src/index.js --config app-config.yaml) >"$LOGS/backstage.log" 2>&1 &
BACKEND_PID=$!
deadline=$(($(date +%s) + STARTUP_TIMEOUT))
until curl -fsS -o /dev/null -H "Authorization: Bearer $BACKEND_TOKEN" \
	"http://127.0.0.1:$BACKEND_PORT/api/catalog/entities?limit=1" 2>/dev/null; do
	kill -0 "$BACKEND_PID" 2>/dev/null || { tail -n 30 "$LOGS/backstage.log"; fail "the Backstage backend exited during start-up: see $LOGS/backstage.log"; }
	[ "$(date +%s)" -lt "$deadline" ] || fail "the Backstage backend did not answer within ${STARTUP_TIMEOUT}s: see $LOGS/backstage.log"
	sleep 1
done
STARTUP_SECONDS=$(($(date +%s) - t))
say "Backstage backend ready"

# --- assertions ------------------------------------------------------------
t=$(date +%s)
say "running the assertions (node --test)"
export E2E_BACKEND_URL="http://127.0.0.1:$BACKEND_PORT"
export E2E_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
export E2E_PSQL="$PGBIN/psql"
export E2E_PG_HOST=127.0.0.1
# One file after the other, in name order (the glob sorts them): 4-removal
# changes the registry, so it runs last. test/lib.js holds helpers.
(cd "$APP" && node --test --test-concurrency=1 --test-reporter=spec \
	test/*.test.js) 2>&1 | tee "$LOGS/test.log"
test_rc=${PIPESTATUS[0]}
TEST_SECONDS=$(($(date +%s) - t))
say "timings: npm ci ${NPM_SECONDS}s, build ${BUILD_SECONDS}s, start-up ${STARTUP_SECONDS}s, assertions ${TEST_SECONDS}s"
[ "$test_rc" -eq 0 ] || fail "assertions failed (status $test_rc): see $LOGS/test.log and $LOGS/backstage.log"
# An entity the catalog cannot stitch is only logged (refresh_state has no
# error for it), and is missing from the catalog.
if grep -a 'Failed to stitch' "$LOGS/backstage.log" >"$LOGS/stitch-errors.log"; then
	head -n 5 "$LOGS/stitch-errors.log"
	fail "the catalog failed to stitch entities: see $LOGS/stitch-errors.log"
fi
