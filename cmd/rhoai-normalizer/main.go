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
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/config"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/controller"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kubeconfig"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/logging"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/startup"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func main() {
	os.Exit(startup.Main("rhoai-normalizer", run))
}

// metricsSetting names what sets the metrics address, for a bind error.
const metricsSetting = "--metrics-address or METRICS_ADDRESS"

// options are the flags and variables, parsed.
type options struct {
	metricsAddr, kubeconfig, logLevel                  string
	storageURL, storageToken, format, owner, lifecycle string
	locationURL, dashboardURL, registryToken           string
	registryCA                                         string
	insecureK8s, insecureReg, leaderElect, version     bool
	polling, debounce, regTimeout, shutdown            time.Duration
	leaseDuration, renewDeadline, retryPeriod          time.Duration
	storeResync                                        time.Duration
	pageSize, emptyConfirm                             int
	fmtv                                               record.Format
}

// parseOptions reads the flags and their variables (internal/config: a
// flag on the command line wins, then the variable, then the default).
func parseOptions(args []string, getenv func(string) string, out io.Writer) (*options, error) {
	fs := flag.NewFlagSet("rhoai-normalizer", flag.ContinueOnError)
	fs.SetOutput(out)
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
	o := &options{}
	f := config.New(fs, getenv)
	f.StringVar(&o.metricsAddr, "metrics-address", "METRICS_ADDRESS", ":8081", "address of /metrics, /healthz and /readyz")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "", "kubeconfig file for local runs (else token/ca.crt variables, in-cluster files, KUBECONFIG, ~/.kube/config)")
	f.BoolVar(&o.insecureK8s, "insecure-skip-tls-verify", "", false, "do not verify the Kubernetes API server's certificate (never needed in a pod)")
	f.StringVar(&o.logLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	f.DurationVar(&o.polling, "polling-interval", "POLLING_INTERVAL", 30*time.Second, "how often the registries are read")
	f.DurationVar(&o.debounce, "debounce", "", 100*time.Millisecond, "least time between two syncs triggered by InferenceService events, or twice the last one's duration when longer (the first event after a quiet spell syncs at once)")
	f.StringVar(&o.storageURL, "storage-url", "STORAGE_URL", storageclient.DefaultURL, "storage-rest base URL")
	f.StringVar(&o.storageToken, "storage-token", "STORAGE_TOKEN", "", "bearer token for storage-rest when it is opened beyond loopback")
	f.StringVar(&o.format, "format", "NORMALIZER_FORMAT", string(record.JSONArrayFormat), "document format: "+record.FormatChoices)
	f.StringVar(&o.owner, "default-owner", "DEFAULT_OWNER", mapping.DefaultOwner, "owner when no property names one")
	f.StringVar(&o.lifecycle, "default-lifecycle", "DEFAULT_LIFECYCLE", mapping.DefaultLifecycle, "lifecycle when no property names one")
	f.StringVar(&o.locationURL, "location-url", "LOCATION_URL", locationclient.DefaultURL, "base URL RHDH uses for location, in model card links")
	f.StringVar(&o.dashboardURL, "dashboard-url", discovery.EnvDashboardURL, "", "https URL of the OpenShift AI dashboard that models and model servers link to; default: the host of its Route (rhods-dashboard in redhat-ods-applications, odh-dashboard in opendatahub)")
	f.StringVar(&o.registryToken, "registry-token", "KFMR_TOKEN", "", "bearer token for the registries and the catalog; default: the Kubernetes token")
	f.StringVar(&o.registryCA, "registry-ca-file", "REGISTRY_CA_FILE", "", "PEM bundle trusted for registry TLS, besides the system roots and ca.crt")
	f.BoolVar(&o.insecureReg, "registry-insecure-skip-tls-verify", "", false, "do not verify registry certificates")
	f.DurationVar(&o.regTimeout, "registry-timeout", "", 30*time.Second, "timeout of each registry or catalog request")
	f.IntVar(&o.pageSize, "registry-page-size", "", 100, "pageSize of registry list requests")
	f.BoolVar(&o.leaderElect, "leader-elect", "LEADER_ELECT", false, "elect a leader among replicas; off: one replica runs in the RHDH pod")
	f.DurationVar(&o.shutdown, "shutdown-timeout", "SHUTDOWN_TIMEOUT", 20*time.Second, "how long to wait for running work on SIGTERM")
	f.IntVar(&o.emptyConfirm, "empty-confirmations", "", 3, "syncs in a row a registry that held models must answer with none before they are removed")
	f.BoolVar(&o.version, "version", "", false, "print the version, commit and Go version, and exit")
	f.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", "", 15*time.Second, "with --leader-elect: how long a leader's lease lasts; a standby takes over at most this long (plus --leader-elect-retry-period) after the leader died")
	f.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", "", 10*time.Second, "with --leader-elect: how long the leader keeps trying to renew before it steps down (less than the lease duration)")
	f.DurationVar(&o.retryPeriod, "leader-elect-retry-period", "", 2*time.Second, "with --leader-elect: how often candidates try to take or renew the lease")
	f.DurationVar(&o.storeResync, "store-resync", "", 10*time.Minute, "how often every record storage-rest holds is read again even when its digest (compared every sync) says nothing changed")
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	if o.version {
		return o, nil
	}
	switch {
	case o.polling <= 0:
		return nil, fmt.Errorf("%s %s is not a positive Go duration (e.g. 30s, 2m)", f.Setting("polling-interval"), o.polling)
	case o.shutdown <= 0:
		return nil, fmt.Errorf("%s %s must be positive", f.Setting("shutdown-timeout"), o.shutdown)
	}
	if err := checkDashboardURL(o.dashboardURL); err != nil {
		return nil, err
	}
	var err error
	if o.fmtv, err = record.ParseFormat(o.format); err != nil {
		return nil, err
	}
	return o, nil
}

