package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

const (
	connectorUser = "system:serviceaccount:" + rhdhNamespace + ":" + connectorSA
	// Any other ServiceAccount of the RHDH namespace, e.g. RHDH's own.
	otherSAUser = "system:serviceaccount:" + rhdhNamespace + ":default"
	// A namespace where models are served.
	modelsNamespace = "models"
	// A namespace the connector has no business in.
	otherNamespace = "team-a"
	// The model registry Service RHOAI's registry-user Role names.
	registryService = "modelregistry-public"
)

// serviceAccountGroups are the groups the API server gives a ServiceAccount
// token (user system:serviceaccount:<namespace>:<name>), so that bindings to
// those groups count as they do in a cluster.
func serviceAccountGroups(user string) []string {
	ns := strings.Split(user, ":")[2]
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
}

type access struct {
	user        string // connectorUser unless set
	verb        string
	group       string
	resource    string
	subresource string
	namespace   string // "" is cluster-wide
	name        string
	allowed     bool
}

func (a access) String() string {
	where := "cluster-wide"
	if a.namespace != "" {
		where = "in " + a.namespace
	}
	res := a.resource
	if a.group != "" {
		res += "." + a.group
	}
	if a.subresource != "" {
		res += "/" + a.subresource
	}
	if a.name != "" {
		res += " " + a.name
	}
	return fmt.Sprintf("%s %s %s by %s", a.verb, res, where, a.user)
}

func allowed(ctx context.Context, cs kubernetes.Interface, a access) (bool, string, error) {
	sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   a.user,
			Groups: serviceAccountGroups(a.user),
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource,
				Namespace: a.namespace, Name: a.name,
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return sar.Status.Allowed, sar.Status.Reason, nil
}

// apply creates every object `oc apply -k <dir>` would, typed through
// client-go's scheme (the same decoding the API server does).
func apply(ctx context.Context, t *testing.T, c client.Client, dir string) {
	t.Helper()
	res, err := Resources(dir)
	require.NoError(t, err)
	require.NotEmpty(t, res)
	for _, r := range res {
		u, err := r.Object()
		require.NoError(t, err)
		obj, err := clientgoscheme.Scheme.New(u.GroupVersionKind())
		require.NoError(t, err, "%s", r.Document)
		require.NoError(t, yaml.UnmarshalStrict(r.Raw, obj), "%s", r.Document)
		cobj, ok := obj.(client.Object)
		require.True(t, ok)
		require.NoError(t, c.Create(ctx, cobj), "%s: the API server refused it", r.Document)
	}
}

// crdNames reads the group and plural of the KServe InferenceService CRD the
// project builds with, so a ClusterRole naming another group or plural
// fails here.
func crdNames(t *testing.T, path string) (group, plural string) {
	t.Helper()
	docs, err := ReadDocuments(path)
	require.NoError(t, err)
	require.NotEmpty(t, docs)
	u, err := docs[0].Object()
	require.NoError(t, err)
	require.Equal(t, "CustomResourceDefinition", u.GetKind())
	group, _, err = unstructured.NestedString(u.Object, "spec", "group")
	require.NoError(t, err)
	plural, _, err = unstructured.NestedString(u.Object, "spec", "names", "plural")
	require.NoError(t, err)
	require.Equal(t, "serving.kserve.io", group)
	require.Equal(t, "inferenceservices", plural)
	return group, plural
}

