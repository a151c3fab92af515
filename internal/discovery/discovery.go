// Package discovery finds the model registries and the model catalog the
// normalizer reads. It runs on every sync, so registries that appear or go
// away are followed without a restart.
//
// Precedence, decided separately for the registries and for the catalog:
//
//  1. MODEL_REGISTRY_URL / MODEL_CATALOG_URL name them explicitly.
//  2. MR_ROUTE names the registry Routes ("namespace:name", or "name" in any
//     namespace); a listed Route whose name contains "catalog" is the
//     catalog. A listed Route that does not exist is logged and skipped.
//  3. Routes labelled app.kubernetes.io/managed-by=model-registry-operator in
//     any namespace (https://<host> when the Route has TLS, else http), plus
//     the Services with that label that no such Route exposes
//     (http://<svc>.<ns>.svc.cluster.local:<port>). Without the Route API
//     (plain Kubernetes) this is the Services alone. The one whose name
//     contains "catalog" is the catalog.
//
// A Service's port is the one named http-api, http or rest (http), else
// https-api or https (https), else the first port unless its name says it
// speaks something else (grpc, postgres, mysql), in which case the Service
// is skipped.
//
// The Kubernetes reader should be uncached (manager.GetAPIReader()): Routes
// by name are looked up with a field selector, and a cached client would
// otherwise start cluster-wide informers for Services.
//
// Errors that make the answer unreliable (API errors, missing RBAC) are
// returned, and the caller keeps its previous registries.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The label the model registry operator puts on what it manages.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "model-registry-operator"
)

// The OpenShift Route kind, read as unstructured so that no OpenShift Go
// module is needed.
const (
	routeGroup   = "route.openshift.io"
	routeVersion = "v1"
	routeKind    = "Route"
)

// How an Endpoint was found.
const (
	ViaEnv     = "env"
	ViaRoute   = "route"
	ViaService = "service"
)

// Endpoint is one registry or catalog.
type Endpoint struct {
	// Name is the Route or Service name, or the URL's host for explicit URLs.
	Name string
	// Namespace is the Route's or Service's namespace ("" for explicit URLs).
	Namespace string
	// URL is the base URL, without a trailing slash.
	URL string
	// Via is ViaEnv, ViaRoute or ViaService.
	Via string
}

// Result is what one discovery found, sorted by namespace, name and URL.
type Result struct {
	Registries []Endpoint
	// Catalog is nil when no catalog was found.
	Catalog *Endpoint
}

// Discoverer finds registries and the catalog.
type Discoverer struct {
	reader client.Reader
	cfg    Config
	log    logr.Logger
	// noRouteAPILogged keeps "no Route API" to one info line.
	noRouteAPILogged atomic.Bool
}

// New returns a Discoverer. reader may be nil when cfg names both the
// registries and the catalog explicitly.
func New(reader client.Reader, cfg Config, log logr.Logger) *Discoverer {
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = DefaultClusterDomain
	}
	return &Discoverer{reader: reader, cfg: cfg, log: log}
}

// Discover finds the registries and the catalog now.
func (d *Discoverer) Discover(ctx context.Context) (Result, error) {
	var res Result
	for _, u := range d.cfg.RegistryURLs {
		res.Registries = append(res.Registries, explicitEndpoint(u))
	}
	if d.cfg.CatalogURL != "" {
		ep := explicitEndpoint(d.cfg.CatalogURL)
		res.Catalog = &ep
	}
	needRegistries := len(d.cfg.RegistryURLs) == 0
	needCatalog := d.cfg.CatalogURL == ""
	if !needRegistries && !needCatalog {
		return res, nil
	}
	if d.reader == nil {
		return Result{}, fmt.Errorf("no Kubernetes client to discover model registries with: set %s and %s", EnvRegistryURL, EnvCatalogURL)
	}

	if needRegistries && len(d.cfg.Routes) > 0 {
		eps, err := d.namedRoutes(ctx)
		if err != nil {
			return Result{}, err
		}
		regs, catalogs := splitCatalog(eps)
		res.Registries = regs
		needRegistries = false
		if needCatalog && len(catalogs) > 0 {
			res.Catalog = d.pickCatalog(catalogs)
			needCatalog = false
		}
	}
	if needRegistries || needCatalog {
		eps, err := d.labelled(ctx)
		if err != nil {
			return Result{}, err
		}
		regs, catalogs := splitCatalog(eps)
		if needRegistries {
			res.Registries = regs
		}
		if needCatalog && len(catalogs) > 0 {
			res.Catalog = d.pickCatalog(catalogs)
		}
	}
	res.Registries = sortDedupe(res.Registries)
	return res, nil
}

