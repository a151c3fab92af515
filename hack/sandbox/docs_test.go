package main

// Docs that work when pasted: every shell command of README.md and
// docs/*.md (see docs_extract_test.go for which blocks and lines count)
// is either run against a started sandbox (runRules) or listed as not
// runnable with a reason (notRunnableRules). A new command that neither
// list matches fails TestDocCommandsAreClassified, so it cannot ship
// untested by accident.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// rule matches a command's joined text (docCommand.Joined).
type rule struct {
	re     *regexp.Regexp
	reason string
}

func r(re, reason string) rule { return rule{regexp.MustCompile(re), reason} }

// notRunnableRules are the commands the sandbox cannot answer, each with
// why. Reviewed list: add a command here only when it truly cannot run
// against the sandbox. Checked before runRules.
var notRunnableRules = []rule{
	r(`^([A-Z_]+=\S+ )?make `, "a make target (tests, benchmarks, the sandbox itself): not a command against the sandbox; `make test` runs this test"),
	r(`^(SCALE_CONTAINER_LIMITS=\S+ )?go test `, "runs Go tests or benchmarks, not a command against the sandbox"),
	r(`^(CGO_ENABLED=0 |GOCACHE=(\$\([^)]*\)|\S+) )*(/usr/bin/time (-v )?)?(go (build|list) |make build)`, "measures a build (binary size, packages linked, cold build time) for docs/benchmarks.md, not a command against the sandbox"),
	r(`^oc (apply|delete) -k `, "needs a real OpenShift cluster (oc apply/delete -k of the deploy/ manifests)"),
	r(`^oc delete configmap `, "uninstall step: deletes the cache ConfigMaps (test/deploy checks the names and labels)"),
	r(`^cd deploy/`, "changes into deploy/ for the kustomize edit below"),
	r(`^kustomize edit `, "edits deploy/ (pins image digests), not a command against the sandbox"),
	r(`^helm `, "needs a Helm release of RHDH"),
	r(`^oc get pods\b`, "the sandbox has no pods (envtest runs no kubelet)"),
	r(`^oc get routes\b`, "the sandbox has no OpenShift Route API"),
	r(`^oc logs -c (install-dynamic-plugins|backstage-backend) `, "needs the RHDH pod's own containers (make e2e runs a real Backstage backend)"),
	r(`^oc rsh -c \S+ deployment/<deployment>$`, "opens an interactive shell in the RHDH pod"),
}

// runRules are the commands run against the sandbox.
var runRules = []rule{
	r(`^oc get (configmap|secret)\b`, "the stand-in oc reads the sandbox's API server"),
	r(`^for cm in .*oc get configmap `, "the stand-in oc reads the sandbox's API server"),
	r(`^oc logs -c (rhoai-normalizer|storage-rest|location) deployment/<deployment>`, "the stand-in oc prints the sandbox binary's log"),
	r(`^oc (exec|rsh) -c backstage-backend deployment/<deployment> (-- )?curl `, "the stand-in oc runs the command here: the pod's localhost is the sandbox's"),
	r(`^curl `, "the sandbox's HTTP servers"),
	r(`^TOKEN=\$\(oc get secret rhdh-rhoai-connector-token `, "the test creates the token Secret deploy/ would"),
	r(`^RHOAI_MODEL_(REGISTRY|CATALOG)_URL=https://<(registry|catalog) route host>$`, "rewritten to the sandbox's registry and catalog"),
}

// rewrites turn the documented addresses and names into the sandbox's.
// The ports are filled in once the sandbox runs.
func rewrites(i info, storagePort, locationPort, metricsPort int) []struct{ from, to string } {
	return []struct{ from, to string }{
		{"localhost:9090", fmt.Sprintf("localhost:%d", locationPort)}, // location
		{"localhost:7070", fmt.Sprintf("localhost:%d", storagePort)},  // storage-rest
		{"localhost:8081", fmt.Sprintf("localhost:%d", metricsPort)},  // normalizer metrics and probes
		{"https://<registry route host>", i.RegistryURL},
		{"https://<catalog route host>", i.RegistryURL},
		{"deployment/<deployment>", "deployment/developer-hub"},
		{"-n ai-rhdh", "-n " + podNamespace}, // the RHDH namespace of the install guide
	}
}

