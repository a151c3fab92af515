package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

const (
	rhdhNamespace     = "ai-rhdh"
	registryNamespace = "rhoai-model-registries"
	connectorSA       = "rhdh-rhoai-connector"
	tokenSecret       = "rhdh-rhoai-connector-token"
)

// The two plugins of seed chapter 2, step 2.
var seedPlugins = []string{
	"oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog:bs_1.42.5__0.7.0!red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog",
	"oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/red-hat-developer-hub-backstage-plugin-catalog-techdoc-url-reader-backend:bs_1.42.5__0.3.0!red-hat-developer-hub-backstage-plugin-catalog-techdoc-url-reader-backend",
}

func deployDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "deploy"))
	require.NoError(t, err)
	require.DirExists(t, dir)
	return dir
}

// yamlFiles lists every YAML file under deploy/, relative to it.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	}))
	sort.Strings(files)
	return files
}

// decodeStrict decodes an object of a kind client-go knows into its Go type,
// refusing unknown and duplicate fields, so a typo such as `readinesProbe`
// fails here rather than being dropped by the API server.
func decodeStrict(t *testing.T, d Document, u *unstructured.Unstructured) {
	t.Helper()
	obj, err := clientgoscheme.Scheme.New(u.GroupVersionKind())
	require.NoError(t, err, "%s: kind %s is not a Kubernetes built-in kind", d, u.GroupVersionKind())
	require.NoError(t, yaml.UnmarshalStrict(d.Raw, obj), "%s", d)
}

// TestEveryFileDecodes reads every YAML file in deploy/: kustomizations
// strictly, Kubernetes objects strictly into their Go types, the Backstage
// CR's deployment patch as a Deployment and the Helm values' containers as
// containers.
func TestEveryFileDecodes(t *testing.T) {
	dir := deployDir(t)
	files := yamlFiles(t, dir)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			p := filepath.Join(dir, f)
			switch {
			case filepath.Base(f) == "kustomization.yaml":
				_, err := ReadKustomization(filepath.Dir(p))
				require.NoError(t, err)
			case f == filepath.Join("helm", "values.yaml"):
				helmContainers(t, p)
			default:
				docs, err := ReadDocuments(p)
				require.NoError(t, err)
				require.NotEmpty(t, docs, "%s holds no document", f)
				for _, d := range docs {
					u, err := d.Object()
					require.NoError(t, err)
					if u.GetKind() == "Backstage" {
						backstagePatch(t, d)
						continue
					}
					decodeStrict(t, d, u)
				}
			}
		})
	}
}

// TestKustomizationsNameEveryFile: every kustomization's resources exist
// (Resources fails otherwise) and every object file in deploy/ belongs to a
// kustomization, so none is silently left out of an `oc apply -k`.
func TestKustomizationsNameEveryFile(t *testing.T) {
	dir := deployDir(t)
	named := map[string]bool{}
	for _, f := range yamlFiles(t, dir) {
		if filepath.Base(f) != "kustomization.yaml" {
			continue
		}
		res, err := Resources(filepath.Join(dir, filepath.Dir(f)))
		require.NoError(t, err)
		for _, r := range res {
			rel, err := filepath.Rel(dir, r.Path)
			require.NoError(t, err)
			named[rel] = true
		}
	}
	for _, f := range yamlFiles(t, dir) {
		if filepath.Base(f) == "kustomization.yaml" || f == filepath.Join("helm", "values.yaml") {
			continue
		}
		assert.True(t, named[f], "%s is in no kustomization.yaml", f)
	}
}

