package discovery_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	routev1 "github.com/openshift/api/route/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// routeCRD is the Route CRD shipped in the github.com/openshift/api module
// (a test-only dependency), found in the module cache.
func routeCRD(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/openshift/api").Output()
	require.NoError(t, err, "locating github.com/openshift/api: run `go mod download github.com/openshift/api`")
	dir := strings.TrimSpace(string(out))
	require.NotEmpty(t, dir, "github.com/openshift/api is not in the module cache: run `go mod download github.com/openshift/api`")
	for _, name := range []string{"routes-Default.crd.yaml", "routes.crd.yaml"} {
		p := filepath.Join(dir, "route", "v1", "zz_generated.crd-manifests", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("no Route CRD under %s/route/v1/zz_generated.crd-manifests", dir)
	return ""
}

// clients returns a typed client that knows Routes, for the test's own
// writes, and a plain one (no OpenShift types in its scheme) for the
// Discoverer, as in production.
func clients(t *testing.T, cfg *rest.Config) (writer, reader client.Client) {
	t.Helper()
	s := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(s))
	require.NoError(t, routev1.Install(s))
	writer, err := client.New(cfg, client.Options{Scheme: s})
	require.NoError(t, err)
	reader, err = client.New(cfg, client.Options{})
	require.NoError(t, err)
	return writer, reader
}

func managedBy() map[string]string {
	return map[string]string{discovery.ManagedByLabel: discovery.ManagedByValue}
}

func mkNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}))
}

func mkService(t *testing.T, c client.Client, ns, name string, labels map[string]string, ports ...corev1.ServicePort) {
	t.Helper()
	require.NoError(t, c.Create(context.Background(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       corev1.ServiceSpec{Ports: ports},
	}))
}

func port(name string, n int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: n, Protocol: corev1.ProtocolTCP}
}

func mkRoute(t *testing.T, c client.Client, ns, name, host, svc string, tls bool, labels map[string]string) {
	t.Helper()
	r := &routev1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: routev1.RouteSpec{
			Host: host,
			To:   routev1.RouteTargetReference{Kind: "Service", Name: svc},
		},
	}
	if tls {
		r.Spec.TLS = &routev1.TLSConfig{Termination: routev1.TLSTerminationEdge}
	}
	require.NoError(t, c.Create(context.Background(), r))
}

func urls(eps []discovery.Endpoint) []string {
	var out []string
	for _, ep := range eps {
		out = append(out, ep.URL)
	}
	return out
}

// logLines captures log lines, to check that a missing Route API is not
// reported on every sync.
type logLines struct{ lines []string }

func (l *logLines) logger() logr.Logger {
	return funcr.New(func(_, args string) { l.lines = append(l.lines, args) }, funcr.Options{Verbosity: 0})
}

func (l *logLines) count(sub string) int {
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, sub) {
			n++
		}
	}
	return n
}

func TestExplicitURLsNeedNoCluster(t *testing.T) {
	cfg, err := discovery.ConfigFromEnv(envOf(map[string]string{
		"MODEL_REGISTRY_URL": " http://127.0.0.1:8080/ ,https://mr.example.com, http://127.0.0.1:8080",
		"MODEL_CATALOG_URL":  "http://127.0.0.1:8081",
		"MR_ROUTE":           "ns:ignored",
	}))
	require.NoError(t, err)
	res, err := discovery.New(nil, cfg, logr.Discard()).Discover(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"http://127.0.0.1:8080", "https://mr.example.com"}, urls(res.Registries))
	assert.Equal(t, "127.0.0.1:8080", res.Registries[0].Name)
	assert.Equal(t, discovery.ViaEnv, res.Registries[0].Via)
	require.NotNil(t, res.Catalog)
	assert.Equal(t, "http://127.0.0.1:8081", res.Catalog.URL)
}

