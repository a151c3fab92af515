package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

// configMapJQ is the inspection filter of the product documentation
// (CONTRACT section 4), verbatim.
const configMapJQ = `'.binaryData | to_entries[] |
  "=== \(.key) ===\n" + (.value | @base64d | fromjson | .body | @base64d | fromjson | tostring)'`

// waitForList polls location's /list until it names a document, a binary
// exits, ctx ends or timeout passes.
func waitForList(ctx context.Context, locationURL string, children []*child, timeout time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		var l struct {
			URIs []string `json:"uris"`
		}
		if err := getJSON(ctx, locationURL+"/list", &l); err == nil && len(l.URIs) > 0 {
			sort.Strings(l.URIs)
			return l.URIs, nil
		}
		for _, c := range children {
			if c.exited() {
				return nil, c.exitError()
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				var logs []string
				for _, c := range children {
					logs = append(logs, c.logPath)
				}
				return nil, fmt.Errorf("location's %s/list named no document within %s: the normalizer did not publish the sample models; "+
					"look for errors in the logs %s (rerun with --verbose to see them live)", locationURL, timeout, strings.Join(logs, ", "))
			}
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// firstModelCard returns the TechDocs URL of the first listed document
// that has one, or "". Documents of one sync arrive together, but not
// necessarily in the same /list as the first one, so it retries briefly.
func firstModelCard(ctx context.Context, locationURL string, uris []string) string {
	for attempt := 0; attempt < 20; attempt++ {
		for _, u := range uris {
			var doc modelcatalog.Document
			if err := getJSON(ctx, locationURL+u, &doc); err != nil {
				continue
			}
			for _, m := range doc.Models {
				if td := m.Annotations["TechDocs"]; td != "" {
					return td
				}
			}
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(500 * time.Millisecond):
		}
		var l struct {
			URIs []string `json:"uris"`
		}
		if err := getJSON(ctx, locationURL+"/list", &l); err == nil {
			uris = l.URIs
		}
	}
	return ""
}

func getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// printHints tells the developer what to try.
func printHints(out io.Writer, i info, namespace, modelCard string) {
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(out, format+"\n", args...) }
	p("")
	p("The connector is running (location %s, storage-rest %s, registry and catalog %s).", i.LocationURL, i.StorageURL, i.RegistryURL)
	p("")
	p("What RHDH reads:")
	p("  curl -s %s/list", i.LocationURL)
	if len(i.URIs) > 0 {
		p("  curl -s %s%s", i.LocationURL, i.URIs[0])
	}
	if modelCard != "" {
		p("  curl -s '%s'", modelCard)
	}
	p("")
	p("The ConfigMap cache, with the documented jq filter:")
	p("  kubectl --kubeconfig %s -n %s get configmap bac-import-model -o json | jq -r %s", i.Kubeconfig, namespace, configMapJQ)
	p("")
	p("Add a model to the registry (published at the next poll; a registered model needs a version):")
	base := i.RegistryURL + fakeregistry.RegistryBasePath
	p(`  id=$(curl -s -X POST %s/registered_models -H 'Content-Type: application/json' \`, base)
	p(`      -d '{"name": "my-model", "owner": "my-team"}' | jq -r .id)`)
	p(`  curl -s -X POST %s/registered_models/$id/versions -H 'Content-Type: application/json' \`, base)
	p(`      -d "{\"name\": \"v1\", \"registeredModelId\": \"$id\"}"`)
	p("")
	p("Other InferenceServices: kubectl --kubeconfig %s get inferenceservices -A", i.Kubeconfig)
	p("Logs (JSON):")
	for _, name := range []string{binStorage, binLocation, binNormalizer} {
		p("  %-17s %s", name, i.Logs[name])
	}
	p("")
	p("Press Ctrl-C to stop.")
}
