// Package scale measures the whole connector at scale: the three real
// binaries (rhoai-normalizer, storage-rest and location, started by
// testenv.Stack as they run in the RHDH pod) against a real kube-apiserver
// (envtest) holding KServe InferenceServices, and a generated Model Registry
// and Model Catalog (fakeregistry) served over loopback HTTP.
//
// BenchmarkScale, for 1,000, 10,000 and 50,000 registered models, reports:
// the time until location lists every record; registry requests per
// unchanged sync; Kubernetes API writes per unchanged sync and for a change
// of 1% of the models; how long an InferenceService that turns Ready, and a
// newly registered model, take to appear in /list (p50, p99); /list and
// document throughput under concurrent load; the peak resident memory of
// each binary; and the number and size of the bac-import-model ConfigMaps.
// It fails, rather than only measuring, when records are missing or wrong,
// a binary dies, or unchanged syncs write to Kubernetes.
//
// One stack start is one measurement, so run it with -benchtime 1x and one
// size at a time:
//
//	go test -run '^$' -bench 'Scale/models=1000$' -benchtime 1x -timeout 60m ./test/scale/
//
// models=50000 needs -timeout 120m. etcd runs with OpenShift's 8 GiB
// backend quota (envtest keeps etcd's 2 GiB default otherwise): each
// ConfigMap update rewrites the whole ConfigMap, so the first publication
// writes far more into etcd than the records weigh, and the benchmark
// reports how much (etcd-MiB-in/first-sync). It fails, naming etcd's
// NOSPACE alarm, if the quota fills.
//
// The package's TestMain only starts the control plane and builds the
// binaries when benchmarks are asked for, so `go test ./...` pays nothing.
package scale