// runNormalizer runs the wired normalizer; tests replace it to see what
// run hands it.
var runNormalizer = controller.Run

// run runs the normalizer until ctx ends (SIGTERM in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if done, err := startup.Parsed("rhoai-normalizer", err, err == nil && o.version, stdout); done {
		return err
	}
	// The metrics and probe port first: a busy port is one clear error,
	// before the controller manager starts anything that would then be
	// stopped noisily. The normalizer serves it with the same limits on
	// slow clients as the other two binaries.
	metricsAddress := o.metricsAddr
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
	log, flush, err := logging.New(o.logLevel)
	if err != nil {
		return err
	}
	defer flush()
	// controller-runtime's own packages log through its global logger.
	ctrl.SetLogger(log)
	klog.SetLogger(log) // client-go's warnings, as JSON like everything else
	log.Info("rhoai-normalizer build", version.KeysAndValues()...)
	startup.SetMemoryLimit(log, startup.CgroupRoot, getenv)
	startup.SetGCPercent(controller.GCPercent, getenv)
	// rhoai_connector_build_info on the metrics endpoint, which serves
	// controller-runtime's registry.
	if err := ctrlmetrics.Registry.Register(version.Collector()); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		return fmt.Errorf("registering the build_info metric: %w", err)
	}

	disc, err := discovery.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	kc, err := kubeconfig.Load(kubeconfig.Options{Kubeconfig: o.kubeconfig, InsecureSkipTLSVerify: o.insecureK8s, Getenv: getenv})
	if err != nil {
		return err
	}
	log.Info("kubernetes client configured", "source", kc.Source, "namespace", kc.Namespace)
	token := o.registryToken
	if token == "" {
		token = kc.Token
	}
	// The cluster CA and, on OpenShift, the service CA that signs the
	// registries' Service certificates: both are keys of the
	// service-account-token Secret the sidecars get through envFrom.
	var ca []byte
	for _, v := range []string{"ca.crt", "service-ca.crt"} {
		if pem := strings.TrimSpace(getenv(v)); pem != "" {
			ca = append(append(ca, pem...), '\n')
		}
	}
	if o.registryCA != "" {
		b, err := os.ReadFile(o.registryCA)
		if err != nil {
			return fmt.Errorf("reading --registry-ca-file: %w", err)
		}
		ca = append(ca, b...)
	}

	return runNormalizer(ctx, controller.Config{
		RestConfig:          kc.Config,
		Namespace:           kc.Namespace,
		MetricsAddress:      metricsAddress,
		MetricsListener:     metricsListener,
		LeaderElection:      o.leaderElect,
		Log:                 log,
		Discovery:           disc,
		DashboardURL:        o.dashboardURL,
		PollingInterval:     o.polling,
		Debounce:            o.debounce,
		RegistryToken:       token,
		RegistryCAPEM:       ca,
		RegistryInsecureTLS: o.insecureReg,
		RegistryTimeout:     o.regTimeout,
		RegistryPageSize:    o.pageSize,
		StorageURL:          o.storageURL,
		StorageToken:        o.storageToken,
		Mapping: mapping.Options{
			DefaultOwner: o.owner, DefaultLifecycle: o.lifecycle, Format: o.fmtv, LocationBaseURL: o.locationURL,
		},
		GracefulShutdownDelay: o.shutdown,
		EmptyConfirmations:    o.emptyConfirm,
		StoreResync:           o.storeResync,
		LeaseDuration:         o.leaseDuration,
		RenewDeadline:         o.renewDeadline,
		RetryPeriod:           o.retryPeriod,
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
