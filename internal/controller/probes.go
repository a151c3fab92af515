package controller

import (
	"fmt"
	"net/http"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// probes are the normalizer's liveness (/healthz) and readiness (/readyz)
// checks, declared as controller-runtime's are (AddHealthzCheck,
// AddReadyzCheck: a healthz.Checker by name). They are served by
// checksHandler on the normalizer's metrics listener rather than by the
// manager's health probe server, which keeps the documented contract that
// server cannot: /metrics, /healthz and /readyz on one port
// (--metrics-address, bound in main before anything starts, with the same
// limits on slow clients as location and storage-rest), answering
// {"status":"ok"} or 503 {"error":"not ready: ..."} as JSON like the other
// two binaries (controller-runtime's probe server needs its own address,
// HealthProbeBindAddress, and answers "ok" as plain text), and answering on
// a standby replica (not elected) too.
type probes struct {
	healthz, readyz map[string]healthz.Checker
}

func newProbes() *probes {
	return &probes{healthz: map[string]healthz.Checker{}, readyz: map[string]healthz.Checker{}}
}

// AddHealthzCheck adds a liveness check, as manager.Manager's does.
func (p *probes) AddHealthzCheck(name string, check healthz.Checker) error {
	return addCheck(p.healthz, name, check)
}

// AddReadyzCheck adds a readiness check, as manager.Manager's does.
func (p *probes) AddReadyzCheck(name string, check healthz.Checker) error {
	return addCheck(p.readyz, name, check)
}

func addCheck(checks map[string]healthz.Checker, name string, check healthz.Checker) error {
	if _, ok := checks[name]; ok {
		return fmt.Errorf("check %q already added", name)
	}
	checks[name] = check
	return nil
}

// checksHandler answers 200 {"status":"ok"} when every check passes, else
// 503 {"error":"not ready: <the first failing check's error>"} (checks run
// in the order of their names).
func checksHandler(checks map[string]healthz.Checker) http.Handler {
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for _, name := range names {
			if err := checks[name](r); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = fmt.Fprintf(w, "{\"error\":%q}\n", "not ready: "+err.Error())
				return
			}
		}
		_, _ = w.Write([]byte("{\"status\":\"ok\"}\n"))
	})
}
