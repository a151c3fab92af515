// Command fakeoc is a TEST STAND-IN for oc and kubectl, built by
// hack/sandbox/docs_test.go and put on PATH as both names, so the
// documented oc commands run against the sandbox. It is not a client to
// use: it answers only what the documentation's runnable commands need,
// and says so for anything else.
//
//	get <resource> [name] [-n ns] [-l selector] [-o json|yaml|name|jsonpath=...]
//	    against the API server of $KUBECONFIG (namespace from its context)
//	logs -c <container> <target>
//	    prints $OC_STANDIN_LOGS/<container>.log: the sandbox binary's log
//	exec -c <container> <target> -- <command...>
//	rsh -c <container> <target> <command...>
//	    run <command> here: the RHDH pod's localhost is the sandbox's
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

const name = "oc (test stand-in, internal/testing/fakeoc)"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

type flags struct {
	namespace, output, selector, container, kubeconfig string
	allNamespaces                                      bool
	args                                               []string // positional
	rest                                               []string // after --
}

func parse(args []string) (flags, error) {
	var f flags
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
				return v, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		switch {
		case a == "--":
			f.rest = args[i+1:]
			return f, nil
		case a == "-n" || strings.HasPrefix(a, "--namespace"):
			f.namespace, err = value()
		case a == "-o" || strings.HasPrefix(a, "--output"):
			f.output, err = value()
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			f.output = a[2:]
		case a == "-l" || strings.HasPrefix(a, "--selector"):
			f.selector, err = value()
		case a == "-c" || strings.HasPrefix(a, "--container"):
			f.container, err = value()
		case strings.HasPrefix(a, "--kubeconfig"):
			f.kubeconfig, err = value()
		case a == "-A" || a == "--all-namespaces":
			f.allNamespaces = true
		case strings.HasPrefix(a, "-"):
			return f, fmt.Errorf("%s does not support the flag %s: extend it if a documented command needs it", name, a)
		default:
			f.args = append(f.args, a)
			if len(f.args) >= 3 && f.args[0] == "rsh" {
				// oc rsh TARGET COMMAND...: the rest is the command.
				f.rest = args[i+1:]
				f.rest = append([]string{f.args[2]}, f.rest...)
				f.args = f.args[:2]
				return f, nil
			}
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

func run(args []string) error {
	f, err := parse(args)
	if err != nil {
		return err
	}
	if len(f.args) == 0 {
		return fmt.Errorf("%s: no command", name)
	}
	switch f.args[0] {
	case "get":
		return get(f)
	case "logs":
		return logs(f)
	case "exec", "rsh":
		if len(f.rest) == 0 {
			return fmt.Errorf("%s: %s without a command would open an interactive shell in the pod; not supported", name, f.args[0])
		}
		cmd := exec.Command(f.rest[0], f.rest[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				os.Exit(ee.ExitCode())
			}
			return err
		}
		return nil
	}
	return fmt.Errorf("%s does not support `%s`: extend it if a documented command needs it", name, f.args[0])
}

// logs prints the sandbox log of the binary the container runs.
func logs(f flags) error {
	dir := os.Getenv("OC_STANDIN_LOGS")
	if dir == "" || f.container == "" {
		return fmt.Errorf("%s: logs needs -c <container> and OC_STANDIN_LOGS", name)
	}
	b, err := os.ReadFile(filepath.Join(dir, f.container+".log"))
	if err != nil {
		return fmt.Errorf("%s: container %q is not in the sandbox: %w", name, f.container, err)
	}
	_, err = os.Stdout.Write(b)
	return err
}

func get(f flags) error {
	if len(f.args) < 2 || len(f.args) > 3 {
		return fmt.Errorf("%s: get <resource> [name]", name)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return err
	}
	ns := f.namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return err
		}
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	cached := memory.NewMemCacheClient(disc)
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(cached), cached, nil)
	gvr, err := mapper.ResourceFor(schema.GroupVersionResource{Resource: f.args[1]})
	if err != nil {
		return fmt.Errorf("the server doesn't have a resource type %q", f.args[1])
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ri := dyn.Resource(gvr).Namespace(ns)
	if f.allNamespaces {
		ri = dyn.Resource(gvr).Namespace("")
	}
	var items []unstructured.Unstructured
	single := len(f.args) == 3
	if single {
		o, err := ri.Get(ctx, f.args[2], metav1.GetOptions{})
		if err != nil {
			return fromServer(err)
		}
		items = []unstructured.Unstructured{*o}
	} else {
		l, err := ri.List(ctx, metav1.ListOptions{LabelSelector: f.selector})
		if err != nil {
			return fromServer(err)
		}
		items = l.Items
		if len(items) == 0 && (f.output == "" || f.output == "name") {
			fmt.Fprintf(os.Stderr, "No resources found in %s namespace.\n", ns)
			return nil
		}
	}
	var obj any
	if single {
		obj = items[0].Object
	} else {
		list := []any{}
		for _, it := range items {
			list = append(list, it.Object)
		}
		obj = map[string]any{"apiVersion": "v1", "kind": "List", "items": list, "metadata": map[string]any{"resourceVersion": ""}}
	}
	switch {
	case f.output == "json":
		b, err := json.MarshalIndent(obj, "", "    ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	case f.output == "yaml":
		b, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		fmt.Print(string(b))
	case f.output == "name":
		for _, it := range items {
			fmt.Printf("%s/%s\n", strings.ToLower(it.GetKind()), it.GetName())
		}
	case strings.HasPrefix(f.output, "jsonpath="):
		return printJSONPath(obj, strings.TrimPrefix(f.output, "jsonpath="))
	case f.output == "":
		fmt.Printf("%-40s %s\n", "NAME", "AGE")
		for _, it := range items {
			fmt.Printf("%-40s %s\n", it.GetName(), time.Since(it.GetCreationTimestamp().Time).Round(time.Second))
		}
	default:
		return fmt.Errorf("%s does not support -o %s: extend it if a documented command needs it", name, f.output)
	}
	return nil
}

var simplePath = regexp.MustCompile(`^\{((?:\.[A-Za-z0-9_-]+)+)\}$`)

// printJSONPath supports only {.a.b.c}, as kubectl prints it: strings
// bare, anything else as JSON.
func printJSONPath(obj any, tmpl string) error {
	m := simplePath.FindStringSubmatch(tmpl)
	if m == nil {
		return fmt.Errorf("%s supports only jsonpath={.field.field...}, not %s", name, tmpl)
	}
	v := obj
	for _, k := range strings.Split(m[1][1:], ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = mm[k]; !ok {
			return nil
		}
	}
	if s, ok := v.(string); ok {
		fmt.Print(s)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fmt.Print(string(b))
	return nil
}

// fromServer words an API error as oc does.
func fromServer(err error) error {
	return fmt.Errorf("Error from server: %w", err) //nolint:staticcheck // ST1005: oc's own wording, which the documented commands' output shows
}
