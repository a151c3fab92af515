// Command rhoai-normalizer discovers AI models and model servers in Red Hat
// OpenShift AI (KServe InferenceServices, Kubeflow Model Registries, the
// Model Catalog) and keeps storage-rest in sync with them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kubeconfig"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/logging"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/normalize"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/normalizer"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rhoai-normalizer:", err)
		os.Exit(1)
	}
}

// metricsSetting names what sets the metrics address, for a bind error.
const metricsSetting = "--metrics-address or METRICS_ADDRESS"

func env(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

// defaultPollingInterval is --polling-interval's default.
const defaultPollingInterval = 30 * time.Second

// envPollingInterval reads POLLING_INTERVAL, defaultPollingInterval when
// unset.
func envPollingInterval() (time.Duration, error) {
	const name = "POLLING_INTERVAL"
	v := env(name, "")
	if v == "" {
		return defaultPollingInterval, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive Go duration (e.g. 30s, 2m)", name, v)
	}
	return d, nil
}

func envBool(name string, def bool) (bool, error) {
	v := env(name, "")
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean", name, v)
	}
	return b, nil
}

// run runs the normalizer until ctx ends (SIGTERM in main).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rhoai-normalizer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(fs.Output(), `Usage: rhoai-normalizer [flags]

Publishes OpenShift AI models and model servers to RHDH through storage-rest.
Every flag can also be set by the environment variable named in its help;
the flag wins. Registries: MODEL_REGISTRY_URL / MODEL_CATALOG_URL (explicit
base URLs), else MR_ROUTE (namespace:name or name, comma-separated), else
Routes, then Services, labelled app.kubernetes.io/managed-by=model-registry-operator.

