package mapping

import (
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/stretchr/testify/require"
)

const testDashboard = "https://rhods-dashboard-redhat-ods-applications.apps.example.com"

func dashboardAt(u string) func() string { return func() string { return u } }

func TestDashboardLinkOfARegisteredVersionAndItsServer(t *testing.T) {
	f := newFixture()
	out, _ := buildOne(t, f.inputs(), Options{DashboardURL: dashboardAt(testDashboard + "/")})

	m := out.Doc.Models[0]
	require.Equal(t, testDashboard+"/model-registry/modelregistry-public/registeredModels/1/versions/2",
		m.Annotations[modelcatalog.AnnotationDashboardURL])

	ms := out.Doc.ModelServer
	require.NotNil(t, ms)
	want := testDashboard + "/modelServing/team-a/metrics/granite-v1"
	require.Equal(t, want, ms.Annotations[modelcatalog.AnnotationDashboardURL])
	require.Equal(t, want, ms.HomepageURL, "homepageURL defaults to the dashboard page")
	require.Contains(t, string(out.Body), want)
}

func TestDashboardLinkOfAVersionWithoutServer(t *testing.T) {
	f := newFixture()
	f.deployed = false
	out, _ := buildOne(t, f.inputs(), Options{DashboardURL: dashboardAt(testDashboard)})
	require.Nil(t, out.Doc.ModelServer)
	require.Equal(t, testDashboard+"/model-registry/modelregistry-public/registeredModels/1/versions/2",
		out.Doc.Models[0].Annotations[modelcatalog.AnnotationDashboardURL])
}

func TestDashboardLinkSegmentsAreEscaped(t *testing.T) {
	f := newFixture()
	f.rm.ID = "a/b c"
	f.v.ID = "7?x#y"
	f.v.RegisteredModelID = "a/b c"
	f.deployed = false
	in := f.inputs()
	in.Registries[0].VersionArtifacts = map[string][]*registrymodel.ModelArtifact{"7?x#y": {&f.art}}
	in.Registries[0].InferenceServices = nil
	out, _ := buildOne(t, in, Options{DashboardURL: dashboardAt(testDashboard)})
	require.Equal(t, testDashboard+"/model-registry/modelregistry-public/registeredModels/a%2Fb%20c/versions/7%3Fx%23y",
		out.Doc.Models[0].Annotations[modelcatalog.AnnotationDashboardURL])
}

func TestDashboardRegistryNameFromDiscoveredName(t *testing.T) {
	for name, want := range map[string]string{
		"modelregistry-public":                            "modelregistry-public", // the operator's Service
		"modelregistry-public-https":                      "modelregistry-public", // the operator's Route
		"modelregistry-public-rest.apps.example.com":      "modelregistry-public", // MODEL_REGISTRY_URL, the Route's host
		"modelregistry-public.rhoai-model-registries.svc": "modelregistry-public", // MODEL_REGISTRY_URL, the Service's host
		"localhost:8080":                                  "localhost",
	} {
		require.Equal(t, want, registryResourceName(name), name)
	}
}

func TestDashboardLinkOfAKServeOnlyServer(t *testing.T) {
	i := isvc("team-b", "chat", nil, map[string]string{annModelPrefix + "a": "llama", annModelPrefix + "b": "mistral"}, true)
	out, _ := buildOne(t, Inputs{Servers: []Server{{InferenceService: i}}}, Options{DashboardURL: dashboardAt(testDashboard)})
	want := testDashboard + "/modelServing/team-b/metrics/chat"
	require.Equal(t, want, out.Doc.ModelServer.HomepageURL)
	require.Equal(t, want, out.Doc.ModelServer.Annotations[modelcatalog.AnnotationDashboardURL])
	require.Len(t, out.Doc.Models, 2)
	for _, m := range out.Doc.Models {
		require.Equal(t, want, m.Annotations[modelcatalog.AnnotationDashboardURL], m.Name)
	}
}

func TestHomepageURLPropertyWinsOverTheDashboard(t *testing.T) {
	f := newFixture()
	f.v.Properties = props("Homepage URL", "https://example.com/granite")
	out, _ := buildOne(t, f.inputs(), Options{DashboardURL: dashboardAt(testDashboard)})
	ms := out.Doc.ModelServer
	require.Equal(t, "https://example.com/granite", ms.HomepageURL)
	require.Equal(t, testDashboard+"/modelServing/team-a/metrics/granite-v1", ms.Annotations[modelcatalog.AnnotationDashboardURL],
		"the annotation still carries the dashboard page")

	// The KServe-only annotation too.
	i := isvc("ns", "chat", nil, map[string]string{bridgePrefix + "homepageurl": "https://example.com/chat"}, true)
	out, _ = buildOne(t, Inputs{Servers: []Server{{InferenceService: i}}}, Options{DashboardURL: dashboardAt(testDashboard)})
	require.Equal(t, "https://example.com/chat", out.Doc.ModelServer.HomepageURL)
}

func TestNoDashboardNoLinks(t *testing.T) {
	for name, opts := range map[string]Options{
		"nil":   {},
		"empty": {DashboardURL: dashboardAt("  ")},
	} {
		t.Run(name, func(t *testing.T) {
			out, probs := buildOne(t, newFixture().inputs(), opts)
			require.Empty(t, probs)
			require.NotContains(t, out.Doc.Models[0].Annotations, modelcatalog.AnnotationDashboardURL)
			require.NotContains(t, out.Doc.ModelServer.Annotations, modelcatalog.AnnotationDashboardURL)
			require.Empty(t, out.Doc.ModelServer.HomepageURL)
			require.NotContains(t, string(out.Body), "dashboard")
		})
	}
}

func TestUnusableDashboardURLIsReported(t *testing.T) {
	for _, u := range []string{"rhods-dashboard.apps.example.com", "ftp://x.example.com", "https://x.example.com/?a=b", "https://x.example.com/\x01"} {
		out, probs := buildOne(t, newFixture().inputs(), Options{DashboardURL: dashboardAt(u)})
		require.True(t, hasProblem(probs, "options", "RHOAI_DASHBOARD_URL"), "%q: %v", u, probs)
		require.NotContains(t, out.Doc.Models[0].Annotations, modelcatalog.AnnotationDashboardURL, u)
		require.Empty(t, out.Doc.ModelServer.HomepageURL, u)
	}
}

func TestDashboardURLIsReadOncePerBuild(t *testing.T) {
	calls := 0
	f := newFixture()
	in := f.inputs()
	in.Servers = append(in.Servers, Server{InferenceService: isvc("ns", "other", nil, nil, true)})
	outs, _ := build(t, in, Options{DashboardURL: func() string { calls++; return testDashboard }})
	require.Len(t, outs, 2)
	require.Equal(t, 1, calls)
}

func TestDashboardLinkInCatalogInfoYAML(t *testing.T) {
	// Whatever renders the YAML, the annotation travels with the entities.
	out, _ := buildOne(t, newFixture().inputs(), Options{Format: record.CatalogInfoYAMLFormat, DashboardURL: dashboardAt(testDashboard)})
	body := string(out.Body)
	for _, u := range []string{
		testDashboard + "/modelServing/team-a/metrics/granite-v1",
		testDashboard + "/model-registry/modelregistry-public/registeredModels/1/versions/2",
	} {
		require.Contains(t, body, modelcatalog.AnnotationDashboardURL+": "+u)
	}
}
