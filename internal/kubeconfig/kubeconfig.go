// Package kubeconfig builds the Kubernetes client configuration of every
// binary from the sidecar environment the connector is deployed with.
//
// The RHDH Operator turns off the service account token mount, so the pod
// spec passes a service-account-token Secret through envFrom instead: its
// keys become the variables `token`, `ca.crt` and `namespace`. Order:
//
//  1. `token` (+ `ca.crt`) with KUBERNETES_SERVICE_HOST/PORT;
//  2. the in-cluster files under /var/run/secrets/kubernetes.io/serviceaccount;
//  3. --kubeconfig, KUBECONFIG or ~/.kube/config, for local runs.
//
// TLS is always verified against a CA unless InsecureSkipTLSVerify is set
// explicitly; a missing CA is an error, never a silent downgrade.
package kubeconfig

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultServiceAccountDir is where Kubernetes mounts the service account.
const DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// Options says where to look.
type Options struct {
	// Kubeconfig is an explicit kubeconfig file (the --kubeconfig flag).
	Kubeconfig string
	// InsecureSkipTLSVerify turns TLS verification off; only an explicit
	// flag may set it.
	InsecureSkipTLSVerify bool
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// ServiceAccountDir overrides DefaultServiceAccountDir (tests).
	ServiceAccountDir string
}

// Result is the client configuration and what it was built from.
type Result struct {
	Config *rest.Config
	// Namespace is the pod's namespace: POD_NAMESPACE, then `namespace`,
	// then the in-cluster namespace file, then the kubeconfig context's,
	// then "default".
	Namespace string
	// Source says which of the three sources was used, for the start-up log.
	Source string
	// Token is the bearer token of the configuration ("" for kubeconfig
	// credentials that are not a token); the normalizer uses it for the
	// model registries when KFMR_TOKEN is unset.
	Token string
}

// Load builds the configuration.
func Load(opts Options) (*Result, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	saDir := opts.ServiceAccountDir
	if saDir == "" {
		saDir = DefaultServiceAccountDir
	}
	res, err := load(opts, getenv, saDir)
	if err != nil {
		return nil, err
	}
	res.Namespace = namespace(getenv, saDir, res.Namespace)
	if opts.InsecureSkipTLSVerify {
		res.Config.Insecure = true
		res.Config.CAData = nil
		res.Config.CAFile = ""
	}
	return res, nil
}

func load(opts Options, getenv func(string) string, saDir string) (*Result, error) {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if token := strings.TrimSpace(getenv("token")); token != "" && host != "" && opts.Kubeconfig == "" {
		if port == "" {
			port = "443"
		}
		cfg := &rest.Config{Host: "https://" + net.JoinHostPort(host, port), BearerToken: token}
		ca := getenv("ca.crt")
		switch {
		case strings.TrimSpace(ca) != "":
			cfg.CAData = []byte(ca)
		case fileExists(filepath.Join(saDir, "ca.crt")):
			cfg.CAFile = filepath.Join(saDir, "ca.crt")
		case !opts.InsecureSkipTLSVerify:
			return nil, errors.New("the `token` variable is set but `ca.crt` is empty and no in-cluster CA file exists: " +
				"add ca.crt to the rhdh-rhoai-connector-token Secret (Kubernetes fills it for service-account-token Secrets), " +
				"or pass --insecure-skip-tls-verify to connect without verifying the API server")
		}
		return &Result{Config: cfg, Source: "environment variables token/ca.crt", Token: token}, nil
	}
	// Only try the in-cluster files when they exist, so a sidecar without the
	// mount does not log the misleading "open .../token: no such file" error.
	if host != "" && opts.Kubeconfig == "" && fileExists(filepath.Join(saDir, "token")) {
		tokenBytes, err := os.ReadFile(filepath.Join(saDir, "token"))
		if err != nil {
			return nil, fmt.Errorf("reading in-cluster service account token: %w", err)
		}
		if port == "" {
			port = "443"
		}
		cfg := &rest.Config{
			Host:            "https://" + net.JoinHostPort(host, port),
			BearerToken:     strings.TrimSpace(string(tokenBytes)),
			BearerTokenFile: filepath.Join(saDir, "token"),
		}
		if fileExists(filepath.Join(saDir, "ca.crt")) {
			cfg.CAFile = filepath.Join(saDir, "ca.crt")
		} else if !opts.InsecureSkipTLSVerify {
			return nil, fmt.Errorf("in-cluster CA %s is missing: pass --insecure-skip-tls-verify to connect without verifying the API server", filepath.Join(saDir, "ca.crt"))
		}
		return &Result{Config: cfg, Source: "in-cluster service account " + saDir, Token: cfg.BearerToken}, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("no Kubernetes configuration found: set the `token` and `ca.crt` variables "+
			"(envFrom the rhdh-rhoai-connector-token Secret) with KUBERNETES_SERVICE_HOST, "+
			"run in a pod with a service account, or point --kubeconfig/KUBECONFIG at a kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		ns = ""
	}
	src := "kubeconfig"
	if p := cc.ConfigAccess().GetExplicitFile(); p != "" {
		src = "kubeconfig " + p
	}
	return &Result{Config: cfg, Namespace: ns, Source: src, Token: cfg.BearerToken}, nil
}

func namespace(getenv func(string) string, saDir, fromKubeconfig string) string {
	for _, v := range []string{getenv("POD_NAMESPACE"), getenv("namespace")} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	if b, err := os.ReadFile(filepath.Join(saDir, "namespace")); err == nil {
		if v := strings.TrimSpace(string(b)); v != "" {
			return v
		}
	}
	if fromKubeconfig != "" {
		return fromKubeconfig
	}
	return "default"
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
