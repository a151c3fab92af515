package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// catalog is what the fake storage-rest holds: the records and how many
// entities the 1.x provider makes of them (one AiModelServerAPI per
// document whose model server has an API URL).
type catalog struct {
	records  map[string]record.Record
	entities int
	bytes    int // the documents' bodies
}

// generateCatalog makes n records shaped like the normalizer's output for
// a registry model version (internal/mapping/doc.go): three in four are
// served by a KServe InferenceService (a modelServer with its API, the
// Kubernetes plugin's annotations and a minimal OpenAPI spec), the rest
// are registered only; one in three has a model card of 2 KiB. Bodies are 1.5 to 2.5 KiB, as in the ConfigMaps
// of test/scale (1.6 MiB stored per 1,000 models).
func generateCatalog(n int) (catalog, error) {
	c := catalog{records: make(map[string]record.Record, n)}
	card := "# Granite\n\n" + strings.Repeat("Intended use, limitations, training data and evaluation results of the model. ", 25)
	for i := range n {
		model := fmt.Sprintf("granite-%05d", i/3)
		version := fmt.Sprintf("v%d", i%3+1)
		key, err := record.KeyFromSegments(model, version)
		if err != nil {
			return c, fmt.Errorf("record %d: %w", i, err)
		}
		doc := document(i, model, version, key)
		if doc.ModelServer != nil {
			c.entities++
		}
		body, err := json.Marshal(doc)
		if err != nil {
			return c, fmt.Errorf("encoding record %s: %w", key, err)
		}
		c.bytes += len(body)
		rec := record.Record{
			Body:                     body,
			LastUpdateTimeSinceEpoch: record.Epoch(1_700_000_000_000 + int64(i)),
			ReconcilerType:           record.TypeKubeflow,
		}
		if i%3 == 0 { // registered from the catalog: it has a model card
			rec.ModelCard = card
		}
		c.records[key] = rec
	}
	return c, nil
}

func document(i int, model, version, key string) modelcatalog.Document {
	name := model + "-" + version
	dashboard := "https://rhods-dashboard-redhat-ods-applications.apps.cluster.example.com/modelRegistry/registry/registeredModels/" +
		fmt.Sprint(i/3+1) + "/versions/" + fmt.Sprint(i+1)
	m := modelcatalog.Model{
		Name:      name,
		Owner:     "ai-platform-team",
		Lifecycle: "production",
		Description: "Version " + version + " of model " + model + " from model registry registry: " +
			strings.Repeat("a decoder-only language model tuned for enterprise question answering and summarisation. ", 3),
		Tags:                []string{"granite", "llm", "text-generation", "vllm"},
		ArtifactLocationURL: "s3://models/ibm-granite/" + name + "/",
		HowToUseURL:         "https://docs.example.com/models/" + model + "/usage",
		License:             "https://www.apache.org/licenses/LICENSE-2.0",
		Annotations: map[string]string{
			modelcatalog.AnnotationModelName:     name,
			"rhdh.modelcatalog.io/license":       "apache-2.0",
			"rhdh.modelcatalog.io/dashboard-url": dashboard,
			"TechDocs":                           "http://localhost:9090/modelcard?key=" + key,
			"techdocs":                           "/modelcard?key=" + key,
		},
	}
	doc := modelcatalog.Document{Models: []modelcatalog.Model{m}}
	if i%4 == 3 {
		return doc // registered, not served
	}
	ns := fmt.Sprintf("team-%02d", i%17)
	isvc := name
	external := "https://" + isvc + "-" + ns + ".apps.cluster.example.com"
	auth := i%2 == 0
	doc.ModelServer = &modelcatalog.ModelServer{
		Name:           isvc,
		Owner:          "ai-platform-team",
		Lifecycle:      "production",
		Description:    "Model server " + ns + "/" + isvc + " (KServe InferenceService) serving version " + version + " of model " + model + ".",
		Tags:           []string{"vllm", "kserve", "rawdeployment"},
		Authentication: &auth,
		HomepageURL:    dashboard,
		API: &modelcatalog.API{
			URL:  external + "/v1",
			Type: modelcatalog.APITypeOpenAPI,
			Spec: `{"openapi":"3.0.0","info":{"title":"` + isvc + `","version":"1.0.0"},"servers":[{"url":"` + external +
				`/v1"}],"paths":{"/chat/completions":{"post":{"summary":"Chat completion"}},"/completions":{"post":{"summary":"Completion"}},"/models":{"get":{"summary":"List models"}}}}`,
		},
		Annotations: map[string]string{
			modelcatalog.AnnotationExternalRouteURL:   external,
			modelcatalog.AnnotationInternalServiceURL: "http://" + isvc + "-predictor." + ns + ".svc.cluster.local:8080",
			"backstage.io/kubernetes-label-selector":  "serving.kserve.io/inferenceservice=" + isvc,
			"backstage.io/kubernetes-namespace":       ns,
			"rhdh.modelcatalog.io/dashboard-url":      dashboard,
		},
	}
	return doc
}

// fakeStorage is storage-rest as location sees it: GET /records with
// every record in one answer.
func fakeStorage(t testing.TB, c catalog) string {
	t.Helper()
	payload, err := json.Marshal(record.RecordSet{Records: c.records})
	if err != nil {
		t.Fatalf("encoding the records: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/records" {
			http.Error(w, "the fake storage-rest answers GET /records only", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