// TestRBACKustomization: `oc apply -k deploy/` creates exactly the seed's
// objects, each in the namespace its kustomization sets, and no Namespace
// (deleting the kustomization must never delete RHDH's namespace).
func TestRBACKustomization(t *testing.T) {
	res, err := Resources(deployDir(t))
	require.NoError(t, err)
	var got []string
	for _, r := range res {
		u, err := r.Object()
		require.NoError(t, err)
		assert.NotEqual(t, "Namespace", u.GetKind(), "%s", r.Document)
		if r.Namespace != "" && u.GetNamespace() != "" {
			assert.Equal(t, r.Namespace, u.GetNamespace(), "%s: the file's namespace differs from its kustomization's; keep them equal so the file applies the same without kustomize", r.Document)
		}
		got = append(got, u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName())
	}
	assert.ElementsMatch(t, []string{
		"ServiceAccount ai-rhdh/rhdh-rhoai-connector",
		"Secret ai-rhdh/rhdh-rhoai-connector-token",
		"ClusterRole /rhdh-rhoai-connector",
		"ClusterRoleBinding /rhdh-rhoai-connector",
		"Role ai-rhdh/rhdh-rhoai-connector",
		"RoleBinding ai-rhdh/rhdh-rhoai-connector",
		"RoleBinding rhoai-model-registries/rhdh-rhoai-dashboard-permissions",
	}, got)

	for _, r := range res {
		u, err := r.Object()
		require.NoError(t, err)
		if u.GetKind() != "Secret" {
			continue
		}
		var s corev1.Secret
		require.NoError(t, yaml.UnmarshalStrict(r.Raw, &s))
		assert.Equal(t, corev1.SecretTypeServiceAccountToken, s.Type)
		assert.Equal(t, connectorSA, s.Annotations[corev1.ServiceAccountNameKey])
	}
}

func backstagePatch(t *testing.T, d Document) *appsv1.Deployment {
	t.Helper()
	u, err := d.Object()
	require.NoError(t, err)
	assert.Equal(t, "rhdh.redhat.com/v1alpha3", u.GetAPIVersion())
	patch, found, err := unstructured.NestedMap(u.Object, "spec", "deployment", "patch")
	require.NoError(t, err)
	require.True(t, found, "%s: spec.deployment.patch missing", d)
	raw, err := yaml.Marshal(patch)
	require.NoError(t, err)
	var dep appsv1.Deployment
	require.NoError(t, yaml.UnmarshalStrict(raw, &dep), "%s: spec.deployment.patch is not a Deployment fragment", d)
	return &dep
}

func operatorContainers(t *testing.T) []corev1.Container {
	t.Helper()
	docs, err := ReadDocuments(filepath.Join(deployDir(t), "operator", "backstage.yaml"))
	require.NoError(t, err)
	require.Len(t, docs, 1)
	return backstagePatch(t, docs[0]).Spec.Template.Spec.Containers
}

func helmContainers(t *testing.T, path string) []corev1.Container {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var values struct {
		Global struct {
			Dynamic dynamicPlugins `json:"dynamic"`
		} `json:"global"`
		Upstream struct {
			Backstage struct {
				AppConfig       map[string]any     `json:"appConfig"`
				ExtraContainers []corev1.Container `json:"extraContainers"`
			} `json:"backstage"`
		} `json:"upstream"`
	}
	require.NoError(t, yaml.UnmarshalStrict(data, &values), "%s", path)
	values.Global.Dynamic.assertSeedPlugins(t)
	assertProviderConfig(t, values.Upstream.Backstage.AppConfig)
	return values.Upstream.Backstage.ExtraContainers
}

// dynamicPlugins is RHDH's dynamic plugin list, as dynamic-plugins.yaml and
// the Helm chart's global.dynamic both write it.
type dynamicPlugins struct {
	Includes []string `json:"includes"`
	Plugins  []struct {
		Disabled bool   `json:"disabled"`
		Package  string `json:"package"`
	} `json:"plugins"`
}

// assertSeedPlugins checks that d lists the seed plugins, in order, none
// of them disabled.
func (d dynamicPlugins) assertSeedPlugins(t *testing.T) {
	t.Helper()
	var pkgs []string
	for _, p := range d.Plugins {
		assert.False(t, p.Disabled)
		pkgs = append(pkgs, p.Package)
	}
	assert.Equal(t, seedPlugins, pkgs)
}