// check is what the output of the commands a pattern matches must show.
type check struct {
	re   *regexp.Regexp
	want *regexp.Regexp
	// showsError: the documentation says the command may answer an error.
	showsError bool
}

func chk(cmd, want string) check {
	return check{re: regexp.MustCompile(cmd), want: regexp.MustCompile(want)}
}

var recordHeader = `(?m)^=== [A-Za-z0-9._-]+ ===$`

// checks are the specific contents key commands must print; each must
// match at least one run command.
var checks = []check{
	chk(`^oc get configmap bac-import-model (-n \S+ )?-o json \| jq -r `, recordHeader+`(.|\n)*"models"`),
	chk(`^for cm in `, recordHeader),
	chk(`^oc get configmap -l `, `(?m)^bac-import-model\s`), // the primary is labelled too
	chk(`^oc get secret .*\| wc -c`, `(?m)^\s*[1-9][0-9]*\s*$`),
	chk(`^curl http://localhost:9090/list`, `"uris"\s*:\s*\[\s*"/`),
	chk(`^oc rsh .* curl -s http://localhost:9090/list`, `"uris"\s*:\s*\[\s*"/`),
	chk(`^curl http://localhost:9090/mnist/v1/model-catalog.json`, `"mnist`),
	chk(`^curl http://localhost:9090/models/mnist__v1`, `"mnist`),
	{re: regexp.MustCompile(`modelcard\?key=mnist__v1`), want: regexp.MustCompile(`HTTP/1.1 (200|404)`), showsError: true},
	chk(`^curl http://localhost:(9090|8081)/readyz`, `\{"status":"ok"\}`),
	chk(`^curl http://localhost:7070/list`, `"keys"\s*:\s*\[\s*"`),
	chk(`^curl .*registered_models \| jq`, `"items"`),
	chk(`^curl .*/sources \| jq`, `"items"`),
	chk(`^oc logs -c rhoai-normalizer .*\| grep `, `sync done`),
	chk(`^oc logs -c location .*\| grep `, `loaded records from storage-rest`),
	chk(`^oc logs -c rhoai-normalizer .*\| jq -cR`, `"reason":"`),
	chk(`^oc exec .*metrics \| grep`, `rhoai_connector_normalizer_skipped_objects\{reason="`),
}

// errorOutput is what no run command may print (unless showsError).
var errorOutput = regexp.MustCompile(`jq: error|parse error|\{"error"|command not found|syntax error|(?m)^error:|Error from server|No such file`)

