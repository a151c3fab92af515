//go:build tools

// Package envtest pins the control-plane binaries that the integration tests
// start through controller-runtime's envtest. They are built from source
// because no prebuilt binary can be downloaded on the build machines; the
// version matches the minor of the client libraries in the main go.mod.
package envtest

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