func TestExplicitRegistryWithoutClientCannotDiscoverCatalog(t *testing.T) {
	cfg := discovery.Config{RegistryURLs: []string{"http://127.0.0.1:8080"}}
	_, err := discovery.New(nil, cfg, logr.Discard()).Discover(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MODEL_CATALOG_URL")
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnvRejectsMalformedValues(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"registry without scheme": {"MODEL_REGISTRY_URL": "127.0.0.1:8080"},
		"registry ftp":            {"MODEL_REGISTRY_URL": "http://ok, ftp://x"},
		"catalog without host":    {"MODEL_CATALOG_URL": "http://"},
		"route with bad ns":       {"MR_ROUTE": "Bad_NS:name"},
		"route with empty name":   {"MR_ROUTE": "ns:"},
		"route with bad name":     {"MR_ROUTE": "ns:UPPER"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := discovery.ConfigFromEnv(envOf(env))
			require.Error(t, err)
			for k := range env {
				assert.Contains(t, err.Error(), k)
			}
		})
	}
	cfg, err := discovery.ConfigFromEnv(envOf(map[string]string{"MR_ROUTE": "rhoai-model-registries:modelregistry-public-https, other-route ,"}))
	require.NoError(t, err)
	assert.Equal(t, []discovery.RouteRef{{Namespace: "rhoai-model-registries", Name: "modelregistry-public-https"}, {Name: "other-route"}}, cfg.Routes)
	empty, err := discovery.ConfigFromEnv(envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, discovery.Config{}, empty)
}

func TestDiscoveryOnOpenShift(t *testing.T) {
	cfg := testenv.Start(t, testenv.Options{CRDPaths: []string{routeCRD(t)}})
	w, r := clients(t, cfg)
	ctx := context.Background()
	mkNamespace(t, w, "rhoai-model-registries")
	mkNamespace(t, w, "team-b")
	mkNamespace(t, w, "apps")

	// The operator's objects: a registry and the catalog, each a Service
	// exposed by a TLS Route; a second registry in team-b with a Service
	// only; an unlabelled Route that must be ignored.
	ns := "rhoai-model-registries"
	mkService(t, w, ns, "modelregistry-public", managedBy(), port("grpc-api", 9090), port("http-api", 8080))
	mkRoute(t, w, ns, "modelregistry-public-https", "registry.apps.example.com", "modelregistry-public", true, managedBy())
	mkService(t, w, ns, "model-catalog", managedBy(), port("https-api", 8443))
	mkRoute(t, w, ns, "model-catalog-https", "catalog.apps.example.com", "model-catalog", true, managedBy())
	mkService(t, w, "team-b", "team-registry", managedBy(), port("rest", 8081))
	mkService(t, w, "team-b", "team-registry-postgres", managedBy(), port("postgres", 5432))
	mkRoute(t, w, "apps", "unrelated", "unrelated.apps.example.com", "web", true, nil)

	t.Run("labelled routes and unexposed services", func(t *testing.T) {
		res, err := discovery.New(r, discovery.Config{}, logr.Discard()).Discover(ctx)
		require.NoError(t, err)
		assert.Equal(t, []discovery.Endpoint{
			{Name: "modelregistry-public-https", Namespace: ns, URL: "https://registry.apps.example.com", Via: discovery.ViaRoute},
			{Name: "team-registry", Namespace: "team-b", URL: "http://team-registry.team-b.svc.cluster.local:8081", Via: discovery.ViaService},
		}, res.Registries)
		require.NotNil(t, res.Catalog)
		assert.Equal(t, discovery.Endpoint{Name: "model-catalog-https", Namespace: ns, URL: "https://catalog.apps.example.com", Via: discovery.ViaRoute}, *res.Catalog)
	})

	t.Run("MR_ROUTE with namespace and with name only", func(t *testing.T) {
		mkNamespace(t, w, "other")
		mkRoute(t, w, "other", "plain-registry", "plain.apps.example.com", "svc", false, nil)
		mkRoute(t, w, "apps", "plain-registry", "plain2.apps.example.com", "svc", true, nil)
		conf, err := discovery.ConfigFromEnv(envOf(map[string]string{
			"MR_ROUTE": "rhoai-model-registries:modelregistry-public-https,plain-registry,missing-ns:missing,missing-anywhere",
		}))
		require.NoError(t, err)
		logs := &logLines{}
		res, err := discovery.New(r, conf, logs.logger()).Discover(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{
			"https://plain2.apps.example.com", // apps/plain-registry
			"http://plain.apps.example.com",   // other/plain-registry, no TLS
			"https://registry.apps.example.com",
		}, urls(res.Registries))
		require.NotNil(t, res.Catalog, "the catalog is still discovered by label")
		assert.Equal(t, "https://catalog.apps.example.com", res.Catalog.URL)
		assert.Equal(t, 1, logs.count(`"route"="missing-ns:missing"`), logs.lines)
		assert.Equal(t, 1, logs.count(`"route"="missing-anywhere"`), logs.lines)
	})

	t.Run("MR_ROUTE naming the catalog", func(t *testing.T) {
		conf := discovery.Config{Routes: []discovery.RouteRef{{Namespace: ns, Name: "model-catalog-https"}}}
		res, err := discovery.New(r, conf, logr.Discard()).Discover(ctx)
		require.NoError(t, err)
		assert.Empty(t, res.Registries)
		require.NotNil(t, res.Catalog)
		assert.Equal(t, "https://catalog.apps.example.com", res.Catalog.URL)
	})

	t.Run("explicit registry, discovered catalog", func(t *testing.T) {
		conf := discovery.Config{RegistryURLs: []string{"http://127.0.0.1:8080"}}
		res, err := discovery.New(r, conf, logr.Discard()).Discover(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"http://127.0.0.1:8080"}, urls(res.Registries))
		require.NotNil(t, res.Catalog)
		assert.Equal(t, "https://catalog.apps.example.com", res.Catalog.URL)
	})

	t.Run("a route created later is found on the next call", func(t *testing.T) {
		d := discovery.New(r, discovery.Config{}, logr.Discard())
		before, err := d.Discover(ctx)
		require.NoError(t, err)
		mkNamespace(t, w, "late")
		mkRoute(t, w, "late", "late-registry", "late.apps.example.com", "late", true, managedBy())
		after, err := d.Discover(ctx)
		require.NoError(t, err)
		assert.NotContains(t, urls(before.Registries), "https://late.apps.example.com")
		assert.Contains(t, urls(after.Registries), "https://late.apps.example.com")
	})

	t.Run("missing RBAC is an actionable error", func(t *testing.T) {
		// envtest's API server authorises its admin only, so an
		// impersonated service account without bindings is forbidden.
		restricted := rest.CopyConfig(cfg)
		restricted.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:ai-rhdh:rhdh-rhoai-connector"}
		rc, err := client.New(restricted, client.Options{})
		require.NoError(t, err)
		_, err = discovery.New(rc, discovery.Config{}, logr.Discard()).Discover(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "forbidden")
		assert.Contains(t, err.Error(), "grant the connector's service account get/list/watch on routes.route.openshift.io")
	})
}