Flags:
`)
		fs.PrintDefaults()
	}
	polling, err := envPollingInterval()
	if err != nil {
		return err
	}
	leader, err := envBool("LEADER_ELECT", false)
	if err != nil {
		return err
	}
	var (
		metricsAddr   = fs.String("metrics-address", env("METRICS_ADDRESS", ":8081"), "address of /metrics, /healthz and /readyz (METRICS_ADDRESS)")
		kubeconfigF   = fs.String("kubeconfig", "", "kubeconfig file for local runs (else token/ca.crt variables, in-cluster files, KUBECONFIG, ~/.kube/config)")
		insecureK8s   = fs.Bool("insecure-skip-tls-verify", false, "do not verify the Kubernetes API server's certificate (never needed in a pod)")
		logLevel      = fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
		pollingF      = fs.Duration("polling-interval", polling, "how often the registries are read (POLLING_INTERVAL)")
		debounce      = fs.Duration("debounce", time.Second, "quiet time after an InferenceService event before a sync")
		storageURL    = fs.String("storage-url", env("STORAGE_URL", storageclient.DefaultURL), "storage-rest base URL (STORAGE_URL)")
		storageToken  = fs.String("storage-token", env("STORAGE_TOKEN", ""), "bearer token for storage-rest when it is opened beyond loopback (STORAGE_TOKEN)")
		format        = fs.String("format", env("NORMALIZER_FORMAT", string(normalize.JsonArrayFormat)), "JsonArrayFormat or CatalogInfoYamlFormat (NORMALIZER_FORMAT)")
		owner         = fs.String("default-owner", env("DEFAULT_OWNER", normalize.DefaultOwner), "owner when no property names one (DEFAULT_OWNER)")
		lifecycle     = fs.String("default-lifecycle", env("DEFAULT_LIFECYCLE", normalize.DefaultLifecycle), "lifecycle when no property names one (DEFAULT_LIFECYCLE)")
		locationURL   = fs.String("location-url", env("LOCATION_URL", locationclient.DefaultURL), "base URL RHDH uses for location, in model card links (LOCATION_URL)")
		dashboardURL  = fs.String("dashboard-url", env(discovery.EnvDashboardURL, ""), "https URL of the OpenShift AI dashboard that models and model servers link to; default: the host of its Route (rhods-dashboard in redhat-ods-applications, odh-dashboard in opendatahub) ("+discovery.EnvDashboardURL+")")
		registryToken = fs.String("registry-token", env("KFMR_TOKEN", ""), "bearer token for the registries and the catalog; default: the Kubernetes token (KFMR_TOKEN)")
		registryCA    = fs.String("registry-ca-file", env("REGISTRY_CA_FILE", ""), "PEM bundle trusted for registry TLS, besides the system roots and ca.crt (REGISTRY_CA_FILE)")
		insecureReg   = fs.Bool("registry-insecure-skip-tls-verify", false, "do not verify registry certificates")
		regTimeout    = fs.Duration("registry-timeout", 30*time.Second, "timeout of each registry or catalog request")
		pageSize      = fs.Int("registry-page-size", 100, "pageSize of registry list requests")
		leaderElect   = fs.Bool("leader-elect", leader, "elect a leader among replicas (LEADER_ELECT); off: one replica runs in the RHDH pod")
		shutdown      = fs.Duration("shutdown-timeout", 20*time.Second, "how long to wait for running work on SIGTERM")
		emptyConfirm  = fs.Int("empty-confirmations", 3, "syncs in a row a registry that held models must answer with none before they are removed")
		showVersion   = fs.Bool("version", false, "print the version, commit and Go version, and exit")
		leaseDuration = fs.Duration("leader-elect-lease-duration", 15*time.Second, "with --leader-elect: how long a leader's lease lasts; a standby takes over at most this long (plus --leader-elect-retry-period) after the leader died")
		renewDeadline = fs.Duration("leader-elect-renew-deadline", 10*time.Second, "with --leader-elect: how long the leader keeps trying to renew before it steps down (less than the lease duration)")
		retryPeriod   = fs.Duration("leader-elect-retry-period", 2*time.Second, "with --leader-elect: how often candidates try to take or renew the lease")
		storeResync   = fs.Duration("store-resync", 10*time.Minute, "how often every record storage-rest holds is read again even when its digest (compared every sync) says nothing changed")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: rhoai-normalizer takes flags only (see --help)", fs.Args())
	}
	if *showVersion {
		_, err := fmt.Fprintln(stdout, version.String("rhoai-normalizer"))
		return err
	}
	// The metrics and probe port first: a busy port is one clear error,
	// before the controller manager starts anything that would then be
	// stopped noisily. The normalizer serves it with the same limits on
	// slow clients as the other two binaries.
	metricsAddress := *metricsAddr
	var metricsListener net.Listener
	if metricsAddress != "0" { // "0" turns the server off
		if metricsAddress, err = httpserver.ListenAddress(metricsAddress); err != nil {
			return fmt.Errorf("%s: %w", metricsSetting, err)
		}
		if metricsListener, err = httpserver.Bind(metricsAddress, metricsSetting); err != nil {
			return err
		}
		defer func() { _ = metricsListener.Close() }()
	}
	log, flush, err := logging.New(*logLevel)
	if err != nil {
		return err
	}
	defer flush()
	// controller-runtime's own packages log through its global logger.
	ctrl.SetLogger(log)
	klog.SetLogger(log) // client-go's warnings, as JSON like everything else
	log.Info("rhoai-normalizer build", version.KeysAndValues()...)
	// rhoai_connector_build_info on the metrics endpoint, which serves
	// controller-runtime's registry.
	if err := ctrlmetrics.Registry.Register(version.Collector()); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		return fmt.Errorf("registering the build_info metric: %w", err)
	}

	fmtv, err := normalize.ParseFormat(*format)
	if err != nil {
		return err
	}
	disc, err := discovery.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if err := checkDashboardURL(*dashboardURL); err != nil {
		return err
	}
	kc, err := kubeconfig.Load(kubeconfig.Options{Kubeconfig: *kubeconfigF, InsecureSkipTLSVerify: *insecureK8s})
	if err != nil {
		return err
	}
	log.Info("kubernetes client configured", "source", kc.Source, "namespace", kc.Namespace)
	token := *registryToken
	if token == "" {
		token = kc.Token
	}
	// The cluster CA and, on OpenShift, the service CA that signs the
	// registries' Service certificates: both are keys of the
	// service-account-token Secret the sidecars get through envFrom.
	var ca []byte
	for _, v := range []string{"ca.crt", "service-ca.crt"} {
		if pem := strings.TrimSpace(os.Getenv(v)); pem != "" {
			ca = append(append(ca, pem...), '\n')
		}
	}
	if *registryCA != "" {
		b, err := os.ReadFile(*registryCA)
		if err != nil {
			return fmt.Errorf("reading --registry-ca-file: %w", err)
		}
		ca = append(ca, b...)
	}

	return normalizer.Run(ctx, normalizer.Config{
		RestConfig:          kc.Config,
		Namespace:           kc.Namespace,
		MetricsAddress:      metricsAddress,
		MetricsListener:     metricsListener,
		LeaderElection:      *leaderElect,
		Log:                 log,
		Discovery:           disc,
		DashboardURL:        strings.TrimSpace(*dashboardURL),
		PollingInterval:     *pollingF,
		Debounce:            *debounce,
		RegistryToken:       token,
		RegistryCAPEM:       ca,
		RegistryInsecureTLS: *insecureReg,
		RegistryTimeout:     *regTimeout,
		RegistryPageSize:    *pageSize,
		StorageURL:          *storageURL,
		StorageToken:        *storageToken,
		Mapping: normalize.Options{
			DefaultOwner: *owner, DefaultLifecycle: *lifecycle, Format: fmtv, LocationBaseURL: *locationURL,
		},
		GracefulShutdownDelay: *shutdown,
		EmptyConfirmations:    *emptyConfirm,
		StoreResync:           *storeResync,
		LeaseDuration:         *leaseDuration,
		RenewDeadline:         *renewDeadline,
		RetryPeriod:           *retryPeriod,
	})
}

// checkDashboardURL accepts "" (look for the dashboard's Route) or an
// absolute http(s) URL without query or fragment.
func checkDashboardURL(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--dashboard-url / %s=%q is not the http(s) URL of the OpenShift AI dashboard (e.g. https://rhods-dashboard-redhat-ods-applications.apps.example.com)", discovery.EnvDashboardURL, s)
	}
	return nil
}
