package discovery

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// EnvDashboardURL names the OpenShift AI dashboard's base URL explicitly.
const EnvDashboardURL = "RHOAI_DASHBOARD_URL"

// DashboardRoutes are the Routes of the OpenShift AI dashboard, in the
// order they are tried: Red Hat OpenShift AI's, then Open Data Hub's.
var DashboardRoutes = []types.NamespacedName{
	{Namespace: "redhat-ods-applications", Name: "rhods-dashboard"},
	{Namespace: "opendatahub", Name: "odh-dashboard"},
}

// DefaultDashboardTTL is how long a discovered (or missing) dashboard is
// believed before its Routes are read again.
const DefaultDashboardTTL = 5 * time.Minute

// Dashboard finds the base URL of the OpenShift AI dashboard, for the links
// from RHDH back to it: the explicit URL when one is set, else
// https://<spec.host> of the first DashboardRoutes Route that exists. It
// reads those Routes with a GET each (no watch, no list), at most once per
// TTL, so a dashboard installed later is found. A Route that is absent, or
// that the connector may not read, or a cluster without the Route API,
// means "not there"; another error keeps the previous answer. Safe for
// concurrent use.
type Dashboard struct {
	reader   client.Reader
	explicit string
	ttl      time.Duration
	log      logr.Logger
	now      func() time.Time

	mu      sync.Mutex
	url     string
	checked time.Time
	// missingLogged keeps "no dashboard" to one line until one is found.
	missingLogged bool
}

// DashboardOptions tune NewDashboard.
type DashboardOptions struct {
	// URL is the explicit base URL (--dashboard-url, RHOAI_DASHBOARD_URL);
	// it wins and no Route is read.
	URL string
	// TTL is how long an answer from the Routes is kept;
	// DefaultDashboardTTL when zero, every Refresh when negative.
	TTL time.Duration
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// NewDashboard returns a Dashboard; reader should be uncached
// (manager.GetAPIReader()) and may be nil when o.URL is set.
func NewDashboard(reader client.Reader, o DashboardOptions, log logr.Logger) *Dashboard {
	d := &Dashboard{reader: reader, explicit: strings.TrimRight(strings.TrimSpace(o.URL), "/"), ttl: o.TTL, log: log, now: o.Now}
	if d.ttl == 0 {
		d.ttl = DefaultDashboardTTL
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// URL returns the dashboard base URL found by the last Refresh (or the
// explicit one), "" when there is none.
func (d *Dashboard) URL() string {
	if d.explicit != "" {
		return d.explicit
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.url
}

// Refresh reads the dashboard Routes again when the last answer is older
// than the TTL, and returns the base URL.
func (d *Dashboard) Refresh(ctx context.Context) string {
	if d.explicit != "" {
		return d.explicit
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.checked.IsZero() && d.ttl > 0 && d.now().Sub(d.checked) < d.ttl {
		return d.url
	}
	u, ok := d.find(ctx)
	if !ok {
		return d.url // an API error: keep what was known, ask again next time
	}
	d.checked = d.now()
	switch {
	case u == "" && !d.missingLogged:
		d.log.Info("no OpenShift AI dashboard found, so models in RHDH carry no link to it: set RHOAI_DASHBOARD_URL (or --dashboard-url) to its https URL, or grant get on routes.route.openshift.io in the dashboard's namespace",
			"routes", routeNames())
		d.missingLogged = true
	case u != "" && u != d.url:
		d.log.Info("OpenShift AI dashboard found; models and model servers link to it", "url", u)
		d.missingLogged = false
	}
	d.url = u
	return u
}

// find reads the dashboard Routes in order; ok is false when an error other
// than "not there" made the answer unreliable.
func (d *Dashboard) find(ctx context.Context) (string, bool) {
	if d.reader == nil {
		return "", true
	}
	for _, ref := range DashboardRoutes {
		r := &unstructured.Unstructured{}
		r.SetGroupVersionKind(schema.GroupVersionKind{Group: routeGroup, Version: routeVersion, Kind: routeKind})
		err := d.reader.Get(ctx, ref, r)
		switch {
		case err == nil:
			host, _, _ := unstructured.NestedString(r.Object, "spec", "host")
			if host = strings.TrimSpace(host); host != "" {
				return "https://" + host, true
			}
			d.log.V(1).Info("dashboard Route has no spec.host; ignored", "namespace", ref.Namespace, "name", ref.Name)
		case apierrors.IsNotFound(err), apierrors.IsForbidden(err), meta.IsNoMatchError(err):
			d.log.V(1).Info("no dashboard Route here", "namespace", ref.Namespace, "name", ref.Name, "reason", err.Error())
		default:
			d.log.Error(err, "reading the OpenShift AI dashboard Route failed; keeping the dashboard URL known before", "namespace", ref.Namespace, "name", ref.Name)
			return "", false
		}
	}
	return "", true
}

func routeNames() []string {
	out := make([]string, 0, len(DashboardRoutes))
	for _, r := range DashboardRoutes {
		out = append(out, r.String())
	}
	return out
}
