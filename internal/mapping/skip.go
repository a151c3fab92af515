package mapping

import (
	"fmt"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kserve/v1beta1"
)

// Reason says why an object is not published. The values are stable: they
// are the `reason` field of the normalizer's "object not published" log line
// and the `reason` label of rhoai_connector_normalizer_skipped_objects, and
// docs/troubleshooting.md ("My model is missing") lists them with what to do.
type Reason string

// The reasons an object is not published. Reasons lists them with a
// sentence each.
const (
	// ReasonArchived: the registered model or the model version is archived
	// in the model registry.
	ReasonArchived Reason = "archived"
	// ReasonOrphanVersion: the model version's registered model is not
	// listed by the registry.
	ReasonOrphanVersion Reason = "orphan-version"
	// ReasonNotReady: a KServe-only InferenceService whose Ready,
	// PredictorReady or IngressReady condition is not True, or that has no
	// status.url.
	ReasonNotReady Reason = "not-ready"
	// ReasonUnlinkedRegistryLabels: an InferenceService with model registry
	// labels that no inference service of a registry read matches.
	ReasonUnlinkedRegistryLabels Reason = "unlinked-registry-labels"
	// ReasonUndeployed: an InferenceService whose registry inference
	// service is in desiredState UNDEPLOYED.
	ReasonUndeployed Reason = "undeployed"
	// ReasonNoModelVersion: an InferenceService whose registry inference
	// service names no model version while its registered model has none.
	ReasonNoModelVersion Reason = "no-model-version"
	// ReasonDuplicateDeployment: an InferenceService deploying a model
	// version that another InferenceService (the first by namespace/name)
	// already serves.
	ReasonDuplicateDeployment Reason = "duplicate-deployment"
	// ReasonInvalidName: no valid Backstage name or record key can be made
	// of the object's names.
	ReasonInvalidName Reason = "invalid-name"
	// ReasonInvalidDocument: the document built for the object fails
	// validation or encoding (a bug of the connector: please report it).
	ReasonInvalidDocument Reason = "invalid-document"
	// ReasonRegistryUnreachable: a model registry cannot be read and no
	// answer of it was ever read, so none of its models is published. The
	// pipeline reports it (Build never sees the registry), counting
	// registries, not models.
	ReasonRegistryUnreachable Reason = "registry-unreachable"
)

// Reasons lists every Reason in a fixed order with what it means.
var Reasons = []struct {
	Reason  Reason
	Meaning string
}{
	{ReasonArchived, "the registered model or model version is archived in the model registry"},
	{ReasonOrphanVersion, "the model version's registered model is not listed by the model registry"},
	{ReasonNotReady, "a KServe-only InferenceService is not Ready (Ready, PredictorReady or IngressReady not True) or has no status.url"},
	{ReasonUnlinkedRegistryLabels, "an InferenceService carries model registry labels but no inference service of a registry read matches it"},
	{ReasonUndeployed, "the model registry's inference service for this InferenceService is UNDEPLOYED"},
	{ReasonNoModelVersion, "the model registry's inference service names no model version and its registered model has none"},
	{ReasonDuplicateDeployment, "the InferenceService deploys a model version whose model server is another InferenceService (the first by namespace/name)"},
	{ReasonInvalidName, "no valid Backstage entity name or record key can be made of the object's names"},
	{ReasonInvalidDocument, "the document built for the object fails validation or encoding (a connector bug: report it)"},
	{ReasonRegistryUnreachable, "the model registry cannot be read and was never read since the normalizer started, so none of its models is published (counted per registry)"},
}

// Invalid reports whether the object was skipped because Backstage would
// reject what could be made of it (as opposed to a state of the sources,
// such as archived or not Ready).
func (r Reason) Invalid() bool {
	return r == ReasonInvalidName || r == ReasonInvalidDocument
}

// skip reports that object is not published, and why.
func (b *builder) skip(object, field string, reason Reason, message string) {
	b.problems = append(b.problems, Problem{Object: object, Field: field, Message: message, Rejected: true, Reason: reason})
}

// notReadyCause says why Ready(isvc) is false: each of the Ready,
// PredictorReady and IngressReady conditions that is not True, and a
// missing status.url.
func notReadyCause(isvc *v1beta1.InferenceService) string {
	var causes []string
	for _, t := range []string{"Ready", string(v1beta1.PredictorReady), string(v1beta1.IngressReady)} {
		if conditionTrue(isvc, t) {
			continue
		}
		found := false
		for _, c := range isvc.Status.Conditions {
			if string(c.Type) != t {
				continue
			}
			found = true
			// The condition's reason, not its message: messages change
			// while the problem lasts, and the line is logged once.
			s := fmt.Sprintf("condition %s is %s", t, c.Status)
			if c.Reason != "" {
				s += " (reason " + c.Reason + ")"
			}
			causes = append(causes, s)
			break
		}
		if !found {
			causes = append(causes, fmt.Sprintf("condition %s is missing", t))
		}
	}
	if isvc.Status.URL == nil || isvc.Status.URL.String() == "" {
		causes = append(causes, "status.url is not set")
	}
	if len(causes) == 0 {
		return "it is not Ready"
	}
	return strings.Join(causes, ", ")
}
