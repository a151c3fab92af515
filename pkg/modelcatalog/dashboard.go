package modelcatalog

// AnnotationDashboardURL holds the page of the model or model server in
// the OpenShift AI dashboard: on a registered model version's model, the
// model registry's version details page; on a model server (and the models
// of a KServe-only server), the deployed model's page. Renderers turn it
// into a link titled DashboardLinkTitle.
const AnnotationDashboardURL = "rhdh.modelcatalog.io/dashboard-url"

// DashboardLinkTitle is the title of the link to AnnotationDashboardURL.
const DashboardLinkTitle = "OpenShift AI dashboard"
