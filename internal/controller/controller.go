// Package controller wires rhoai-normalizer: a controller-runtime manager
// (clients, cache, metrics, probes, shutdown) that runs the sync pipeline on
// start, on InferenceService events and every polling interval.
package controller

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/catalogclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/pipeline"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// Config is everything main decides.
type Config struct {
	RestConfig *rest.Config
	// Namespace is the pod's namespace (leader election lease).
	Namespace      string
	MetricsAddress string
	// MetricsListener, when set, serves /metrics, /healthz and /readyz
	// instead of MetricsAddress: the binary binds it first, so that a busy
	// port is one clear error, and serves it with the same limits on slow
	// clients as location and storage-rest (HTTPLimits; zero fields take
	// httpserver.DefaultLimits).
	MetricsListener net.Listener
	HTTPLimits      httpserver.Limits
	LeaderElection  bool
	Log             logr.Logger

	Discovery discovery.Config
	// DashboardURL is the OpenShift AI dashboard's base URL for the links
	// back to it; when empty the dashboard's Route is looked for on every
	// sync (at most every DashboardTTL; discovery.DefaultDashboardTTL when
	// zero).
	DashboardURL    string
	DashboardTTL    time.Duration
	PollingInterval time.Duration
	Debounce        time.Duration
	// CRDPoll is how often the missing InferenceService CRD is looked for.
	CRDPoll time.Duration

	// RegistryToken authenticates to the registries and the catalog.
	RegistryToken string
	// RegistryCAPEM is trusted, with the system roots, for registry TLS.
	RegistryCAPEM       []byte
	RegistryInsecureTLS bool
	RegistryTimeout     time.Duration
	RegistryPageSize    int
	StorageURL          string
	StorageToken        string
	Mapping             mapping.Options
	StoreResync         time.Duration
	// EmptyConfirmations: syncs in a row a registry that held models must
	// answer "no models" before its models are removed.
	EmptyConfirmations    int
	CardTTL               time.Duration
	GracefulShutdownDelay time.Duration
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election;
	// controller-runtime's defaults (15 s, 10 s, 2 s) when zero.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// MetricsRegistry receives the normalizer's metrics; nil means
	// controller-runtime's registry, which the metrics endpoint serves.
	// Tests that run several normalizers in one process pass their own.
	MetricsRegistry prometheus.Registerer
}

// newScheme holds the types the normalizer reads.
func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	if err := v1beta1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("adding KServe types to scheme: %w", err)
	}
	return scheme, nil
}

// cacheOptions keep the watch cache to what the normalizer reads. Only
// predictor Services matter, found by KServe's label or by an owner
// reference to their InferenceService. The second cannot be selected
// server-side, so every Service is cached, but stripped to what the
// resolver reads (kserve.StripService). No cached object keeps its
// managedFields, which nothing here reads and which were a fifth of each
// InferenceService's memory.
func cacheOptions() cache.Options {
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Service{}: {Transform: kserve.StripService},
		},
		DefaultTransform: cache.TransformStripManagedFields(),
	}
}