func TestDiscoveryWithoutRouteAPI(t *testing.T) {
	cfg := testenv.Start(t)
	w, r := clients(t, cfg)
	ctx := context.Background()
	mkNamespace(t, w, "rhoai-model-registries")
	ns := "rhoai-model-registries"
	mkService(t, w, ns, "modelregistry-public", managedBy(), port("grpc-api", 9090), port("http-api", 8080))
	mkService(t, w, ns, "model-catalog", managedBy(), port("https-api", 8443))
	mkService(t, w, ns, "first-port", managedBy(), port("web", 80))
	mkService(t, w, ns, "grpc-only", managedBy(), port("grpc-api", 9090))
	mkService(t, w, ns, "unlabelled", nil, port("http-api", 8080))

	logs := &logLines{}
	d := discovery.New(r, discovery.Config{}, logs.logger())
	for range 3 {
		res, err := d.Discover(ctx)
		require.NoError(t, err, "a cluster without Routes is not an error")
		assert.Equal(t, []string{
			"http://first-port.rhoai-model-registries.svc.cluster.local:80",
			"http://modelregistry-public.rhoai-model-registries.svc.cluster.local:8080",
		}, urls(res.Registries))
		require.NotNil(t, res.Catalog)
		assert.Equal(t, "https://model-catalog.rhoai-model-registries.svc.cluster.local:8443", res.Catalog.URL)
		assert.Equal(t, discovery.ViaService, res.Catalog.Via)
	}
	assert.Equal(t, 1, logs.count("no Route API"), "said once, not on every sync: %v", logs.lines)

	t.Run("MR_ROUTE without Route API is an actionable error", func(t *testing.T) {
		conf := discovery.Config{Routes: []discovery.RouteRef{{Namespace: ns, Name: "x"}, {Name: "y"}}}
		_, err := discovery.New(r, conf, logr.Discard()).Discover(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no Route API")
		assert.Contains(t, err.Error(), "MR_ROUTE")
	})

	t.Run("Route API installed later is used on the next call", func(t *testing.T) {
		_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{routeCRD(t)}})
		require.NoError(t, err)
		mkRoute(t, w, ns, "modelregistry-public-https", "registry.apps.example.com", "modelregistry-public", true, managedBy())
		res, err := d.Discover(ctx)
		require.NoError(t, err)
		assert.Contains(t, urls(res.Registries), "https://registry.apps.example.com")
		assert.NotContains(t, urls(res.Registries), "http://modelregistry-public.rhoai-model-registries.svc.cluster.local:8080",
			"a Service exposed by a labelled Route is reached through the Route")
	})
}