func assertProviderConfig(t *testing.T, appConfig map[string]any) {
	t.Helper()
	u := unstructured.Unstructured{Object: appConfig}
	base, _, err := unstructured.NestedString(u.Object, "catalog", "providers", "modelCatalog", "development", "baseUrl")
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:9090", base)
	freq, found, err := unstructured.NestedMap(u.Object, "catalog", "providers", "modelCatalog", "development", "schedule", "frequency")
	require.NoError(t, err)
	assert.True(t, found && len(freq) > 0, "schedule.frequency missing")
}

func TestOperatorAndHelmSidecarsAreTheSame(t *testing.T) {
	assert.Equal(t, operatorContainers(t), helmContainers(t, filepath.Join(deployDir(t), "helm", "values.yaml")))
}

// TestSidecars checks the pod contract (CONTRACT.md section 2) on the
// containers every install method adds.
func TestSidecars(t *testing.T) {
	cs := operatorContainers(t)
	byName := map[string]corev1.Container{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	require.Len(t, byName, 3)
	for _, name := range []string{"location", "storage-rest", "rhoai-normalizer"} {
		c, ok := byName[name]
		require.True(t, ok, "container %s missing", name)
		t.Run(name, func(t *testing.T) {
			require.Len(t, c.EnvFrom, 1)
			require.NotNil(t, c.EnvFrom[0].SecretRef)
			assert.Equal(t, tokenSecret, c.EnvFrom[0].SecretRef.Name)
			assert.Equal(t, "/opt/app-root/src", c.WorkingDir)
			assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "dynamic-plugins-root", MountPath: "/opt/app-root/src/dynamic-plugins-root"})
			assert.True(t, strings.HasPrefix(c.Image, "quay.io/redhat-ai-dev/rhoai-connector-"), c.Image)

			env := map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				env[e.Name] = e
			}
			assert.Equal(t, string(record.JSONArrayFormat), env["NORMALIZER_FORMAT"].Value)
			require.NotNil(t, env["POD_IP"].ValueFrom)
			assert.Equal(t, "status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath)
			require.NotNil(t, env["POD_NAMESPACE"].ValueFrom)
			assert.Equal(t, "metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath)

			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
				assert.False(t, req.IsZero(), "request %s", r)
				assert.False(t, lim.IsZero(), "limit %s", r)
				assert.True(t, req.Cmp(lim) <= 0, "request %s above its limit", r)
			}
		})
	}

	loc := byName["location"]
	assert.Equal(t, []corev1.ContainerPort{{Name: "location", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}}, loc.Ports)
	assertProbe(t, loc.LivenessProbe, "/healthz", 9090)
	assertProbe(t, loc.ReadinessProbe, "/readyz", 9090)
	// docs/benchmarks.md: 50,000 registered models peaked at 151 MiB
	// under a 256Mi limit (GOMEMLIMIT 90% of it).
	locLim := loc.Resources.Limits[corev1.ResourceMemory]
	assert.True(t, locLim.Cmp(resource.MustParse("256Mi")) >= 0, "location memory limit %s is below the 256Mi 50,000 models were measured to fit", locLim.String())

	sr := byName["storage-rest"]
	env := map[string]string{}
	for _, e := range sr.Env {
		env[e.Name] = e.Value
	}
	assert.Equal(t, "ConfigMap", env["STORAGE_TYPE"])
	assert.Equal(t, "http://localhost:9090", env["BRIDGE_URL"])
	// Loopback only: an httpGet probe (sent to the pod IP) would always fail.
	assert.Nil(t, sr.LivenessProbe)
	assert.Nil(t, sr.ReadinessProbe)
	assert.Nil(t, sr.StartupProbe)
	assert.Empty(t, sr.Ports)
	// docs/benchmarks.md: 50,000 registered models peaked at 371 MiB
	// under a 384Mi limit (GOMEMLIMIT 90% of it).
	srLim := sr.Resources.Limits[corev1.ResourceMemory]
	assert.True(t, srLim.Cmp(resource.MustParse("384Mi")) >= 0, "storage-rest memory limit %s is below the 384Mi 50,000 models were measured to fit", srLim.String())

	n := byName["rhoai-normalizer"]
	assert.Equal(t, []string{"--metrics-address=:8081"}, n.Args)
	assert.Equal(t, []corev1.ContainerPort{{Name: "metrics", ContainerPort: 8081, Protocol: corev1.ProtocolTCP}}, n.Ports)
	assertProbe(t, n.LivenessProbe, "/healthz", 8081)
	assertProbe(t, n.ReadinessProbe, "/readyz", 8081)
	// docs/benchmarks.md: 50,000 registered models peaked at 487 MiB
	// under a 512Mi limit (GOMEMLIMIT 90% of it).
	lim := n.Resources.Limits[corev1.ResourceMemory]
	assert.True(t, lim.Cmp(resource.MustParse("512Mi")) >= 0, "normalizer memory limit %s is below the 512Mi 50,000 models were measured to fit", lim.String())
}

