package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// providerPackage is the published 1.x entity provider the e2e installs.
const providerPackage = "@red-hat-developer-hub/backstage-plugin-catalog-backend-module-model-catalog"

// providerScript is the Node driver and the folder whose node_modules it
// resolves its packages from, relative to the repository root.
const (
	providerScript = "test/e2e/backstage/bench/provider-runs.js"
	backstageApp   = "test/e2e/backstage"
)

// runsResult is what provider-runs.js prints.
type runsResult struct {
	Runs          int       `json:"runs"`
	FailedRuns    int       `json:"failedRuns"`
	Listed        []int     `json:"listed"`
	Entities      []int     `json:"entities"`
	Seconds       []float64 `json:"seconds"`
	Fetches       int       `json:"fetches"`
	FailedFetches int       `json:"failedFetches"`
	Errors        []string  `json:"errors"`
	FetchErrors   []string  `json:"fetchErrors"`
	NodeMaxRSSMiB float64   `json:"nodeMaxRssMiB"`
	// MaxConnections is the cap node's fetch ran with (0: none), and
	// PeakConnections the most sockets it had open at once under the cap
	// (0 without one: Node's own dispatcher does not say).
	MaxConnections  int `json:"maxConnections"`
	PeakConnections int `json:"peakConnections"`
}

// nodeRunner runs provider-runs.js with the repository's node_modules.
type nodeRunner struct {
	node, script string
}

// requireNode finds node 20+ and the e2e's installed provider package; it
// skips (fails under CI=true) when either is missing, saying how to get it.
func requireNode(t testing.TB) nodeRunner {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	missing := func(what string) {
		msg := what + ": run `make bench-provider` (it runs test/e2e/npm-ci.sh), or install Node.js 20+ and run test/e2e/npm-ci.sh"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		missing(fmt.Sprintf("node --version failed (%v)", err))
	}
	if m := regexp.MustCompile(`^v(\d+)\.`).FindSubmatch(out); m == nil {
		missing(fmt.Sprintf("node --version printed %q", out))
	} else if major, _ := strconv.Atoi(string(m[1])); major < 20 {
		missing(fmt.Sprintf("node %s is too old", bytes.TrimSpace(out)))
	}
	pkg := filepath.Join(root, backstageApp, "node_modules", providerPackage, "package.json")
	if _, err := os.Stat(pkg); err != nil {
		missing("the published entity provider is not installed in " + backstageApp + "/node_modules")
	}
	return nodeRunner{node: node, script: filepath.Join(root, providerScript)}
}

// run runs the provider runs against baseURL, with node's fetch opening at
// most maxConns sockets (0: the plugin's default, no cap), and decodes what
// they report.
func (n nodeRunner) run(ctx context.Context, baseURL string, runs, maxConns int) (runsResult, error) {
	var res runsResult
	cmd := exec.CommandContext(ctx, n.node, n.script, "--base-url", baseURL, "--runs", strconv.Itoa(runs),
		"--max-connections", strconv.Itoa(maxConns))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("node %s: %w\n%s", providerScript, err, stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, fmt.Errorf("decoding what %s printed (%q): %w", providerScript, stdout.Bytes(), err)
	}
	if res.MaxConnections != maxConns {
		return res, fmt.Errorf("%s ran with a cap of %d connections, asked for %d", providerScript, res.MaxConnections, maxConns)
	}
	if maxConns > 0 && (res.PeakConnections == 0 || res.PeakConnections > maxConns) {
		return res, fmt.Errorf("%s had %d connections open at most under a cap of %d: the cap did not reach the plugin's fetch", providerScript, res.PeakConnections, maxConns)
	}
	return res, nil
}
