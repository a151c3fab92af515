#!/usr/bin/env bash
# Gets kube-apiserver and etcd for envtest into $1 (version $2, default
# 1.34.4) unless they are already there:
#   1. the ecosystem's way: controller-runtime's setup-envtest downloads
#      prebuilt binaries (seconds, on a machine with internet);
#   2. where setup-envtest cannot reach its store (no internet, only the Go
#      module proxy), both are built from source through the Go module proxy
#      (see go.mod beside this script): about 15-20 minutes on 2 cores, once.
# Either way the result is cached in $1; nothing is fetched or rebuilt while
# both binaries are there.
set -euo pipefail
dir=${1:?usage: build.sh DIR [VERSION]}
version=${2:-1.34.4}
here=$(cd "$(dirname "$0")" && pwd)
# The setup-envtest release that goes with the controller-runtime in go.mod.
setup_envtest=sigs.k8s.io/controller-runtime/tools/setup-envtest@v0.25.1

if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then
  exit 0
fi
say() { echo "envtest: $*" >&2; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.build.XXXXXX")
beat=
cleanup() {
  [[ -n "$beat" ]] && kill "$beat" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# heartbeat prints a line every 30 s while a long step runs, so that a first
# run never looks hung.
heartbeat() {
  local what=$1 usual=$2 start=$SECONDS
  while sleep 30; do
    say "still $what: $((SECONDS - start)) s so far (usually $usual)"
  done
}
run_with_heartbeat() {
  local what=$1 usual=$2
  shift 2
  heartbeat "$what" "$usual" &
  beat=$!
  "$@"
  local rc=$?
  kill "$beat" 2>/dev/null
  wait "$beat" 2>/dev/null || true
  beat=
  return $rc
}

# 1. Prebuilt binaries.
say "getting kube-apiserver and etcd ${version%.*}.x with setup-envtest (prebuilt; seconds with internet)..."
if run_with_heartbeat "installing setup-envtest" "under a minute the first time" \
  env GOBIN="$tmp/tools" go install "$setup_envtest" 2>"$tmp/err"; then
  if src=$("$tmp/tools/setup-envtest" use "${version%.*}.x" --bin-dir "$tmp/store" -p path 2>>"$tmp/err") &&
    [[ -x "$src/kube-apiserver" && -x "$src/etcd" ]]; then
    cp "$src/kube-apiserver" "$src/etcd" "$tmp/"
    mv "$tmp/etcd" "$tmp/kube-apiserver" "$dir/"
    say "done: prebuilt binaries in $dir"
    exit 0
  fi
fi
say "setup-envtest could not get prebuilt binaries ($(tail -n 1 "$tmp/err" | cut -c1-200))"
say "building them from source through the Go module proxy instead: about 15-20 minutes on 2 cores, once (cached in $dir)"

# 2. From source.
cd "$here"
export CGO_ENABLED=0
start=$SECONDS
run_with_heartbeat "building etcd" "1-3 minutes" \
  go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
say "etcd built in $((SECONDS - start)) s; building kube-apiserver..."
run_with_heartbeat "building kube-apiserver" "10-17 minutes" \
  go build -trimpath -ldflags "-s -w" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
mv "$tmp/etcd" "$tmp/kube-apiserver" "$dir/"
say "done in $((SECONDS - start)) s: built from source into $dir"
