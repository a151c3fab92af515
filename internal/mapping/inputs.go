package mapping

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// Labels KServe InferenceServices deployed from a model registry carry; their
// values are ids in that registry.
const (
	LabelRegisteredModelID  = "modelregistry.opendatahub.io/registered-model-id"
	LabelModelVersionID     = "modelregistry.opendatahub.io/model-version-id"
	LabelInferenceServiceID = "modelregistry.opendatahub.io/inference-service-id"
	// LabelRegistryName names the registry the ids belong to, when set.
	LabelRegistryName = "modelregistry.opendatahub.io/name"
)

// AnnotationEnableAuth is the OpenShift AI switch for token authentication
// on an InferenceService ("true" turns it on).
const AnnotationEnableAuth = "security.opendatahub.io/enable-auth"

// Inputs is everything Build maps: one snapshot per model registry, every
// KServe InferenceService the watch sees, and the model cards of the model
// catalog.
type Inputs struct {
	Registries []RegistrySnapshot
	Servers    []Server
	// ModelCard returns the readme of the catalog model name ("group/name")
	// in catalog source sourceID; nil means no catalog.
	ModelCard func(sourceID, name string) (readme string, ok bool)
}

// RegistrySnapshot is what one model registry returned in one poll.
type RegistrySnapshot struct {
	// Name identifies the registry (its Route or Service name, or the host
	// of an explicit URL); the LabelRegistryName label of an
	// InferenceService names it by this or by the ModelRegistry's own name
	// (registryResourceName).
	Name string
	// Version changes whenever anything below does (the registry client
	// hashes the pages it read); "" when the source cannot tell. Build
	// does not read it: the pipeline uses it to skip a sync whose inputs
	// did not change.
	Version          string
	RegisteredModels []registrymodel.RegisteredModel
	ModelVersions    []registrymodel.ModelVersion
	// VersionArtifacts holds the artifacts of each model version, by model
	// version id (GET /model_versions/{id}/artifacts). They point into the
	// registry client's list, which several versions may share: read only.
	VersionArtifacts    map[string][]*registrymodel.ModelArtifact
	InferenceServices   []registrymodel.InferenceService
	ServingEnvironments []registrymodel.ServingEnvironment
	// Changes, when set, says what differs from the snapshot of the same
	// registry whose Version is Changes.Since, so that a sync can map only
	// the versions it names (Index.RebuildRegistry); nil when the source
	// cannot tell (a whole read), and everything is compared.
	Changes *RegistryChanges
}

// RegistryChanges is what changed in a registry between two snapshots.
// Every object that differs is named; naming one that did not is harmless.
type RegistryChanges struct {
	// Since is the Version of the earlier snapshot.
	Since string
	// RegisteredModels and ModelVersions are the ids of the objects added
	// or changed (nothing is ever removed between two snapshots that carry
	// Changes: only a whole read can tell that an object left).
	RegisteredModels, ModelVersions []string
	// Artifacts are the ids of the model versions whose VersionArtifacts
	// entry may differ: other artifacts, or an artifact of theirs changed.
	Artifacts []string
	// Others is true when the inference services or the serving
	// environments changed.
	Others bool
}

// Server is one KServe InferenceService and the facts the caller resolved
// about it from other objects.
type Server struct {
	InferenceService *v1beta1.InferenceService
	// RouteURL is the URL of the OpenShift Route exposing it, "" when the
	// server is not exposed outside the cluster.
	RouteURL string
	// ServiceURL is the in-cluster URL of its predictor Service; see
	// PredictorServiceURL. When empty, Build uses PredictorServiceURL with
	// port 80.
	ServiceURL string
	// AuthEnabled is true when token authentication is on: KServe created a
	// ServiceAccount owned by the InferenceService. The annotation
	// AnnotationEnableAuth="true" also turns it on.
	AuthEnabled bool
}

// CatalogModelRef names one model of the model catalog.
type CatalogModelRef struct {
	SourceID string
	// Name is "group/name", e.g. "ibm-granite/granite-3.1-8b-instruct".
	Name string
}

// CatalogRefOf names the catalog model a model artifact was registered
// from; ok is false for an artifact from elsewhere (another source kind,
// no source fields). It is the one rule for that name: the pipeline fetches
// the card under it and the mapping looks it up under it.
func CatalogRefOf(a *registrymodel.ModelArtifact) (ref CatalogModelRef, ok bool) {
	if k := strings.TrimSpace(a.ModelSourceKind); k != "" && k != "catalog" {
		return CatalogModelRef{}, false
	}
	source := strings.TrimSpace(a.ModelSourceClass)
	name := strings.TrimSpace(a.ModelSourceName)
	if source == "" || name == "" {
		return CatalogModelRef{}, false
	}
	// Registries fill the group apart or inside the name: either way the
	// catalog knows the model as "group/name".
	if g := strings.TrimSpace(a.ModelSourceGroup); g != "" && !strings.HasPrefix(name, g+"/") {
		name = g + "/" + name
	}
	return CatalogModelRef{SourceID: source, Name: name}, true
}

// CatalogCards is a model-card lookup backed by a map, for Inputs.ModelCard.
type CatalogCards map[CatalogModelRef]string

// Lookup returns the model card of a catalog model; an empty card counts as
// none.
func (c CatalogCards) Lookup(sourceID, name string) (string, bool) {
	readme, ok := c[CatalogModelRef{SourceID: sourceID, Name: name}]
	return readme, ok && strings.TrimSpace(readme) != ""
}

// PredictorServiceURL is the in-cluster URL of the predictor Service KServe
// creates for InferenceService name in namespace; port is the Service's
// target port, left out when it is 80 or not positive.
func PredictorServiceURL(name, namespace string, port int32) string {
	u := fmt.Sprintf("http://%s-predictor.%s.svc.cluster.local", name, namespace)
	if port > 0 && port != 80 {
		u = fmt.Sprintf("%s:%d", u, port)
	}
	return u
}

// Ready reports whether a KServe-only InferenceService may be published: its
// Ready, PredictorReady and IngressReady conditions are all True and it has
// a status.url.
func Ready(isvc *v1beta1.InferenceService) bool {
	if isvc == nil || isvc.Status.URL == nil || isvc.Status.URL.String() == "" {
		return false
	}
	for _, t := range []string{"Ready", string(v1beta1.PredictorReady), string(v1beta1.IngressReady)} {
		if !conditionTrue(isvc, t) {
			return false
		}
	}
	return true
}

func conditionTrue(isvc *v1beta1.InferenceService, t string) bool {
	for _, c := range isvc.Status.Conditions {
		if string(c.Type) == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