// Run runs the normalizer until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if err := validateCA(cfg.RegistryCAPEM); err != nil {
		return err
	}
	scheme, err := newScheme()
	if err != nil {
		return err
	}

	var runner *pipeline.Runner
	var elected <-chan struct{}
	ready := healthz.Checker(func(*http.Request) error {
		if runner == nil || elected == nil {
			return errors.New("starting")
		}
		if cfg.LeaderElection {
			select {
			case <-elected:
			default:
				// A standby replica publishes nothing: its pod's location
				// serves what the leader stored, so it is ready as it is.
				return nil
			}
		}
		return runner.Ready()
	})
	probes := newProbes()
	if err := probes.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := probes.AddReadyzCheck("sync", ready); err != nil {
		return err
	}
	healthzHandler, readyzHandler := checksHandler(probes.healthz), checksHandler(probes.readyz)
	mgr, err := ctrl.NewManager(cfg.RestConfig, ctrl.Options{
		Scheme: scheme,
		Logger: cfg.Log,
		Cache:  cacheOptions(),
		Metrics: metricsserver.Options{
			BindAddress: metricsBindAddress(cfg),
			ExtraHandlers: map[string]http.Handler{
				"/healthz": healthzHandler,
				"/readyz":  readyzHandler,
			},
		},
		HealthProbeBindAddress:  "0",
		LeaderElection:          cfg.LeaderElection,
		LeaderElectionID:        "rhoai-normalizer.rhdh.redhat.com",
		LeaderElectionNamespace: cfg.Namespace,
		LeaseDuration:           nonZero(cfg.LeaseDuration),
		RenewDeadline:           nonZero(cfg.RenewDeadline),
		RetryPeriod:             nonZero(cfg.RetryPeriod),
		GracefulShutdownTimeout: &cfg.GracefulShutdownDelay,
		// One controller per process in production; tests run several
		// managers in one process, which the global name check forbids.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return fmt.Errorf("creating controller manager: %w", err)
	}
	elected = mgr.Elected()

	var reg prometheus.Registerer = ctrlmetrics.Registry
	if cfg.MetricsRegistry != nil {
		reg = cfg.MetricsRegistry
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "rhoai_connector", Subsystem: "normalizer", Name: "registry_requests_total",
		Help: "HTTP requests to model registries and the catalog, by endpoint and outcome.",
	}, []string{"endpoint", "outcome"})
	reg.MustRegister(requests)
	metrics := pipeline.NewMetrics(reg)

	watch := &inferenceServiceWatch{mgr: mgr, log: cfg.Log.WithName("kserve"), poll: cfg.CRDPoll}
	if watch.poll <= 0 {
		watch.poll = 15 * time.Second
	}
	dashboard := discovery.NewDashboard(mgr.GetAPIReader(), discovery.DashboardOptions{URL: cfg.DashboardURL, TTL: cfg.DashboardTTL}, cfg.Log.WithName("dashboard"))
	mapOpts := cfg.Mapping
	if mapOpts.DashboardURL == nil {
		mapOpts.DashboardURL = dashboard.URL
	}
	p := pipeline.New(pipeline.Config{
		Discoverer: dashboardRefresh{
			Discoverer: discovery.New(mgr.GetAPIReader(), cfg.Discovery, cfg.Log.WithName("discovery")),
			dashboard:  dashboard,
		},
		Servers: watch,
		NewRegistry: func(ep discovery.Endpoint) pipeline.RegistryReader {
			return registryclient.New(ep.URL, registryclient.Options{
				Token: cfg.RegistryToken, CAPEM: cfg.RegistryCAPEM, InsecureSkipTLSVerify: cfg.RegistryInsecureTLS,
				Timeout: cfg.RegistryTimeout, PageSize: cfg.RegistryPageSize,
				Metrics: registryclient.PrometheusMetrics(requests), Logger: cfg.Log.WithName("registry"),
			})
		},
		NewCatalog: func(ep discovery.Endpoint) pipeline.CardReader {
			c := catalogclient.New(ep.URL, catalogclient.Options{
				Token: cfg.RegistryToken, CAPEM: cfg.RegistryCAPEM, InsecureSkipTLSVerify: cfg.RegistryInsecureTLS,
				Timeout: cfg.RegistryTimeout, Metrics: catalogclient.PrometheusMetrics(requests),
			})
			return cardReader{catalogclient.NewCardFetcher(c, catalogclient.CardOptions{TTL: cfg.CardTTL, Logger: cfg.Log.WithName("catalog")})}
		},
		Store:              storeClient{storageclient.New(cfg.StorageURL, storageclient.WithToken(cfg.StorageToken))},
		Options:            mapOpts,
		Log:                cfg.Log.WithName("sync"),
		Metrics:            metrics,
		StoreResync:        cfg.StoreResync,
		EmptyConfirmations: cfg.EmptyConfirmations,
	})
	published := func(sync func(context.Context) (pipeline.Result, error)) func(context.Context) error {
		return func(ctx context.Context) error {
			res, err := sync(ctx)
			if err == nil && !res.Complete() {
				// Not ready (nor "published") until every record that can be
				// stored is: a half-published catalog must not look complete.
				err = fmt.Errorf("%d of %d changed records could not be stored in storage-rest (see the errors above); retrying",
					res.Failed-res.Refused, res.Upserted+res.Failed)
			}
			return err
		}
	}
	runner = pipeline.NewRunner(published(p.Sync), cfg.PollingInterval, cfg.Debounce, cfg.Log.WithName("sync"))
	runner.OnTrigger = published(p.SyncServers)
	watch.trigger = runner.Trigger
	ping, err := apiServerPing(cfg.RestConfig)
	if err != nil {
		return err
	}
	watch.fresh = newFreshness(mgr.GetCache(), mgr.GetAPIReader(), ping, runner.Trigger, cfg.Log.WithName("kserve"))
	if err := mgr.Add(watch.fresh); err != nil {
		return fmt.Errorf("adding the InferenceService freshness check: %w", err)
	}
	if err := mgr.Add(runner); err != nil {
		return fmt.Errorf("adding the sync loop: %w", err)
	}
	if err := mgr.Add(watch); err != nil {
		return fmt.Errorf("adding the InferenceService watch: %w", err)
	}
	cfg.Log.Info("starting rhoai-normalizer", "metricsAddress", cfg.MetricsAddress, "pollingInterval", cfg.PollingInterval.String(),
		"storageURL", cfg.StorageURL, "format", string(cfg.Mapping.Format), "leaderElection", cfg.LeaderElection,
		"dashboardURL", cfg.DashboardURL)
	var served chan error
	sctx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	if cfg.MetricsListener != nil {
		// Served beside the manager, not as one of its runnables: a standby
		// replica (not elected) must answer its probes and metrics too.
		mux := http.NewServeMux()
		var gatherer prometheus.Gatherer = ctrlmetrics.Registry
		if g, ok := cfg.MetricsRegistry.(prometheus.Gatherer); ok {
			gatherer = g
		}
		mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
		mux.Handle("/healthz", healthzHandler)
		mux.Handle("/readyz", readyzHandler)
		srv := httpserver.NewServer(cfg.MetricsListener, mux, httpserver.Options{
			Log: cfg.Log.WithName("metrics"), ShutdownTimeout: 5 * time.Second, Limits: cfg.HTTPLimits,
		})
		served = make(chan error, 1)
		go func() { served <- srv.Serve(sctx) }()
	}
	err = mgr.Start(ctx)
	stopServing() // also when the manager failed on its own
	if served != nil {
		if serr := <-served; serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return fmt.Errorf("running controller manager: %w", err)
	}
	return nil
}

// metricsBindAddress is where controller-runtime's own metrics server
// listens: nowhere ("0") when the normalizer serves MetricsListener itself.
func metricsBindAddress(cfg Config) string {
	if cfg.MetricsListener != nil {
		return "0"
	}
	return cfg.MetricsAddress
}

func validateCA(pem []byte) error {
	if len(pem) == 0 {
		return nil
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return errors.New("the registry CA bundle holds no PEM certificate: check --registry-ca-file / the ca.crt variable")
	}
	return nil
}

// cardReader adapts the catalog's card fetcher to the pipeline.
type cardReader struct{ f *catalogclient.CardFetcher }

func (c cardReader) Card(ctx context.Context, sourceID, name string) (string, bool, error) {
	m, err := c.f.Card(ctx, sourceID, name)
	if err != nil {
		if catalogclient.IsNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	return m.Readme, m.Readme != "", nil
}

// storeClient adapts pkg/storageclient to the pipeline.
type storeClient struct{ *storageclient.Client }

// nonZero is d, or nil (the default) when d is zero.
func nonZero(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}