// TestRBAC applies deploy/'s RBAC to a real kube-apiserver and asks it
// (SubjectAccessReview) what the connector's ServiceAccount may do: exactly
// what the sidecars need, and nothing more.
func TestRBAC(t *testing.T) {
	crd, err := testenv.KServeCRD()
	require.NoError(t, err)
	// SubjectAccessReviews need no CRD installed (RBAC compares names), and
	// waiting for a CRD to be served times out on a loaded machine: the
	// group and plural are read from the CRD file instead.
	isvcGroup, isvcs := crdNames(t, crd)
	cfg := testenv.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	require.NoError(t, err)
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)

	for _, ns := range []string{rhdhNamespace, registryNamespace, modelsNamespace, otherNamespace} {
		require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	// Stand-in for the Role RHOAI creates with a model registry: it lets
	// its users reach the registry's Service.
	require.NoError(t, c.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-user-" + registryService, Namespace: registryNamespace},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"services"},
			ResourceNames: []string{registryService}, Verbs: []string{"get"},
		}},
	}))
	apply(ctx, t, c, deployDir(t))

	// The RBAC authorizer learns about new bindings through an informer:
	// wait until each binding is in effect before asking.
	for _, a := range []access{
		{user: connectorUser, verb: "list", group: isvcGroup, resource: isvcs},
		{user: connectorUser, verb: "get", resource: "configmaps", namespace: rhdhNamespace},
		{user: connectorUser, verb: "get", resource: "services", namespace: registryNamespace, name: registryService},
	} {
		require.Eventually(t, func() bool {
			ok, _, err := allowed(ctx, cs, a)
			return err == nil && ok
		}, time.Minute, 100*time.Millisecond, "RBAC never allowed %s", a)
	}

	const routes, crds = "route.openshift.io", "apiextensions.k8s.io"
	var rows []access
	add := func(ok bool, verbs []string, group, resource, ns string) {
		for _, v := range verbs {
			rows = append(rows, access{verb: v, group: group, resource: resource, namespace: ns, allowed: ok})
		}
	}
	read := []string{"get", "list", "watch"}
	write := []string{"create", "update", "patch", "delete", "deletecollection"}

	// What rhoai-normalizer reads, cluster-wide and in any namespace.
	for _, ns := range []string{"", modelsNamespace} {
		add(true, read, isvcGroup, isvcs, ns)
		add(true, read, "", "services", ns)
		add(true, read, "", "serviceaccounts", ns)
		add(true, read, routes, "routes", ns)
	}
	add(true, []string{"get"}, crds, "customresourcedefinitions", "")
	// What storage-rest needs on its ConfigMaps, delete included (empty
	// spill ConfigMaps).
	add(true, []string{"get", "list", "watch", "create", "update", "patch", "delete"}, "", "configmaps", rhdhNamespace)

	// Nothing more.
	add(false, []string{"deletecollection"}, "", "configmaps", rhdhNamespace)
	for _, ns := range []string{"", otherNamespace, modelsNamespace, registryNamespace} {
		add(false, append(append([]string{}, read...), write...), "", "configmaps", ns)
	}
	for _, ns := range []string{"", rhdhNamespace, registryNamespace, otherNamespace} {
		add(false, append(append([]string{}, read...), write...), "", "secrets", ns)
	}
	for _, ns := range []string{"", modelsNamespace} {
		add(false, write, isvcGroup, isvcs, ns)
		add(false, write, "", "services", ns)
		add(false, write, "", "serviceaccounts", ns)
		add(false, write, routes, "routes", ns)
	}
	add(false, []string{"list", "watch", "create", "update", "delete"}, crds, "customresourcedefinitions", "")
	add(false, []string{"create"}, "", "namespaces", "")
	add(false, []string{"create", "update", "escalate", "bind"}, "rbac.authorization.k8s.io", "clusterroles", "")
	add(false, []string{"create"}, "rbac.authorization.k8s.io", "clusterrolebindings", "")
	add(false, []string{"create", "update", "escalate", "bind"}, "rbac.authorization.k8s.io", "roles", rhdhNamespace)
	add(false, []string{"create"}, "rbac.authorization.k8s.io", "rolebindings", rhdhNamespace)
	add(false, []string{"get", "list", "create", "delete"}, "", "pods", rhdhNamespace)
	add(false, []string{"update", "patch"}, "apps", "deployments", rhdhNamespace)
	add(false, []string{"get", "create", "update"}, "coordination.k8s.io", "leases", rhdhNamespace) // leader election is off
	add(false, []string{"impersonate"}, "", "serviceaccounts", "")
	add(false, []string{"create"}, "", "serviceaccounts/token", rhdhNamespace)
	rows = append(rows,
		access{verb: "create", resource: "pods", subresource: "exec", namespace: rhdhNamespace},
		access{verb: "get", resource: "pods", subresource: "exec", namespace: rhdhNamespace},
		access{verb: "get", resource: "pods", subresource: "log", namespace: rhdhNamespace},
		access{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: rhdhNamespace, name: connectorSA},
		// The model registry binding (seed): the registry's Service, through
		// the Group of the RHDH namespace's ServiceAccounts...
		access{verb: "get", resource: "services", namespace: registryNamespace, name: registryService, allowed: true},
		access{user: otherSAUser, verb: "get", resource: "services", namespace: registryNamespace, name: registryService, allowed: true},
		// ...and nothing else there.
		access{verb: "update", resource: "services", namespace: registryNamespace, name: registryService},
		// The ConfigMap Role is the connector's alone.
		access{user: otherSAUser, verb: "get", resource: "configmaps", namespace: rhdhNamespace},
		access{user: otherSAUser, verb: "list", group: isvcGroup, resource: isvcs},
	)

	// The OpenShift AI dashboard's Routes, each read by name for the links
	// back to the dashboard (the ClusterRole's routes rule covers them).
	require.Len(t, discovery.DashboardRoutes, 2)
	for _, r := range discovery.DashboardRoutes {
		rows = append(rows, access{verb: "get", group: routes, resource: "routes", namespace: r.Namespace, name: r.Name, allowed: true})
	}

	for _, a := range rows {
		if a.user == "" {
			a.user = connectorUser
		}
		t.Run(a.String(), func(t *testing.T) {
			ok, reason, err := allowed(ctx, cs, a)
			require.NoError(t, err)
			assert.Equal(t, a.allowed, ok, "%s (reason: %q)", a, reason)
		})
	}

	// The RHDH ConfigMaps apply as they are.
	apply(ctx, t, c, filepath.Join(deployDir(t), "rhdh"))

	// The optional leader-election Role grants the normalizer's lease.
	apply(ctx, t, c, filepath.Join(deployDir(t), "leader-election"))
	lease := access{user: connectorUser, verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: rhdhNamespace, name: "rhoai-normalizer.rhdh.redhat.com"}
	require.Eventually(t, func() bool {
		ok, _, err := allowed(ctx, cs, lease)
		return err == nil && ok
	}, time.Minute, 100*time.Millisecond, "deploy/leader-election does not allow %s", lease)
	other := lease
	other.namespace = otherNamespace
	ok, _, err := allowed(ctx, cs, other)
	require.NoError(t, err)
	assert.False(t, ok, "deploy/leader-election must not allow %s", other)
}
