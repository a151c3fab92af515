// Package mapping maps what the sources report (Kubeflow Model Registry
// objects, Model Catalog model cards, KServe InferenceServices and the facts
// resolved about their Routes, Services and ServiceAccounts) to the records
// the connector publishes. It does no I/O: Build is a pure, deterministic
// function of its Inputs and Options.
//
// # Records
//
//   - One record per live registered-model version of every registry (an
//     archived registered model or version is not published). Key
//     <model>__<version> (sanitized entity names), URI
//     /<model>/<version>/model-catalog.json, type kubeflow. A name with
//     nothing valid in it falls back to model-<id> / version-<id>.
//   - The version's model server is the KServe InferenceService of a
//     registry inference service in state DEPLOYED (an unset desiredState
//     is DEPLOYED, the spec's default; an unset modelVersionId means the
//     registered model's latest version by creation time). They are linked
//     when the InferenceService's label
//     modelregistry.opendatahub.io/inference-service-id is the inference
//     service's id (registered-model-id and model-version-id labels, when
//     set, must agree), or, without that label, when its registered-model-id
//     and model-version-id labels name the version in the serving
//     environment's namespace, or when it is in the namespace named by the
//     inference service's serving environment and has the inference
//     service's name. A modelregistry.opendatahub.io/name label, when set,
//     must name the registry: the ModelRegistry's name (what the dashboard
//     writes), or the name discovery gave it (its Route <name>-https, its
//     Service, or the host of MODEL_REGISTRY_URL). When several InferenceServices deploy one
//     version, the first by namespace/name is the model server and the
//     others are reported. An UNDEPLOYED or vanished (absent or being
//     deleted) server leaves the model published without modelServer.
//   - Every other InferenceService that is Ready (conditions Ready,
//     PredictorReady and IngressReady True) and has status.url is published
//     on its own: key kserve__<namespace>__<name>, type kserve. One that
//     carries model registry labels is only published this way when no
//     registry is read, or when its modelregistry.opendatahub.io/name label
//     names a registry that is not read; otherwise it is reported.
//
// # Model registry mapping
//
// Custom properties are read from the model version first, then from the
// registered model. Keys match whatever their case, spaces, '-' and '_'
// ("API Spec", "apiSpec" and "api_spec" are one key). Values are trimmed;
// int, double and bool values are used as text; struct and proto values,
// and value types a newer registry may add, are reported and ignored.
//
//	Source                                          Document field
//	----------------------------------------------  -----------------------------------------------
//	registered model name + "-" + version name      models[0].name (sanitized entity name)
//	property "Owner" (version, then model)          models[0].owner, modelServer.owner
//	  → registered model owner → DefaultOwner → rhdh-rhoai-bridge
//	property "Lifecycle"                            models[0].lifecycle, modelServer.lifecycle
//	  → DefaultLifecycle → development
//	version description → model description         models[0].description
//	  → "Version <v> of model <m> from model registry <r>."
//	labels: properties with an empty string value   models[0].tags (sanitized, sorted, unique)
//	  (how the OpenShift AI dashboard stores labels)
//	first model artifact uri (not being deleted)    models[0].artifactLocationURL
//	property "How to use"                           models[0].howToUseURL
//	first http(s) URL of: property "License" →      models[0].license (a link: both plugins
//	  registered model licenseLink → license          show it as "License"; never a name)
//	first value that is not a URL, same order       models[0].annotations["rhdh.modelcatalog.io/license"]
//	  ("apache-2.0", "Apache 2.0")
//	property "Ethics" / "Support" / "Training"      models[0].ethics / .support / .training / .usage
//	  / "Usage"
//	property "rhdh.modelcatalog.io/model-name"      models[0].annotations["rhdh.modelcatalog.io/model-name"]
//	  → "<registered model>-<version>"
//	catalog model card (artifact modelSourceClass   Output.ModelCard, and models[0].annotations
//	  = source id, modelSourceGroup/modelSourceName   TechDocs = <LocationBaseURL>/modelcard?key=<key>
//	  = catalog model; modelSourceKind "" or          techdocs = /modelcard?key=<key>
//	  "catalog")
//	property "TechDocs", only without model card    models[0].annotations TechDocs and techdocs
//	  and only an http(s) URL (else reported)
//	InferenceService name                           modelServer.name (sanitized entity name)
//	annotation openshift.io/description             modelServer.description
//	  → "Model server <ns>/<name> (KServe InferenceService) serving version <v> of model <m>."
//	property "Homepage URL"                         modelServer.homepageURL
//	  → the server's dashboard page (see Links back to OpenShift AI)
//	dashboard page of the version                   models[0].annotations["rhdh.modelcatalog.io/dashboard-url"]
//	dashboard page of the InferenceService          modelServer.annotations["rhdh.modelcatalog.io/dashboard-url"]
//	external URL → Service URL (see Endpoints)      modelServer.API.url
//	property "API Type", lower-cased, default       modelServer.API.type
//	  openapi (other values reported, openapi used)
//	property "API Spec"                             modelServer.API.spec
//	  → minimal OpenAPI document naming the URL (openapi) or a note on how to set it
//	token auth (owned ServiceAccount, or            modelServer.authentication
//	  security.opendatahub.io/enable-auth=true)
//	external URL (see Endpoints), when there is one modelServer.annotations["rhdh.modelcatalog.io/external-route-url"]
//	predictor Service URL (see Endpoints)           modelServer.annotations["rhdh.modelcatalog.io/internal-service-url"]
//	"serving.kserve.io/inferenceservice=<isvc>"     modelServer.annotations["backstage.io/kubernetes-label-selector"]
//	InferenceService namespace                      modelServer.annotations["backstage.io/kubernetes-namespace"]
//	spec.predictor.model.modelFormat.name,          modelServer.tags (sanitized; see Server facts)
//	  spec.predictor.model.runtime, deployment mode
//	InferenceService annotations rhdh.io/owner,     modelServer.annotations (same keys, copied as
//	  rhdh.io/lifecycle, rhdh.io/system,              they are; the 1.x plugin reads them)
//	  rhdh.io/serverType, rhdh.io/default,
//	  rhdh.io/api-entity-ref
//
// Other custom properties with a value are not published.
//
// # Endpoints
//
// A model server's URLs depend on how KServe deploys it (internal/kserve
// resolves the Route and the predictor Service into Server):
//
//   - The external URL is the OpenShift Route that exposes the
//     InferenceService, in its namespace (labelled
//     serving.kserve.io/inferenceservice=<isvc> or inferenceservice-name=<isvc>,
//     owned by it, or pointing at <isvc>, <isvc>-predictor or its predictor
//     Service; the first by name), https when the Route has TLS, plus its
//     path. Without such a Route it is status.url when that host is not
//     cluster-local (not under .svc or .cluster.local, not a bare name): the
//     Serverless shape, where Knative's ingress owns the route in another
//     namespace. Otherwise (RawDeployment internal only, status.url
//     http://<isvc>-predictor.<ns>.svc.cluster.local) there is none.
//   - The predictor Service URL is http://<service>.<ns>.svc.cluster.local
//     with the port clients use (the numeric target port, else the Service
//     port; left out when 80). The predictor Service is the Service labelled
//     serving.kserve.io/inferenceservice=<isvc> or owned by the
//     InferenceService (both shapes occur), preferring the one named
//     <isvc>-predictor, then one labelled component=predictor. Without one:
//     http://<isvc>-predictor.<ns>.svc.cluster.local.
//   - API.url is the external URL when there is one, else the predictor
//     Service URL.
//
// # Server facts
//
// Every model server, registry-linked or KServe-only, carries the
// annotations the Backstage Kubernetes plugin reads
// (backstage.io/kubernetes-label-selector: serving.kserve.io/inferenceservice=<isvc>,
// backstage.io/kubernetes-namespace: <ns>), so that the Kubernetes tab of
// its entity shows its predictor pods and nothing else; both plugin
// generations copy modelServer.annotations onto the entity they build.
// Its tags (merged with the KServe-only .../tags annotation, sorted,
// unique) are the model format (spec.predictor.model.modelFormat.name,
// e.g. onnx, vllm), the serving runtime (spec.predictor.model.runtime,
// e.g. vllm-cuda-runtime, else status.servingRuntimeName, else
// status.clusterServingRuntimeName), sanitized as Backstage tags (lower case, runs of
// other characters to '-', at most 63 characters; a value with nothing
// valid left is reported), and the deployment mode: serverless
// (Serverless, Knative), raw (RawDeployment, Standard) or modelmesh, from
// status.deploymentMode, else the serving.kserve.io/deploymentMode
// annotation, else no tag.
//
// # KServe-only mapping
//
// Metadata comes from InferenceService annotations: rhdh.io/owner and
// rhdh.io/lifecycle first, then modelcatalogbridge.rhdh.io/<key>, where
// <key> is a property key above lower-cased without spaces (apispec,
// apitype, owner, lifecycle, techdocs, description, homepageurl, howtouse,
// license, ethics, support, training, usage, tags).
//
//	Source                                          Document field
//	----------------------------------------------  -----------------------------------------------
//	InferenceService name                           modelServer.name
//	rhdh.io/owner → .../owner → DefaultOwner        modelServer.owner, models[*].owner
//	  → rhdh-rhoai-bridge
//	rhdh.io/lifecycle → .../lifecycle               modelServer.lifecycle, models[*].lifecycle
//	  → DefaultLifecycle → development
//	.../description → openshift.io/description      modelServer.description, models[*].description
//	  → "Model server <ns>/<name> (KServe InferenceService)."
//	.../tags (comma or space separated)             modelServer.tags, models[*].tags
//	.../usage                                       modelServer.usage, models[*].usage
//	.../homepageurl, .../apitype, .../apispec,      as for the registry (same defaults)
//	  URLs, auth, rhdh.io/* copies, Kubernetes
//	  annotations, fact tags
//	one model per rhdh.io/model-<x> annotation      models[*].name (sanitized value) and
//	  (value = model name), else one model            annotations["rhdh.modelcatalog.io/model-name"]
//	  named <namespace>-<name>                        (the value; for the single model the
//	                                                  rhdh.modelcatalog.io/model-name annotation,
//	                                                  else the InferenceService name)
//	spec.predictor.model.storageUri                 models[*].artifactLocationURL
//	.../howtouse, .../ethics, .../support,          models[*].howToUseURL, .ethics, .support,
//	  .../training                                    .training
//	.../license: an http(s) URL                     models[*].license
//	.../license: a name                             models[*].annotations["rhdh.modelcatalog.io/license"]
//	.../techdocs (http(s) only)                     models[*].annotations TechDocs and techdocs
//	dashboard page of the InferenceService          models[*].annotations["rhdh.modelcatalog.io/dashboard-url"],
//	                                                  modelServer.annotations[same], modelServer.homepageURL
//	                                                  (unless .../homepageurl is set)
//
// # Links back to OpenShift AI
//
// With a dashboard base URL (Options.DashboardURL: RHOAI_DASHBOARD_URL, else
// the https host of the dashboard's Route, found by internal/discovery),
// every model and model server carries the page that shows it in the
// OpenShift AI dashboard, in the annotation
// rhdh.modelcatalog.io/dashboard-url (modelcatalog.AnnotationDashboardURL);
// the catalog-info YAML turns it into a link titled "OpenShift AI
// dashboard". The model-catalog schema gives models no link field, and the
// 1.x plugin builds links only from API.url, homepageURL and artifacts, so
// a model server's homepageURL defaults to its dashboard page (a "Homepage
// URL" property or .../homepageurl annotation still wins). Without a base
// URL no link is published. Each path segment is URL-escaped.
//
//	<base>/model-registry/<registry>/registeredModels/<rmId>/versions/<mvId>
//	    a registered model version (models[0] of its record); <registry> is
//	    the ModelRegistry's name: the discovered Route name without the
//	    operator's "-https", the Service name, or the first label of an
//	    explicit URL's host without "-rest"
//	<base>/modelServing/<namespace>/metrics/<InferenceService>
//	    a deployed InferenceService (modelServer, and the models of a
//	    KServe-only record); with model metrics off the dashboard shows the
//	    project's deployments instead
//
// These are the routes of the dashboard that ships with OpenShift AI 2.25:
// github.com/opendatahub-io/odh-dashboard tag v2.38.0 (commit 1f9f805e,
// "chore:version upgrade for 2.25"; maintained on branch stable-2.x).
// The model registry UI is mounted at /model-registry/* in
// packages/model-registry/upstream/frontend/src/odh/extensions.ts, its
// pages in .../app/pages/modelRegistry/ModelRegistryRoutes.tsx
// (registeredModels/:registeredModelId/versions/:modelVersionId, whose
// index opens the details tab); the deployed model's page is the link of
// the Models > Model deployments table,
// packages/model-serving/src/components/metrics/DeploymentMetricsLink.tsx
// and frontend/src/pages/modelServing/ModelServingRoutes.tsx
// (/modelServing/:namespace/metrics/:inferenceService). OpenShift AI 3.x
// dashboards (v3.0.0 on) moved the registry to
// /ai-hub/registry/<registry>/registered-models/... (later
// /ai-hub/models/registry/...) without a redirect from /model-registry,
// but still redirect /modelServing/* to their deployments pages.
//
// # Names and validity
//
// Every entity name, tag and annotation key emitted is valid under
// internal/backstage, every key under record.ValidateKey, and every
// document passes ValidateDocument (the model-catalog schema's required
// fields and enums). Record keys, model server names and model names are
// unique across all outputs: when two objects sanitize to the same one, the
// object whose identity sorts first keeps it and the others get
// "-<8 hex digits of sha256(identity)>", and the rename is reported. A value
// that cannot be made valid is dropped with a Problem ("published with
// adjustments": Rejected false, no Reason).
//
// # Objects not published
//
// Every object that is not published is reported with a Problem that has
// Rejected set and a Reason (skip.go lists them with a sentence each):
// archived (one Problem per archived registered model, none for its
// versions; one per archived version of a live model), orphan-version,
// not-ready (each condition that is not True, and a missing status.url),
// unlinked-registry-labels, undeployed, no-model-version,
// duplicate-deployment, invalid-name and invalid-document. Reason.Invalid
// tells those Backstage would reject from those skipped for their state in
// the sources. registry-unreachable is the pipeline's: Build never sees a
// registry that was not read.
//
// # Encoding
//
// record.JSONArrayFormat: json.Marshal of the document (tags and models
// sorted, map keys sorted by encoding/json, no timestamps), so equal inputs
// in any order give byte-identical bodies. record.CatalogInfoYAMLFormat:
// multi-document Backstage YAML with a Component (type model-server) and an
// API per model server and a Resource (type ai-model) per model; a TechDocs
// annotation also becomes backstage.io/techdocs-ref: url:<value>.
package mapping
