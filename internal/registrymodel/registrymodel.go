// Package registrymodel holds the objects of a Kubeflow Model Registry as
// the connector reads them (the v1alpha3 REST API, shared/specs): only the
// fields it maps, as plain strings ("" when the registry left one out),
// and custom properties as one list sorted by key. They decode straight
// from the registry's JSON.
//
// The generated API client's types keep every field behind a pointer and
// every custom property in a map of one-of structs, decoded twice; held for
// a whole registry between polls, that was most of the normalizer's memory
// (see docs/benchmarks.md). Fields the connector does not read (readmes,
// external ids, storage paths, ...) are not kept at all.
package registrymodel

import (
	"strconv"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// States the connector tells apart; any other value is kept as sent.
const (
	// StateArchived is a registered model or model version the registry
	// keeps but no longer offers: it is not published.
	StateArchived = "ARCHIVED"
	// StateLive is the state of what the registry offers.
	StateLive = "LIVE"
	// ArtifactDeleted and ArtifactMarkedForDeletion are artifacts on their
	// way out, whose uri no longer locates a model.
	ArtifactDeleted           = "DELETED"
	ArtifactMarkedForDeletion = "MARKED_FOR_DELETION"
	// Deployed and Undeployed are the desired states of a registry
	// inference service; none means deployed.
	Deployed   = "DEPLOYED"
	Undeployed = "UNDEPLOYED"
	// ModelArtifactType is the artifactType of a model artifact.
	ModelArtifactType = "model-artifact"
)

// RegisteredModel is a model of the registry: the versions hang off it.
type RegisteredModel struct {
	ID          string     `json:"id,omitempty"`
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Owner       string     `json:"owner,omitempty"`
	State       string     `json:"state,omitempty"`
	License     string     `json:"license,omitempty"`
	LicenseLink string     `json:"licenseLink,omitempty"`
	Properties  Properties `json:"customProperties,omitempty"`
	// LastUpdateTimeSinceEpoch moves on every change the registry makes to
	// the object: a poll asks only for what moved since the last one.
	LastUpdateTimeSinceEpoch Epoch `json:"lastUpdateTimeSinceEpoch,omitempty"`
}

// ModelVersion is one version of a registered model: what the connector
// publishes as a record.
type ModelVersion struct {
	ID                string `json:"id,omitempty"`
	Name              string `json:"name"`
	RegisteredModelID string `json:"registeredModelId"`
	Description       string `json:"description,omitempty"`
	State             string `json:"state,omitempty"`
	// CreateTimeSinceEpoch (milliseconds, as digits) orders the versions
	// of a model: the latest is the one an inference service without a
	// model version serves.
	CreateTimeSinceEpoch     string     `json:"createTimeSinceEpoch,omitempty"`
	Properties               Properties `json:"customProperties,omitempty"`
	LastUpdateTimeSinceEpoch Epoch      `json:"lastUpdateTimeSinceEpoch,omitempty"`
}

// ModelArtifact is where a version's model is stored, and which catalog
// model it was registered from (the modelSource fields).
type ModelArtifact struct {
	ID           string `json:"id,omitempty"`
	ArtifactType string `json:"artifactType,omitempty"`
	State        string `json:"state,omitempty"`
	URI          string `json:"uri,omitempty"`
	// LastUpdateTimeSinceEpoch moves on every change, including when the
	// artifact is attached to another version, which the top-level list
	// does not otherwise show.
	LastUpdateTimeSinceEpoch Epoch  `json:"lastUpdateTimeSinceEpoch,omitempty"`
	ModelSourceKind          string `json:"modelSourceKind,omitempty"`
	ModelSourceClass         string `json:"modelSourceClass,omitempty"`
	ModelSourceGroup         string `json:"modelSourceGroup,omitempty"`
	ModelSourceName          string `json:"modelSourceName,omitempty"`
}

// InferenceService is the registry's record of a deployment: which version
// it serves, in which serving environment (a namespace), under which name.
type InferenceService struct {
	ID                       string `json:"id,omitempty"`
	Name                     string `json:"name,omitempty"`
	RegisteredModelID        string `json:"registeredModelId"`
	ModelVersionID           string `json:"modelVersionId,omitempty"`
	ServingEnvironmentID     string `json:"servingEnvironmentId"`
	DesiredState             string `json:"desiredState,omitempty"`
	LastUpdateTimeSinceEpoch Epoch  `json:"lastUpdateTimeSinceEpoch,omitempty"`
}

// ServingEnvironment is a namespace the registry deploys to.
type ServingEnvironment struct {
	ID                       string `json:"id,omitempty"`
	Name                     string `json:"name"`
	LastUpdateTimeSinceEpoch Epoch  `json:"lastUpdateTimeSinceEpoch,omitempty"`
}

// Epoch is a registry timestamp, milliseconds since the Unix epoch, read
// as record.Epoch reads a record's: from the API's string of digits
// ("1707765353963") or a bare number; 0 when the registry left it out.
type Epoch = record.Epoch

// LessID orders registry ids: numerically when both are numbers (the
// registry's own ids are), as text otherwise. The registry lists in this
// order when asked for orderBy=ID.
func LessID(a, b string) bool {
	if len(a) != len(b) {
		_, errA := strconv.ParseUint(a, 10, 64)
		_, errB := strconv.ParseUint(b, 10, 64)
		if errA == nil && errB == nil {
			return len(a) < len(b)
		}
	}
	return a < b
}
