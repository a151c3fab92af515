#!/usr/bin/env bash
# Builds kube-apiserver and etcd for envtest into $1 unless they are already
# there. Both come from source through the Go module proxy (see go.mod beside
# this script); the first build takes a few minutes, later ones are instant.
set -euo pipefail
dir=${1:?usage: build.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then
  exit 0
fi
mkdir -p "$dir"
cd "$here"
echo "envtest: building kube-apiserver and etcd into $dir (first time only, a few minutes)..." >&2
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export CGO_ENABLED=0
go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
echo "envtest: etcd built, building kube-apiserver..." >&2
go build -trimpath -ldflags "-s -w" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
mv "$tmp/etcd" "$tmp/kube-apiserver" "$dir/"
echo "envtest: done" >&2
