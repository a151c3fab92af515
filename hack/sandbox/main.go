// Command sandbox runs the whole connector on a developer machine with no
// cluster: a real kube-apiserver and etcd (envtest) holding KServe
// InferenceServices, an in-memory Model Registry and Model Catalog serving
// the sample data in hack/sandbox/data, and the three binaries of --bin
// wired together as in the RHDH pod. It is what `make run-local` starts.
//
// Ctrl-C (or SIGTERM) stops everything; a second Ctrl-C forces it. Child
// processes never outlive the sandbox: they run in their own process groups
// with a parent-death signal, and a small watchdog process (the sandbox
// binary re-executed) kills whatever is left if the sandbox itself is
// killed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func main() {
	if os.Getenv(reaperEnv) != "" {
		ignoreStopSignals()
		runReaper(os.Stdin)
		os.Exit(0)
	}
	// envtest logs through controller-runtime's global logger, which
	// otherwise prints a warning with a stack trace after 30 s.
	ctrllog.SetLogger(logr.Discard())

	opts, err := parseFlags(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// A second Ctrl-C gets the default behaviour: the sandbox dies at
		// once and the watchdog cleans up.
		stop()
	}()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stdout, stderr io.Writer) (options, error) {
	o := defaultOptions()
	o.Out = stdout
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(stderr, `Usage: go run ./hack/sandbox [flags]   (or: make run-local)

Runs the connector locally with no cluster: envtest's kube-apiserver and etcd,
an in-memory Model Registry and Model Catalog with sample data, and the
storage-rest, location and rhoai-normalizer binaries from --bin.

Flags:
`)
		fs.PrintDefaults()
	}
	var envtestDir string
	fs.StringVar(&o.BinDir, "bin", o.BinDir, "folder holding the location, storage-rest and rhoai-normalizer binaries (built by make build)")
	fs.StringVar(&envtestDir, "envtest", "", "folder holding kube-apiserver and etcd (built by make envtest); default: KUBEBUILDER_ASSETS, else the envtest cache")
	fs.StringVar(&o.DataDir, "data", o.DataDir, "sample data folder: registry.yaml, inferenceservices.yaml, catalog/")
	fs.StringVar(&o.WorkDir, "workdir", o.WorkDir, "folder for the kubeconfig and the log files (git-ignored under .cache/)")
	fs.StringVar(&o.KServeCRD, "kserve-crd", "", "InferenceService CRD file; default: the one in the kserve module of the Go module cache")
	fs.IntVar(&o.RegistryPort, "registry-port", o.RegistryPort, "port of the in-memory Model Registry and Model Catalog")
	fs.IntVar(&o.StoragePort, "storage-port", o.StoragePort, "port of storage-rest")
	fs.IntVar(&o.LocationPort, "location-port", o.LocationPort, "port of location (what RHDH reads)")
	fs.IntVar(&o.MetricsPort, "metrics-port", o.MetricsPort, "port of rhoai-normalizer's /metrics, /healthz and /readyz")
	fs.DurationVar(&o.PollingInterval, "polling-interval", o.PollingInterval, "how often rhoai-normalizer reads the registry (POLLING_INTERVAL)")
	fs.DurationVar(&o.ReadyTimeout, "ready-timeout", o.ReadyTimeout, "how long to wait for location's /list to name a document")
	fs.BoolVar(&o.Verbose, "verbose", false, "also print the binaries' logs, each line prefixed with the binary's name")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: the sandbox takes flags only (see -h)", fs.Args())
	}
	if envtestDir != "" {
		// internal/testing/testenv finds the control plane binaries through this
		// variable; the Makefile exports it too.
		if err := os.Setenv("KUBEBUILDER_ASSETS", envtestDir); err != nil {
			return o, fmt.Errorf("setting KUBEBUILDER_ASSETS: %w", err)
		}
	}
	if o.PollingInterval <= 0 || o.ReadyTimeout <= 0 {
		return o, errors.New("--polling-interval and --ready-timeout must be positive durations such as 10s or 2m")
	}
	return o, nil
}
