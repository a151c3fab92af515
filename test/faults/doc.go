// Package faults holds the fault-injection tests of the whole connector:
// the three real binaries (storage-rest, location, rhoai-normalizer)
// against a real kube-apiserver (envtest) and the registry/catalog test
// server, each scenario breaking one part and asserting what users see
// during and after the fault.
//
// They are slow (one scenario stops the kube-apiserver for a minute), so
// they build only with the "faults" tag:
//
//	make test-faults
//	go test -tags faults -race -count=1 -v ./test/faults/
//
// FAULT_APISERVER_DOWN shortens the API server outage (default 1m) when
// iterating locally.
package faults
