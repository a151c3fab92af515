// Package deploy checks the deployment files in deploy/: that every
// YAML file decodes into the objects it claims to be, that the
// kustomizations name exactly the files that exist, and (against a real
// kube-apiserver) that the RBAC objects grant the connector what it needs
// and nothing more.
//
// It reads kustomization.yaml itself rather than running kustomize: only
// the fields deploy/ uses (resources, namespace, images) are understood,
// and any other field is an error, so a kustomization that would need
// kustomize to be understood fails here first.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one YAML document of a file.
type Document struct {
	// Path is the file, Index the document's position in it (from 0).
	Path  string
	Index int
	// Raw is the document's YAML.
	Raw []byte
}

func (d Document) String() string { return fmt.Sprintf("%s (document %d)", d.Path, d.Index) }

// Object decodes the document as a Kubernetes object; it must name its
// apiVersion, kind and metadata.name.
func (d Document) Object() (*unstructured.Unstructured, error) {
	var m map[string]any
	if err := yaml.Unmarshal(d.Raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
		return nil, fmt.Errorf("%s: not a Kubernetes object (apiVersion, kind and metadata.name are required)", d)
	}
	return u, nil
}

// ReadDocuments splits a YAML file into its non-empty documents.
func ReadDocuments(path string) ([]Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []Document
	for i := 0; ; i++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: splitting YAML documents: %w", path, err)
		}
		var v any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s (document %d): %w", path, i, err)
		}
		if v == nil {
			continue // only comments
		}
		docs = append(docs, Document{Path: path, Index: i, Raw: raw})
	}
}

// Kustomization is the part of kustomize's file format deploy/ uses.
type Kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources,omitempty"`
	Images     []Image  `json:"images,omitempty"`
}

// Image is a kustomize images entry.
type Image struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// ReadKustomization reads dir/kustomization.yaml, refusing fields this
// package does not understand.
func ReadKustomization(dir string) (*Kustomization, error) {
	path := filepath.Join(dir, "kustomization.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k Kustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w (only apiVersion, kind, namespace, resources and images are supported here)", path, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		return nil, fmt.Errorf("%s: want apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization; got %q, %q", path, k.APIVersion, k.Kind)
	}
	return &k, nil
}

// Resource is one object a kustomization builds.
type Resource struct {
	Document
	// Namespace is what the kustomizations' `namespace` fields set (empty
	// when none does).
	Namespace string
}

// Resources lists the objects dir's kustomization builds, following
// resources that are directories (kustomizations) and files, in order. An
// outer kustomization's namespace wins over an inner one's, as with
// kustomize (the outer transformer runs last).
func Resources(dir string) ([]Resource, error) {
	return resources(dir, "", map[string]bool{})
}

func resources(dir, outerNS string, seen map[string]bool) ([]Resource, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if seen[abs] {
		return nil, fmt.Errorf("%s: kustomization cycle", dir)
	}
	seen[abs] = true
	k, err := ReadKustomization(dir)
	if err != nil {
		return nil, err
	}
	ns := outerNS
	if ns == "" {
		ns = k.Namespace
	}
	var out []Resource
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s/kustomization.yaml names resource %q: %w", dir, r, err)
		}
		if st.IsDir() {
			inner, err := resources(p, ns, seen)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		}
		docs, err := ReadDocuments(p)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			out = append(out, Resource{Document: d, Namespace: ns})
		}
	}
	return out, nil
}
