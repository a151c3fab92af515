package discovery_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	routev1 "github.com/openshift/api/route/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// fakeClock is a settable time for the Dashboard's TTL.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// passTTL moves the clock past the one-minute TTL the tests set.
func (c *fakeClock) passTTL() { c.t = c.t.Add(2 * time.Minute) }

func TestDashboardExplicitURLNeedsNoCluster(t *testing.T) {
	d := discovery.NewDashboard(nil, discovery.DashboardOptions{URL: " https://dash.example.com/ "}, logr.Discard())
	assert.Equal(t, "https://dash.example.com", d.Refresh(context.Background()))
	assert.Equal(t, "https://dash.example.com", d.URL())

	d = discovery.NewDashboard(nil, discovery.DashboardOptions{}, logr.Discard())
	assert.Empty(t, d.Refresh(context.Background()), "no client, no explicit URL: no dashboard")
}

func TestDashboardFromRoutes(t *testing.T) {
	cfg := testenv.Start(t, testenv.Options{CRDPaths: []string{routeCRD(t)}})
	w, r := clients(t, cfg)
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	logs := &logLines{}
	d := discovery.NewDashboard(r, discovery.DashboardOptions{TTL: time.Minute, Now: clock.now}, logs.logger())

	// Nothing installed (not even the namespaces): no dashboard, said once.
	for range 3 {
		assert.Empty(t, d.Refresh(ctx))
		clock.passTTL()
	}
	assert.Empty(t, d.Refresh(ctx))
	assert.Equal(t, 1, logs.count("RHOAI_DASHBOARD_URL"), "the hint is logged once: %v", logs.lines)

	// Open Data Hub's dashboard appears: found at the next read after the TTL.
	mkNamespace(t, w, "opendatahub")
	mkRoute(t, w, "opendatahub", "odh-dashboard", "odh-dashboard-opendatahub.apps.example.com", "odh-dashboard", true, nil)
	assert.Empty(t, d.Refresh(ctx), "within the TTL the previous answer stands")
	clock.passTTL()
	assert.Equal(t, "https://odh-dashboard-opendatahub.apps.example.com", d.Refresh(ctx))
	assert.Equal(t, "https://odh-dashboard-opendatahub.apps.example.com", d.URL())

	// OpenShift AI's dashboard wins over Open Data Hub's.
	mkNamespace(t, w, "redhat-ods-applications")
	mkRoute(t, w, "redhat-ods-applications", "rhods-dashboard", "rhods-dashboard-redhat-ods-applications.apps.example.com", "rhods-dashboard", true, nil)
	clock.passTTL()
	assert.Equal(t, "https://rhods-dashboard-redhat-ods-applications.apps.example.com", d.Refresh(ctx))

	// An API error keeps what was known.
	clock.passTTL()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.Equal(t, "https://rhods-dashboard-redhat-ods-applications.apps.example.com", d.Refresh(cancelled))

	// Gone again: no dashboard, and the hint is logged again.
	for _, ref := range discovery.DashboardRoutes {
		route := routeObject(ref.Namespace, ref.Name)
		require.NoError(t, w.Delete(ctx, route))
	}
	clock.passTTL()
	assert.Empty(t, d.Refresh(ctx))
	assert.Equal(t, 2, logs.count("RHOAI_DASHBOARD_URL"), "%v", logs.lines)

	t.Run("the explicit URL wins", func(t *testing.T) {
		mkRoute(t, w, "opendatahub", "odh-dashboard", "odh-dashboard-opendatahub.apps.example.com", "odh-dashboard", true, nil)
		d := discovery.NewDashboard(r, discovery.DashboardOptions{URL: "https://mine.example.com"}, logr.Discard())
		assert.Equal(t, "https://mine.example.com", d.Refresh(ctx))
	})

	t.Run("forbidden means not there", func(t *testing.T) {
		nobody := rest.CopyConfig(cfg)
		nobody.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:ai-rhdh:nobody"}
		rc, err := client.New(nobody, client.Options{})
		require.NoError(t, err)
		logs := &logLines{}
		d := discovery.NewDashboard(rc, discovery.DashboardOptions{}, logs.logger())
		assert.Empty(t, d.Refresh(ctx))
		assert.Equal(t, 1, logs.count("RHOAI_DASHBOARD_URL"), "%v", logs.lines)
		assert.Zero(t, logs.count("failed"), "a Forbidden is not an error: %v", logs.lines)
	})
}

func TestDashboardWithoutRouteAPI(t *testing.T) {
	cfg := testenv.Start(t)
	_, r := clients(t, cfg)
	logs := &logLines{}
	d := discovery.NewDashboard(r, discovery.DashboardOptions{TTL: -1}, logs.logger())
	for range 2 {
		assert.Empty(t, d.Refresh(context.Background()))
	}
	assert.Equal(t, 1, logs.count("RHOAI_DASHBOARD_URL"), "%v", logs.lines)
	assert.Zero(t, logs.count("failed"), "no Route API is not an error: %v", logs.lines)
}

func routeObject(ns, name string) *routev1.Route {
	return &routev1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}