func explicitEndpoint(u string) Endpoint {
	name := u
	if i := strings.Index(u, "://"); i >= 0 {
		name = u[i+3:]
	}
	if i := strings.Index(name, "/"); i >= 0 {
		name = name[:i]
	}
	return Endpoint{Name: name, URL: u, Via: ViaEnv}
}

// isCatalog is the documented convention: the operator's catalog objects
// are the ones named *catalog*.
func isCatalog(name string) bool { return strings.Contains(strings.ToLower(name), "catalog") }

func splitCatalog(eps []Endpoint) (regs, catalogs []Endpoint) {
	for _, ep := range eps {
		if isCatalog(ep.Name) {
			catalogs = append(catalogs, ep)
		} else {
			regs = append(regs, ep)
		}
	}
	return regs, catalogs
}

func (d *Discoverer) pickCatalog(catalogs []Endpoint) *Endpoint {
	catalogs = sortDedupe(catalogs)
	if len(catalogs) > 1 {
		d.log.V(1).Info("several model catalogs found; using the first", "using", catalogs[0].URL, "found", len(catalogs))
	}
	ep := catalogs[0]
	return &ep
}

func sortDedupe(eps []Endpoint) []Endpoint {
	sort.SliceStable(eps, func(i, j int) bool {
		a, b := eps[i], eps[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.URL < b.URL
	})
	out := eps[:0:0]
	seen := map[string]bool{}
	for _, ep := range eps {
		if !seen[ep.URL] {
			seen[ep.URL] = true
			out = append(out, ep)
		}
	}
	return out
}

// namedRoutes resolves MR_ROUTE.
func (d *Discoverer) namedRoutes(ctx context.Context) ([]Endpoint, error) {
	var eps []Endpoint
	for _, ref := range d.cfg.Routes {
		var routes []unstructured.Unstructured
		if ref.Namespace != "" {
			u := newRoute()
			err := d.reader.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, u)
			switch {
			case apierrors.IsNotFound(err) && !isNoRouteAPI(err):
				d.log.Info("Route named in MR_ROUTE does not exist; skipping it (fix MR_ROUTE or create the Route)", "route", ref.String())
				continue
			case err != nil:
				return nil, d.routeError(err, "get Route "+ref.String()+" named in "+EnvRoutes)
			}
			routes = append(routes, *u)
		} else {
			list := newRouteList()
			err := d.reader.List(ctx, list, client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", ref.Name)})
			if err != nil {
				return nil, d.routeError(err, "list Routes named "+ref.Name+" (from "+EnvRoutes+")")
			}
			if len(list.Items) == 0 {
				d.log.Info("no Route in any namespace has the name given in MR_ROUTE; skipping it (fix MR_ROUTE or create the Route)", "route", ref.Name)
			}
			routes = list.Items
		}
		for i := range routes {
			if ep, ok := d.routeEndpoint(&routes[i]); ok {
				eps = append(eps, ep)
			}
		}
	}
	return eps, nil
}

func (d *Discoverer) routeError(err error, what string) error {
	switch {
	case isNoRouteAPI(err):
		return fmt.Errorf("%s: the cluster has no Route API (route.openshift.io/v1): %s works only on OpenShift; unset it, or set %s: %w", what, EnvRoutes, EnvRegistryURL, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s: forbidden: grant the connector's service account get/list/watch on routes.route.openshift.io (ClusterRole rhdh-rhoai-connector): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// labelled finds the operator-managed Routes and Services.
func (d *Discoverer) labelled(ctx context.Context) ([]Endpoint, error) {
	selector := client.MatchingLabels{ManagedByLabel: ManagedByValue}
	var eps []Endpoint
	exposed := map[types.NamespacedName]bool{}

	routes := newRouteList()
	err := d.reader.List(ctx, routes, selector)
	switch {
	case isNoRouteAPI(err):
		if d.noRouteAPILogged.CompareAndSwap(false, true) {
			d.log.Info("no Route API (route.openshift.io/v1) on this cluster; discovering model registries through Services")
		} else {
			d.log.V(1).Info("no Route API; using Services")
		}
	case err != nil:
		return nil, d.routeError(err, "list Routes labelled "+ManagedByLabel+"="+ManagedByValue)
	default:
		for i := range routes.Items {
			r := &routes.Items[i]
			ep, ok := d.routeEndpoint(r)
			if !ok {
				continue
			}
			eps = append(eps, ep)
			if kind, _, _ := unstructured.NestedString(r.Object, "spec", "to", "kind"); kind == "" || kind == "Service" {
				if svc, _, _ := unstructured.NestedString(r.Object, "spec", "to", "name"); svc != "" {
					exposed[types.NamespacedName{Namespace: r.GetNamespace(), Name: svc}] = true
				}
			}
		}
	}

	var svcs corev1.ServiceList
	if err := d.reader.List(ctx, &svcs, selector); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("list Services labelled %s=%s: forbidden: grant the connector's service account get/list/watch on services (ClusterRole rhdh-rhoai-connector): %w", ManagedByLabel, ManagedByValue, err)
		}
		return nil, fmt.Errorf("list Services labelled %s=%s: %w", ManagedByLabel, ManagedByValue, err)
	}
	for i := range svcs.Items {
		s := &svcs.Items[i]
		if exposed[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}] {
			continue
		}
		if ep, ok := d.serviceEndpoint(s); ok {
			eps = append(eps, ep)
		}
	}
	return eps, nil
}

func (d *Discoverer) routeEndpoint(r *unstructured.Unstructured) (Endpoint, bool) {
	host, _, _ := unstructured.NestedString(r.Object, "spec", "host")
	if host == "" {
		// A Route without spec.host gets one from the router, in status.
		if ingress, _, _ := unstructured.NestedSlice(r.Object, "status", "ingress"); len(ingress) > 0 {
			if m, ok := ingress[0].(map[string]any); ok {
				host, _ = m["host"].(string)
			}
		}
	}
	if host == "" {
		d.log.V(1).Info("Route has no host yet; skipping it until the router admits it", "namespace", r.GetNamespace(), "name", r.GetName())
		return Endpoint{}, false
	}
	scheme := "http"
	if tls, found, _ := unstructured.NestedMap(r.Object, "spec", "tls"); found && tls != nil {
		scheme = "https"
	}
	path, _, _ := unstructured.NestedString(r.Object, "spec", "path")
	path = strings.TrimRight(path, "/")
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return Endpoint{Name: r.GetName(), Namespace: r.GetNamespace(), URL: scheme + "://" + host + path, Via: ViaRoute}, true
}

func (d *Discoverer) serviceEndpoint(s *corev1.Service) (Endpoint, bool) {
	if s.Spec.Type == corev1.ServiceTypeExternalName || len(s.Spec.Ports) == 0 {
		return Endpoint{}, false
	}
	port, scheme, ok := pickPort(s.Spec.Ports)
	if !ok {
		d.log.V(1).Info("labelled Service has no REST port; skipping it", "namespace", s.Namespace, "name", s.Name)
		return Endpoint{}, false
	}
	host := s.Name + "." + s.Namespace + ".svc." + d.cfg.ClusterDomain
	return Endpoint{
		Name:      s.Name,
		Namespace: s.Namespace,
		URL:       scheme + "://" + net.JoinHostPort(host, strconv.Itoa(int(port))),
		Via:       ViaService,
	}, true
}

func pickPort(ports []corev1.ServicePort) (int32, string, bool) {
	for _, want := range []struct{ name, scheme string }{
		{"http-api", "http"}, {"http", "http"}, {"rest", "http"},
		{"https-api", "https"}, {"https", "https"},
	} {
		for _, p := range ports {
			if p.Name == want.name {
				return p.Port, want.scheme, true
			}
		}
	}
	first := ports[0]
	for _, other := range []string{"grpc", "postgres", "mysql"} {
		if strings.HasPrefix(first.Name, other) {
			return 0, "", false
		}
	}
	return first.Port, "http", true
}

func newRoute() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: routeGroup, Version: routeVersion, Kind: routeKind})
	return u
}

func newRouteList() *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.GroupVersionKind{Group: routeGroup, Version: routeVersion, Kind: routeKind + "List"})
	return l
}

// isNoRouteAPI says the cluster does not serve route.openshift.io/v1: the
// REST mapper has no such kind, or the resource vanished (CRD deleted)
// after the mapper learnt it.
func isNoRouteAPI(err error) bool {
	if err == nil {
		return false
	}
	if meta.IsNoMatchError(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && apierrors.IsNotFound(err) {
		d := status.Status().Details
		// A 404 for the collection itself (no object name) means the
		// resource type is gone, not that one Route is missing.
		return d == nil || d.Name == ""
	}
	return false
}
