package fakeregistry

import (
	"strings"
	"sync"
)

// FaultMode says how the server misbehaves while a fault is active.
type FaultMode int

const (
	// FaultInternalError answers 500 with the spec's Error body.
	FaultInternalError FaultMode = iota + 1
	// FaultMalformedJSON answers 200 with a Content-Type of
	// application/json and a truncated body.
	FaultMalformedJSON
	// FaultHang does not answer until the request's context ends (the
	// client gives up) or ClearFaults is called.
	FaultHang
	// FaultEmptyList makes list endpoints answer 200 with no items, as a
	// registry that lost its data would; other requests are not affected.
	FaultEmptyList
)

func (m FaultMode) String() string {
	switch m {
	case FaultInternalError:
		return "internal-error"
	case FaultMalformedJSON:
		return "malformed-json"
	case FaultHang:
		return "hang"
	case FaultEmptyList:
		return "empty-list"
	}
	return "unknown"
}

// Fault is one injected misbehaviour.
type Fault struct {
	Mode FaultMode
	// Requests is how many matching requests misbehave; 0 means every one
	// until ClearFaults.
	Requests int
	// PathPrefix limits the fault to request paths starting with it, e.g.
	// RegistryBasePath or CatalogBasePath+"/sources"; "" matches all.
	PathPrefix string
}

type activeFault struct {
	Fault
	left int // requests left; <0 means unlimited
}

// faultSet holds the active faults; the first one that matches a request
// applies.
type faultSet struct {
	mu      sync.Mutex
	active  []*activeFault
	release chan struct{} // closed by clear to end hanging requests
}

func newFaultSet() *faultSet {
	return &faultSet{release: make(chan struct{})}
}

func (f *faultSet) add(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := fault.Requests
	if left <= 0 {
		left = -1
	}
	f.active = append(f.active, &activeFault{Fault: fault, left: left})
}

func (f *faultSet) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.active = nil
	close(f.release)
	f.release = make(chan struct{})
}

// take consumes one request of the first active fault that matches path
// and whose mode accept allows. It returns the mode (0 when none) and the
// channel that ClearFaults closes.
func (f *faultSet) take(path string, accept func(FaultMode) bool) (FaultMode, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, a := range f.active {
		if !accept(a.Mode) || !strings.HasPrefix(path, a.PathPrefix) {
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				f.active = append(f.active[:i:i], f.active[i+1:]...)
			}
		}
		return a.Mode, f.release
	}
	return 0, f.release
}
