// Package modelcatalog holds the model-catalog document: the JSON that the
// RHDH model-catalog entity provider reads from the location service, one
// document per model version or KServe server. The schema is upstream's
// model-catalog.schema.json; field names and JSON tags must match it exactly.
package modelcatalog

// Document is one model-catalog document: an optional model server and the
// models it serves (or a single registered model with no server).
type Document struct {
	ModelServer *ModelServer `json:"modelServer,omitempty"`
	Models      []Model      `json:"models"`
}

// ModelServer is a deployed server exposing one or more models over an API.
type ModelServer struct {
	Name           string            `json:"name"`
	Owner          string            `json:"owner"`
	Lifecycle      string            `json:"lifecycle"`
	Description    string            `json:"description"`
	Tags           []string          `json:"tags,omitempty"`
	Authentication *bool             `json:"authentication,omitempty"`
	HomepageURL    string            `json:"homepageURL,omitempty"`
	Usage          string            `json:"usage,omitempty"`
	API            *API              `json:"API,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty"`
}

// API types accepted by the schema.
const (
	APITypeOpenAPI  = "openapi"
	APITypeAsyncAPI = "asyncapi"
	APITypeGraphQL  = "graphql"
	APITypeGRPC     = "grpc"
)

// ValidAPIType reports whether t is one of the API types the schema allows.
func ValidAPIType(t string) bool {
	switch t {
	case APITypeOpenAPI, APITypeAsyncAPI, APITypeGraphQL, APITypeGRPC:
		return true
	}
	return false
}

// API is the API a model server exposes.
type API struct {
	URL         string            `json:"url"`
	Type        string            `json:"type"`
	Spec        string            `json:"spec"`
	Tags        []string          `json:"tags,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Model is one AI model.
type Model struct {
	Name                string            `json:"name"`
	Owner               string            `json:"owner"`
	Lifecycle           string            `json:"lifecycle"`
	Description         string            `json:"description"`
	Tags                []string          `json:"tags,omitempty"`
	ArtifactLocationURL string            `json:"artifactLocationURL,omitempty"`
	HowToUseURL         string            `json:"howToUseURL,omitempty"`
	Ethics              string            `json:"ethics,omitempty"`
	Support             string            `json:"support,omitempty"`
	Training            string            `json:"training,omitempty"`
	Usage               string            `json:"usage,omitempty"`
	License             string            `json:"license,omitempty"`
	Annotations         map[string]string `json:"annotations,omitempty"`
}

// Well-known annotation keys.
const (
	// AnnotationModelName is the name clients send to the model server's API.
	AnnotationModelName = "rhdh.modelcatalog.io/model-name"
	// AnnotationExternalRouteURL and AnnotationInternalServiceURL are the
	// server URLs that software templates read.
	AnnotationExternalRouteURL   = "rhdh.modelcatalog.io/external-route-url"
	AnnotationInternalServiceURL = "rhdh.modelcatalog.io/internal-service-url"
	// AnnotationTechDocs is read by the 0.7.x entity provider and turned into
	// backstage.io/techdocs-ref: url:<value>.
	AnnotationTechDocs = "TechDocs"
	// AnnotationTechDocsLower is read by the 1.x entity provider; a value
	// starting with "/" is joined to the provider's base URL.
	AnnotationTechDocsLower = "techdocs"
)
