package registryclient

import (
	"encoding/json"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

const modelArtifactType = registrymodel.ModelArtifactType

// artifactItem is one entry of a version's artifact list, which may hold
// any artifact type (the Artifact oneOf). Only the id and type are read:
// the list says which artifacts the version holds, while their contents
// come from the top-level model_artifacts list.
type artifactItem struct {
	id      string
	isModel bool
}

func (a *artifactItem) UnmarshalJSON(data []byte) error {
	var head struct {
		ID           string `json:"id"`
		ArtifactType string `json:"artifactType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	// The server was asked for model artifacts only; an item without a
	// type is taken as one, since the list cannot hold anything else.
	a.id = head.ID
	a.isModel = head.ArtifactType == "" || head.ArtifactType == modelArtifactType
	return nil
}
