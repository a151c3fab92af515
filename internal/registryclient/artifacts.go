package registryclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/kubeflow/model-registry/pkg/openapi"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registryclient/httpjson"
)

const modelArtifactType = "model-artifact"

// artifactItem is one entry of a version's artifact list, which may hold
// any artifact type (the Artifact oneOf); only model artifacts are kept.
type artifactItem struct {
	id           string
	artifactType string
	model        *openapi.ModelArtifact
}

func (a *artifactItem) UnmarshalJSON(data []byte) error {
	var head struct {
		ID           string `json:"id"`
		ArtifactType string `json:"artifactType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	a.id, a.artifactType = head.ID, head.ArtifactType
	// The server was asked for model artifacts only; an item without a
	// type is taken as one, since the list cannot hold anything else.
	if head.ArtifactType != "" && head.ArtifactType != modelArtifactType {
		return nil
	}
	var m openapi.ModelArtifact
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("model artifact %s: %w", head.ID, err)
	}
	a.model = &m
	return nil
}

func (c *Client) versionArtifacts(ctx context.Context, versionID string, count func()) ([]openapi.ModelArtifact, error) {
	items, err := httpjson.ListAll(ctx, c.api, httpjson.List{
		Endpoint: EndpointVersionArtifacts,
		Path:     APIPath + "/model_versions/" + url.PathEscape(versionID) + "/artifacts",
		Query: url.Values{
			"artifactType": {modelArtifactType},
			"orderBy":      {"ID"},
			"sortOrder":    {"ASC"},
		},
		PageSize:  c.pageSize,
		OnRequest: count,
	}, func(a *artifactItem) string { return a.id })
	if err != nil {
		return nil, err
	}
	arts := make([]openapi.ModelArtifact, 0, len(items))
	for _, it := range items {
		if it.model != nil {
			arts = append(arts, *it.model)
		}
	}
	return arts, nil
}
