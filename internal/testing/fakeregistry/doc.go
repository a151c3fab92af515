// Package fakeregistry is an in-memory implementation of the Kubeflow
// Model Registry REST API (/api/model_registry/v1alpha3) and of the Model
// Catalog REST API (/api/model_catalog/v1alpha1). The connector's tests,
// benchmarks and local sandbox run against it instead of a real RHOAI
// cluster. It is not a mock: it keeps real state, pages and orders like the
// upstream servers, and its conformance test validates every response it
// gives against the upstream OpenAPI specs of both versions the connector
// supports: v0.3.2, what OpenShift AI 2.25 ships (shared/specs), and v0.3.8,
// the newest release (shared/specs/v0.3.8). Newer catalogs report a model's
// license as a display name ("Apache 2.0" where v0.3.2 said "apache-2.0");
// the test data has both forms.
//
// Implemented subset.
//
// Model Registry: registered_models, model_versions, model_artifacts,
// serving_environments and inference_services, each with list (pageSize,
// nextPageToken, orderBy ID|CREATE_TIME|LAST_UPDATE_TIME|NAME, sortOrder,
// filterQuery), get by id, create (POST) and update (PATCH); the nested lists
// and creates registered_models/{id}/versions,
// model_versions/{id}/artifacts (upsert) and
// serving_environments/{id}/inference_services; the find endpoints
// (registered_model, model_version, model_artifact, serving_environment,
// inference_service by name, externalId, parentResourceId);
// inference_services/{id}/model and /version; read-only artifacts and
// artifacts/{id} (model artifacts only). Not implemented: experiments,
// experiment runs, metrics, serves and the other artifact types.
//
// Model Catalog: GET /sources, GET /sources/{source_id}/models/{model_name+}
// (the model name may contain "/", raw or escaped as %2F) and GET /models
// (source, q, filterQuery, paging). Catalog data comes from the upstream
// YAML format (a sources file with a top-level "catalogs:" list plus one
// models file per source) or from the Go API. Not implemented: labels,
// filter_options, preview, catalog artifacts and MCP servers.
//
// filterQuery supports comparisons (=, !=, <>, <, <=, >, >=, LIKE, ILIKE,
// IN), AND, OR and parentheses over standard fields and custom properties
// (name, name.string_value, `quoted.name`).
//
// Besides HTTP, the Server has a Go API to seed and change data (Add*,
// Update*, LoadCatalogYAML, Generate), fault injection (InjectFault), bearer
// token checking (Options.Token) and per-route request counters.
//
// Deliberate choices where the spec is silent: IDs are decimal strings from
// one sequence shared by all registry entity types (so an id used with the
// wrong type is a 404, as with the upstream server); lastUpdateTimeSinceEpoch
// strictly increases on every update of an entity so change detection never
// misses one; nextPageToken encodes the last returned sort key and id, so
// paging stays gap- and duplicate-free while entities are added.
package fakeregistry
