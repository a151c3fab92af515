package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"sigs.k8s.io/yaml"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

// Files of the sample data folder.
const (
	registryFile   = "registry.yaml"
	isvcFile       = "inferenceservices.yaml"
	catalogDirName = "catalog"
)

// registrySample is registry.yaml.
type registrySample struct {
	RegisteredModels []sampleModel `json:"registeredModels"`
}

type sampleModel struct {
	RegisteredModel openapi.RegisteredModel `json:"registeredModel"`
	Versions        []sampleVersion         `json:"versions"`
}

type sampleVersion struct {
	ModelVersion openapi.ModelVersion    `json:"modelVersion"`
	Artifacts    []openapi.ModelArtifact `json:"artifacts"`
	Deployments  []sampleDeployment      `json:"deployments"`
}

// sampleDeployment is a version deployed on KServe through the registry.
type sampleDeployment struct {
	// Name of the registry inference service and of the KServe
	// InferenceService.
	Name string `json:"name"`
	// Namespace of the InferenceService, and name of the registry serving
	// environment.
	Namespace string `json:"namespace"`
	// DesiredState is DEPLOYED (default) or UNDEPLOYED.
	DesiredState string `json:"desiredState"`
	Runtime      string `json:"runtime"`
}

// deployment is a sampleDeployment once the registry holds it.
type deployment struct {
	sampleDeployment
	registeredModelID, modelVersionID, inferenceServiceID string
	modelFormat, storageURI                               string
}

// sample is the whole sample data folder.
type sample struct {
	registry          registrySample
	catalogDir        string
	inferenceServices []*v1beta1.InferenceService
}

func loadSample(dir string) (*sample, error) {
	s := &sample{catalogDir: filepath.Join(dir, catalogDirName)}
	p := filepath.Join(dir, registryFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading the sample registry data: %w (run from the repository root, or pass --data)", err)
	}
	if err := yaml.UnmarshalStrict(b, &s.registry); err != nil {
		return nil, fmt.Errorf("sample registry data %s: %w", p, err)
	}
	if s.inferenceServices, err = loadInferenceServices(filepath.Join(dir, isvcFile)); err != nil {
		return nil, err
	}
	return s, nil
}

// loadInferenceServices reads a multi-document YAML file of
// InferenceServices. Decoding is strict, so a field the connector does not
// read (internal/kserve/v1beta1 has only those) is an error rather than
// silently not created.
func loadInferenceServices(p string) ([]*v1beta1.InferenceService, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading the sample InferenceServices: %w", err)
	}
	var out []*v1beta1.InferenceService
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if len(bytes.TrimSpace(stripComments([]byte(doc)))) == 0 {
			continue
		}
		is := &v1beta1.InferenceService{}
		if err := yaml.UnmarshalStrict([]byte(doc), is); err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", p, i+1, err)
		}
		if is.Name == "" || is.Namespace == "" {
			return nil, fmt.Errorf("%s, document %d: an InferenceService needs metadata.name and metadata.namespace", p, i+1)
		}
		out = append(out, is)
	}
	return out, nil
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(append(out, line...), '\n')
		}
	}
	return out
}

// seed loads the catalog and registry data into reg, and returns the
// deployments with the ids the registry gave them.
func (s *sample) seed(reg *fakeregistry.Server) ([]deployment, error) {
	if err := reg.LoadCatalogYAML(s.catalogDir); err != nil {
		return nil, fmt.Errorf("loading the sample catalog from %s: %w", s.catalogDir, err)
	}
	envs := map[string]string{} // namespace -> serving environment id
	var out []deployment
	for _, m := range s.registry.RegisteredModels {
		rm, err := reg.AddRegisteredModel(m.RegisteredModel)
		if err != nil {
			return nil, fmt.Errorf("sample registered model %q: %w", m.RegisteredModel.Name, err)
		}
		for _, v := range m.Versions {
			v.ModelVersion.RegisteredModelId = *rm.Id
			mv, err := reg.AddModelVersion(v.ModelVersion)
			if err != nil {
				return nil, fmt.Errorf("sample model version %q of %q: %w", v.ModelVersion.Name, rm.Name, err)
			}
			var format, uri string
			for _, a := range v.Artifacts {
				if _, err := reg.AddModelArtifact(*mv.Id, a); err != nil {
					return nil, fmt.Errorf("sample artifact of %s %s: %w", rm.Name, mv.Name, err)
				}
				if uri == "" {
					uri, format = a.GetUri(), a.GetModelFormatName()
				}
			}
			for _, d := range v.Deployments {
				dep, err := addDeployment(reg, envs, d, *rm.Id, *mv.Id)
				if err != nil {
					return nil, fmt.Errorf("sample deployment %s/%s of %s %s: %w", d.Namespace, d.Name, rm.Name, mv.Name, err)
				}
				dep.modelFormat, dep.storageURI = format, uri
				out = append(out, dep)
			}
		}
	}
	return out, nil
}

func addDeployment(reg *fakeregistry.Server, envs map[string]string, d sampleDeployment, modelID, versionID string) (deployment, error) {
	if d.Name == "" || d.Namespace == "" {
		return deployment{}, fmt.Errorf("a deployment needs a name and a namespace")
	}
	envID, ok := envs[d.Namespace]
	if !ok {
		env, err := reg.AddServingEnvironment(openapi.ServingEnvironment{Name: d.Namespace})
		if err != nil {
			return deployment{}, err
		}
		envID = *env.Id
		envs[d.Namespace] = envID
	}
	state := openapi.INFERENCESERVICESTATE_DEPLOYED
	if d.DesiredState != "" {
		st, err := openapi.NewInferenceServiceStateFromValue(d.DesiredState)
		if err != nil {
			return deployment{}, err
		}
		state = *st
	}
	is := openapi.InferenceService{
		Name:                 &d.Name,
		RegisteredModelId:    modelID,
		ModelVersionId:       &versionID,
		ServingEnvironmentId: envID,
		DesiredState:         &state,
	}
	if d.Runtime != "" {
		is.Runtime = &d.Runtime
	}
	created, err := reg.AddInferenceService(is)
	if err != nil {
		return deployment{}, err
	}
	return deployment{sampleDeployment: d, registeredModelID: modelID, modelVersionID: versionID, inferenceServiceID: *created.Id}, nil
}
