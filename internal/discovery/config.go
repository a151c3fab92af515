package discovery

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvRegistryURL = "MODEL_REGISTRY_URL"
	EnvCatalogURL  = "MODEL_CATALOG_URL"
	EnvRoutes      = "MR_ROUTE"
)

// DefaultClusterDomain is the DNS suffix of Service URLs.
const DefaultClusterDomain = "cluster.local"

// RouteRef names an OpenShift Route; an empty Namespace means any namespace.
type RouteRef struct {
	Namespace string
	Name      string
}

func (r RouteRef) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + ":" + r.Name
}

// Config says what to look for. Explicit URLs win over Routes, which win
// over label discovery; registries and the catalog are decided separately,
// so MODEL_REGISTRY_URL alone still lets the catalog be discovered.
type Config struct {
	// RegistryURLs are registry base URLs (MODEL_REGISTRY_URL).
	RegistryURLs []string
	// CatalogURL is the catalog base URL (MODEL_CATALOG_URL).
	CatalogURL string
	// Routes are the registry Routes to use (MR_ROUTE); one whose name
	// contains "catalog" is the catalog.
	Routes []RouteRef
	// ClusterDomain is the Service DNS suffix; DefaultClusterDomain when empty.
	ClusterDomain string
}

// ConfigFromEnv reads MODEL_REGISTRY_URL (comma-separated base URLs),
// MODEL_CATALOG_URL and MR_ROUTE (comma-separated, each "namespace:name" or
// "name"). Malformed values are an error naming the variable, so that a
// typo stops the normalizer at start-up instead of silently discovering
// something else.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error
	for _, raw := range splitList(getenv(EnvRegistryURL)) {
		u, err := normalizeURL(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s entry %q: %w", EnvRegistryURL, raw, err))
			continue
		}
		if !contains(cfg.RegistryURLs, u) {
			cfg.RegistryURLs = append(cfg.RegistryURLs, u)
		}
	}
	if raw := strings.TrimSpace(getenv(EnvCatalogURL)); raw != "" {
		u, err := normalizeURL(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", EnvCatalogURL, raw, err))
		}
		cfg.CatalogURL = u
	}
	for _, raw := range splitList(getenv(EnvRoutes)) {
		ref, err := parseRouteRef(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s entry %q: %w", EnvRoutes, raw, err))
			continue
		}
		if !contains(cfg.Routes, ref) {
			cfg.Routes = append(cfg.Routes, ref)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// normalizeURL checks a base URL and drops a trailing slash.
func normalizeURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want an http:// or https:// base URL, for example http://127.0.0.1:8080")
	}
	if u.Host == "" {
		return "", errors.New("the URL has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("a base URL takes no query, fragment or credentials")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func parseRouteRef(raw string) (RouteRef, error) {
	ns, name, ok := strings.Cut(raw, ":")
	if !ok {
		name, ns = ns, ""
	}
	ns, name = strings.TrimSpace(ns), strings.TrimSpace(name)
	if ok {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return RouteRef{}, fmt.Errorf("namespace %q is not valid (%s); want namespace:name or name", ns, strings.Join(msgs, "; "))
		}
	}
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return RouteRef{}, fmt.Errorf("route name %q is not valid (%s); want namespace:name or name", name, strings.Join(msgs, "; "))
	}
	return RouteRef{Namespace: ns, Name: name}, nil
}
