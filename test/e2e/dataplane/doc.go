// Package dataplane holds end-to-end tests of the data plane: the real
// storage-rest and location binaries against a real kube-apiserver,
// restarted and crashed while they hold data.
package dataplane