func assertProbe(t *testing.T, p *corev1.Probe, path string, port int) {
	t.Helper()
	require.NotNil(t, p, "probe %s missing", path)
	require.NotNil(t, p.HTTPGet, "probe %s is not httpGet", path)
	assert.Equal(t, path, p.HTTPGet.Path)
	assert.Equal(t, port, p.HTTPGet.Port.IntValue())
}

// TestImagesArePinnable: the operator kustomization's images entries name
// the images the CR uses, so `images:` (or `kustomize edit set image`)
// really pins them.
func TestImagesArePinnable(t *testing.T) {
	k, err := ReadKustomization(filepath.Join(deployDir(t), "operator"))
	require.NoError(t, err)
	var want, got []string
	for _, c := range operatorContainers(t) {
		name, _, _ := strings.Cut(c.Image, ":")
		want = append(want, name)
	}
	for _, i := range k.Images {
		got = append(got, i.Name)
	}
	assert.ElementsMatch(t, want, got)
}

func TestRHDHConfig(t *testing.T) {
	dir := filepath.Join(deployDir(t), "rhdh")
	embedded := func(file, key string) map[string]any {
		docs, err := ReadDocuments(filepath.Join(dir, file))
		require.NoError(t, err)
		require.Len(t, docs, 1)
		var cm corev1.ConfigMap
		require.NoError(t, yaml.UnmarshalStrict(docs[0].Raw, &cm))
		assert.Equal(t, rhdhNamespace, cm.Namespace)
		require.Contains(t, cm.Data, key)
		var m map[string]any
		require.NoError(t, yaml.UnmarshalStrict([]byte(cm.Data[key]), &m), "%s key %s", file, key)
		return m
	}
	assertProviderConfig(t, embedded("app-config.yaml", "app-config-rhoai-connector.yaml"))

	var plugins dynamicPlugins
	raw, err := yaml.Marshal(embedded("dynamic-plugins.yaml", "dynamic-plugins.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(raw, &plugins))
	plugins.assertSeedPlugins(t)
	assert.Equal(t, []string{"dynamic-plugins.default.yaml"}, plugins.Includes)
}

// TestLeaderElectionRole: the optional Role grants the leases
// controller-runtime's leader election uses, to the connector only.
func TestLeaderElectionRole(t *testing.T) {
	res, err := Resources(filepath.Join(deployDir(t), "leader-election"))
	require.NoError(t, err)
	var leases bool
	for _, r := range res {
		u, err := r.Object()
		require.NoError(t, err)
		assert.Equal(t, rhdhNamespace, u.GetNamespace())
		switch u.GetKind() {
		case "Role":
			var role rbacv1.Role
			require.NoError(t, yaml.UnmarshalStrict(r.Raw, &role))
			for _, rule := range role.Rules {
				if slices.Contains(rule.APIGroups, "coordination.k8s.io") && slices.Contains(rule.Resources, "leases") {
					leases = slices.Contains(rule.Verbs, "get") && slices.Contains(rule.Verbs, "create") && slices.Contains(rule.Verbs, "update")
				}
			}
		case "RoleBinding":
			var rb rbacv1.RoleBinding
			require.NoError(t, yaml.UnmarshalStrict(r.Raw, &rb))
			assert.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: connectorSA, Namespace: rhdhNamespace}}, rb.Subjects)
		}
	}
	assert.True(t, leases, "the leader-election Role must grant get, create and update on coordination.k8s.io leases")
}
