package fakeregistry

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// sourcesFile is the upstream catalog sources file.
type sourcesFile struct {
	Catalogs []struct {
		ID             string         `json:"id"`
		Name           string         `json:"name"`
		Type           string         `json:"type"`
		Enabled        *bool          `json:"enabled"`
		Labels         []string       `json:"labels"`
		IncludedModels []string       `json:"includedModels"`
		ExcludedModels []string       `json:"excludedModels"`
		Properties     map[string]any `json:"properties"`
	} `json:"catalogs"`
}

// modelsFile is the upstream YAML catalog of one source. Model artifacts in
// it are not served, so they are not decoded.
type modelsFile struct {
	Models []CatalogModel `json:"models"`
}

type loadedSource struct {
	source     CatalogSource
	models     []CatalogModel
	file       string // the sources file
	modelsFile string
}

// readCatalogDir reads and checks every sources file in dir and the models
// files they name.
func readCatalogDir(dir string) ([]loadedSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading catalog directory: %w", err)
	}
	var out []loadedSource
	seen := map[string]string{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		file := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading catalog file: %w", err)
		}
		if !bytes.HasPrefix(data, []byte("catalogs:")) && !bytes.Contains(data, []byte("\ncatalogs:")) {
			continue
		}
		var sf sourcesFile
		if err := yaml.Unmarshal(data, &sf); err != nil {
			return nil, fmt.Errorf("catalog sources file %s is not valid YAML: %w", file, err)
		}
		for _, c := range sf.Catalogs {
			if c.ID == "" || c.Name == "" {
				return nil, fmt.Errorf("catalog sources file %s: every catalog needs an id and a name", file)
			}
			if prev, ok := seen[c.ID]; ok {
				return nil, fmt.Errorf("catalog source id %q appears in %s and %s: ids must be unique", c.ID, prev, file)
			}
			seen[c.ID] = file
			l := loadedSource{file: file, source: CatalogSource{
				ID: c.ID, Name: c.Name, Enabled: c.Enabled, Labels: c.Labels,
				IncludedModels: c.IncludedModels, ExcludedModels: c.ExcludedModels,
			}}
			if err := checkSource(&l.source); err != nil {
				return nil, fmt.Errorf("catalog sources file %s: %w", file, err)
			}
			p, _ := c.Properties["yamlCatalogPath"].(string)
			if c.Type != "yaml" || p == "" {
				msg := fmt.Sprintf("source type %q is not served by this test server: only type yaml with properties.yamlCatalogPath", c.Type)
				l.source.Status, l.source.Error = "error", &msg
				out = append(out, l)
				continue
			}
			if l.modelsFile, err = findModelsFile(filepath.Dir(file), p); err != nil {
				return nil, fmt.Errorf("catalog source %q in %s: %w", c.ID, file, err)
			}
			if l.models, err = readModelsFile(l.modelsFile); err != nil {
				return nil, fmt.Errorf("catalog source %q: %w", c.ID, err)
			}
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no catalog sources in %s: expected a YAML file with a top-level \"catalogs:\" list", dir)
	}
	return out, nil
}

// findModelsFile resolves yamlCatalogPath p relative to dir; when that file
// does not exist, a single "<prefix>-<base of p>" file in dir is used.
func findModelsFile(dir, p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*-"+filepath.Base(p)))
	if len(matches) == 1 {
		return matches[0], nil
	}
	return "", fmt.Errorf("models file %s does not exist (nor a single *-%s beside it): fix properties.yamlCatalogPath", p, filepath.Base(p))
}

func readModelsFile(file string) ([]CatalogModel, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading models file: %w", err)
	}
	var mf modelsFile
	if err := yaml.Unmarshal(data, &mf); err != nil {
		return nil, fmt.Errorf("models file %s is not valid: %w", file, err)
	}
	names := map[string]bool{}
	for i := range mf.Models {
		m := &mf.Models[i]
		m.ID, m.SourceID = "", ""
		if err := checkCatalogModel(m); err != nil {
			return nil, fmt.Errorf("models file %s, model %d: %w", file, i+1, err)
		}
		if names[m.Name] {
			return nil, fmt.Errorf("models file %s: model %q appears twice", file, m.Name)
		}
		names[m.Name] = true
	}
	return mf.Models, nil
}