// assignment is a command that only sets variables: it prints nothing, and
// the later commands of its block see what it set.
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=\S*$|^[A-Za-z_][A-Za-z0-9_]*=\$\(`)

type classified struct {
	docCommand
	run    bool
	reason string
}

func docCommands(t *testing.T) ([]classified, extractionStats) {
	t.Helper()
	testenv.RequireTool(t, "bash", "the documented commands are bash")
	root, err := testenv.RepoRoot()
	require.NoError(t, err)
	files, err := docFiles(root)
	require.NoError(t, err)
	var st extractionStats
	var out []classified
	var problems []string
	for _, f := range files {
		cmds, err := extractCommands(root, f, &st)
		require.NoError(t, err)
		for _, cmd := range cmds {
			if cmd.SyntaxError != "" {
				problems = append(problems, fmt.Sprintf("%s: `%s` does not parse when pasted: %s", cmd.where(), cmd.Joined, cmd.SyntaxError))
				continue
			}
			cl := classified{docCommand: cmd}
			matched := false
			for _, rl := range notRunnableRules {
				if rl.re.MatchString(cmd.Joined) {
					cl.reason, matched = rl.reason, true
					break
				}
			}
			if !matched {
				for _, rl := range runRules {
					if rl.re.MatchString(cmd.Joined) {
						cl.run, cl.reason, matched = true, rl.reason, true
						break
					}
				}
			}
			if !matched {
				problems = append(problems, fmt.Sprintf("%s: `%s` is neither run nor listed as not runnable: add a pattern to runRules (and a check) "+
					"or, with the reason, to notRunnableRules in hack/sandbox/docs_test.go", cmd.where(), cmd.Joined))
				continue
			}
			out = append(out, cl)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("documented commands:\n  %s", strings.Join(problems, "\n  "))
	}
	return out, st
}

// TestDocCommandsAreClassified needs no sandbox: every documented command
// parses and is either run or listed as not runnable.
func TestDocCommandsAreClassified(t *testing.T) {
	cmds, st := docCommands(t)
	run := 0
	for _, c := range cmds {
		if c.run {
			run++
		}
	}
	t.Logf("%d commands in %d shell and %d unlabeled command blocks (%d other blocks skipped): %d run against the sandbox, %d listed as not runnable",
		len(cmds), st.ShellBlocks, st.UnlabeledCommandBlocks, st.SkippedBlocks, run, len(cmds)-run)
	require.NotZero(t, run)
	for _, rl := range append(append([]rule{}, notRunnableRules...), runRules...) {
		used := false
		for _, c := range cmds {
			used = used || rl.re.MatchString(c.Joined)
		}
		if !used {
			t.Errorf("the rule %q matches no documented command any more: remove it", rl.re)
		}
	}
}

// buildStandin builds the oc stand-in into dir, as oc and kubectl.
func buildStandin(dir string) error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "oc"), "./internal/testing/fakeoc")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./internal/testing/fakeoc: %w\n%s", err, out)
	}
	return os.Symlink(filepath.Join(dir, "oc"), filepath.Join(dir, "kubectl"))
}

// TestDocCommandsRunAgainstTheSandbox runs every runnable documented
// command against a started sandbox.
func TestDocCommandsRunAgainstTheSandbox(t *testing.T) {
	cmds, _ := docCommands(t)
	testenv.RequireTool(t, "jq", "the documented commands pipe into jq")
	testenv.RequireTool(t, "curl", "the documented commands call the connector with curl")

	// Built each time (Go's build cache makes it a link): a folder shared
	// across -count runs would outlive the test process.
	standin, bin := t.TempDir(), t.TempDir()
	require.NoError(t, buildStandin(standin))
	require.NoError(t, testenv.BuildBinaries(bin, binStorage, binLocation, binNormalizer))

	sb := startSandbox(t, bin)
	ctx, i, opts := sb.ctx, sb.info, sb.opts

	env := sandboxForDocs(ctx, t, i, opts.LocationPort)

	subs := rewrites(i, opts.StoragePort, opts.LocationPort, opts.MetricsPort)
	env = append(os.Environ(), env...)
	env = append(env, "PATH="+standin+string(os.PathListSeparator)+os.Getenv("PATH"), "OC_STANDIN_LOGS="+filepath.Dir(i.Logs[binNormalizer]))
	root, err := testenv.RepoRoot()
	require.NoError(t, err)

	usedChecks := make([]bool, len(checks))
	prelude := map[string][]string{} // per file and block: its assignments
	ran := 0
	for _, cmd := range cmds {
		if !cmd.run {
			continue
		}
		text := cmd.Text
		for _, s := range subs {
			text = strings.ReplaceAll(text, s.from, s.to)
		}
		if ph := placeholderRe.FindString(text); ph != "" {
			t.Errorf("%s: `%s` still holds the placeholder %s after the sandbox rewrites: add a rewrite in hack/sandbox/docs_test.go", cmd.where(), cmd.Joined, ph)
			continue
		}
		blockKey := fmt.Sprintf("%s#%d", cmd.File, cmd.Block)
		script := "set -o pipefail\n" + strings.Join(prelude[blockKey], "\n") + "\n" + text + "\n"
		out, err := runDocCommand(ctx, root, env, script)
		ran++
		if err != nil {
			t.Errorf("%s: `%s` failed when run against the sandbox (%v):\n%s", cmd.where(), cmd.Joined, err, out)
			continue
		}
		if assignment.MatchString(strings.TrimSpace(text)) {
			prelude[blockKey] = append(prelude[blockKey], text)
			continue
		}
		showsError := false
		for j, ch := range checks {
			if !ch.re.MatchString(cmd.Joined) {
				continue
			}
			usedChecks[j] = true
			showsError = showsError || ch.showsError
			if !ch.want.MatchString(out) {
				t.Errorf("%s: `%s` should print something matching %q; it printed:\n%s", cmd.where(), cmd.Joined, ch.want, out)
			}
		}
		if dup := duplicateHeader(out); dup != "" {
			t.Errorf("%s: `%s` shows the record %s twice:\n%s", cmd.where(), cmd.Joined, dup, out)
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("%s: `%s` printed nothing", cmd.where(), cmd.Joined)
		} else if e := errorOutput.FindString(out); e != "" && !showsError {
			t.Errorf("%s: `%s` printed an error (%s):\n%s", cmd.where(), cmd.Joined, e, out)
		}
	}
	for j, used := range usedChecks {
		if !used {
			t.Errorf("the check for %q matches no run command any more: update or remove it", checks[j].re)
		}
	}
	t.Logf("ran %d documented commands against the sandbox", ran)
}

// duplicateHeader returns a record header (=== key ===) that out holds
// more than once: each record is shown once.
func duplicateHeader(out string) string {
	seen := map[string]bool{}
	for _, h := range regexp.MustCompile(recordHeader).FindAllString(out, -1) {
		if seen[h] {
			return h
		}
		seen[h] = true
	}
	return ""
}

// runDocCommand runs a script with bash in the repository root and returns
// its stdout and stderr together.
func runDocCommand(ctx context.Context, dir string, env []string, script string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// sandboxForDocs makes the sandbox look like the documented install where
// the documentation's examples need it, and returns the environment of
// the commands:
//   - a kubeconfig whose namespace is the connector's (oc in the RHDH
//     namespace, as the guides assume);
//   - the token Secret deploy/ creates;
//   - the model mnist, version v1, the troubleshooting guide's example.
func sandboxForDocs(ctx context.Context, t *testing.T, i info, locationPort int) []string {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(i.Kubeconfig)
	require.NoError(t, err)
	for _, c := range kc.Contexts {
		c.Namespace = podNamespace
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*kc, kubeconfig))

	cfg, err := clientcmd.BuildConfigFromFlags("", i.Kubeconfig)
	require.NoError(t, err)
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	_, err = cs.CoreV1().Secrets(podNamespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "rhdh-rhoai-connector-token"},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"token": []byte("sandbox-token")},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	base := i.RegistryURL + fakeregistry.RegistryBasePath
	var m struct {
		ID string `json:"id"`
	}
	require.NoError(t, postJSON(ctx, base+"/registered_models", `{"name": "mnist", "owner": "docs-team"}`, &m))
	require.NoError(t, postJSON(ctx, base+"/registered_models/"+m.ID+"/versions", fmt.Sprintf(`{"name": "v1", "registeredModelId": %q}`, m.ID), nil))
	loc := fmt.Sprintf("http://127.0.0.1:%d", locationPort)
	require.Eventually(t, func() bool {
		var l struct {
			URIs []string `json:"uris"`
		}
		if getJSON(ctx, loc+"/list", &l) != nil {
			return false
		}
		for _, u := range l.URIs {
			if u == "/mnist/v1/model-catalog.json" {
				return true
			}
		}
		return false
	}, time.Minute, 250*time.Millisecond, "mnist v1 was not published")
	return []string{"KUBECONFIG=" + kubeconfig}
}

func postJSON(ctx context.Context, url, body string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
