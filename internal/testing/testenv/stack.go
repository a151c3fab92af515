package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StackOptions configures a Stack: the three real binaries, as they run in
// the RHDH pod, against a test's API server and registry.
type StackOptions struct {
	// Bin is the folder BuildBinaries filled.
	Bin string
	// Kubeconfig is the file AdminKubeconfig wrote.
	Kubeconfig string
	// Namespace holds the ConfigMap; the caller creates it.
	Namespace string
	// RegistryURLs and CatalogURL are the sources the normalizer reads
	// (MODEL_REGISTRY_URL, MODEL_CATALOG_URL).
	RegistryURLs []string
	CatalogURL   string
	// PollingInterval of the normalizer; 1s when zero.
	PollingInterval time.Duration
	// NormalizerArgs are extra flags of rhoai-normalizer.
	NormalizerArgs []string
	// LogLevel of the three binaries; "info" when empty.
	LogLevel string
	// Env holds extra environment variables by binary ("rhoai-normalizer",
	// "storage-rest", "location").
	Env map[string][]string
}

// Stack is storage-rest, location and rhoai-normalizer started by a test on
// loopback addresses of their own; each can be killed and started again on
// the same address.
type Stack struct {
	t    testing.TB
	opts StackOptions

	StorageAddr, LocationAddr, MetricsAddr string
	Storage, Location, Normalizer          *Process
	// NormalizerStorageURL, when set before StartNormalizer, is where the
	// normalizer sends its writes instead of storage-rest itself (a test's
	// proxy in between).
	NormalizerStorageURL string
}

// NewStack allocates the addresses; nothing runs until the Start methods.
func NewStack(t testing.TB, opts StackOptions) *Stack {
	if opts.PollingInterval == 0 {
		opts.PollingInterval = time.Second
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	return &Stack{t: t, opts: opts, StorageAddr: FreeAddr(t), LocationAddr: FreeAddr(t), MetricsAddr: FreeAddr(t)}
}

// StorageURL is the base URL of storage-rest.
func (s *Stack) StorageURL() string { return "http://" + s.StorageAddr }

// LocationURL is the base URL of location.
func (s *Stack) LocationURL() string { return "http://" + s.LocationAddr }

// MetricsURL is the base URL of the normalizer's metrics server.
func (s *Stack) MetricsURL() string { return "http://" + s.MetricsAddr }

// StartAll starts storage-rest, location and the normalizer, in the order of
// the pod's containers; only storage-rest is waited for.
func (s *Stack) StartAll() {
	s.StartStorage()
	s.StartLocation()
	s.StartNormalizer()
}

// StartStorage starts storage-rest and waits until it is ready.
func (s *Stack) StartStorage() {
	s.t.Helper()
	s.Storage = StartProcess(s.t, filepath.Join(s.opts.Bin, "storage-rest"),
		append([]string{"POD_NAMESPACE=" + s.opts.Namespace, "BRIDGE_URL=" + s.LocationURL(), "STORAGE_TYPE=ConfigMap", "LOG_LEVEL=" + s.opts.LogLevel}, s.opts.Env["storage-rest"]...),
		"--address", s.StorageAddr, "--kubeconfig", s.opts.Kubeconfig)
	WaitOK(s.t, s.StorageURL()+"/readyz", 2*time.Minute)
}

// StartLocation starts location; it does not wait (ready means loaded,
// which a test may want to time).
func (s *Stack) StartLocation() {
	s.Location = StartProcess(s.t, filepath.Join(s.opts.Bin, "location"),
		append([]string{"STORAGE_URL=" + s.StorageURL(), "LOG_LEVEL=" + s.opts.LogLevel}, s.opts.Env["location"]...), "--address", s.LocationAddr)
}

// StartNormalizer starts rhoai-normalizer.
func (s *Stack) StartNormalizer() {
	storage := s.StorageURL()
	if s.NormalizerStorageURL != "" {
		storage = s.NormalizerStorageURL
	}
	env := []string{
		"STORAGE_URL=" + storage,
		"POD_NAMESPACE=" + s.opts.Namespace,
		"POLLING_INTERVAL=" + s.opts.PollingInterval.String(),
		"LOG_LEVEL=" + s.opts.LogLevel,
		"MODEL_REGISTRY_URL=" + strings.Join(s.opts.RegistryURLs, ","),
		"MODEL_CATALOG_URL=" + s.opts.CatalogURL,
	}
	env = append(env, s.opts.Env["rhoai-normalizer"]...)
	args := append([]string{"--kubeconfig", s.opts.Kubeconfig, "--metrics-address", s.MetricsAddr}, s.opts.NormalizerArgs...)
	s.Normalizer = StartProcess(s.t, filepath.Join(s.opts.Bin, "rhoai-normalizer"), env, args...)
}

// List is location's /list; nil with an error when it does not answer 200.
func (s *Stack) List() ([]string, error) {
	var l struct {
		URIs []string `json:"uris"`
	}
	if err := GetJSON(s.LocationURL()+"/list", &l); err != nil {
		return nil, err
	}
	return l.URIs, nil
}

// StorageKeys are the keys storage-rest holds.
func (s *Stack) StorageKeys() ([]string, error) {
	var l struct {
		Keys []string `json:"keys"`
	}
	if err := GetJSON(s.StorageURL()+"/list", &l); err != nil {
		return nil, err
	}
	return l.Keys, nil
}

// Metric sums the samples of one family on the normalizer's /metrics whose
// labels include every name="value" in want (e.g. `outcome="error"`).
func (s *Stack) Metric(name string, want ...string) (float64, error) {
	return ScrapeMetric(s.MetricsURL()+"/metrics", name, want...)
}

// ScrapeMetric sums the samples of one family on a Prometheus text endpoint
// whose labels include every name="value" in want.
func ScrapeMetric(url, name string, want ...string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for _, w := range want {
			if !strings.Contains(line, w) {
				match = false
			}
		}
		if !match {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		total += v
	}
	return total, nil
}

// httpClient keeps connections alive across the many small requests tests
// and benchmarks make to the services and the registry.
var httpClient = &http.Client{
	Timeout:   time.Minute,
	Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128},
}

// GetJSON decodes the 200 answer of GET url into out; any other status is
// an error carrying the body.
func GetJSON(url string, out any) error {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: reading body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// GetBody is the body of GET url, whatever its status; the test fails
// when the request does.
func GetBody(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return string(b)
}

// Status is the HTTP status of GET url (0 when the request failed).
func Status(url string) int {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}
