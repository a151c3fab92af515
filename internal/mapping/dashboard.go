package mapping

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

// Links back to the OpenShift AI dashboard. The route shapes are those of
// the dashboard shipped with OpenShift AI 2.25 (odh-dashboard v2.38.0,
// branch stable-2.x); see doc.go, "Links back to OpenShift AI".
const (
	// dashboardVersionPath is the model registry UI's version details page:
	// /model-registry/<registry>/registeredModels/<rmId>/versions/<mvId>.
	dashboardVersionPath = "/model-registry/%s/registeredModels/%s/versions/%s"
	// dashboardServerPath is a deployed model's page (its metrics; the
	// dashboard shows the project's deployments when metrics are off):
	// /modelServing/<namespace>/metrics/<InferenceService>.
	dashboardServerPath = "/modelServing/%s/metrics/%s"
)

// dashboardBase validates the dashboard base URL of the options: an
// absolute http(s) URL, kept without a trailing slash; "" when unset or
// unusable (reported).
func (b *builder) dashboardBase(opts Options) string {
	if opts.DashboardURL == nil {
		return ""
	}
	raw := strings.TrimSpace(opts.DashboardURL())
	if raw == "" {
		return ""
	}
	base := strings.TrimRight(raw, "/")
	u, err := url.Parse(base)
	if err != nil || !httpURL(base) || u.RawQuery != "" || u.Fragment != "" || !validText(base) {
		b.problem("options", "RHOAI_DASHBOARD_URL", fmt.Sprintf("%q is not an http(s) URL without query or fragment; no links to the OpenShift AI dashboard are published", raw))
		return ""
	}
	return base
}

// versionDashboardURL is the dashboard page of a registered model version,
// "" without a dashboard.
func (b *builder) versionDashboardURL(registry, rmID, mvID string) string {
	reg := registryResourceName(registry)
	if b.dashboard == "" || reg == "" || rmID == "" || mvID == "" {
		return ""
	}
	return b.dashboard + fmt.Sprintf(dashboardVersionPath, url.PathEscape(reg), url.PathEscape(rmID), url.PathEscape(mvID))
}

// serverDashboardURL is the dashboard page of a deployed InferenceService,
// "" without a dashboard.
func (b *builder) serverDashboardURL(namespace, name string) string {
	if b.dashboard == "" || namespace == "" || name == "" {
		return ""
	}
	return b.dashboard + fmt.Sprintf(dashboardServerPath, url.PathEscape(namespace), url.PathEscape(name))
}

// setDashboardLink records a dashboard page on a model server: the
// annotation, and homepageURL when no "Homepage URL" property set one (the
// 1.x plugin builds links from homepageURL, not from annotations).
func setDashboardLink(ms *modelcatalog.ModelServer, u string) {
	if u == "" {
		return
	}
	setAnnotation(&ms.Annotations, modelcatalog.AnnotationDashboardURL, u)
	if ms.HomepageURL == "" {
		ms.HomepageURL = u
	}
}

// setModelDashboardLink records a dashboard page on a model (the schema
// gives models no link field: the annotation is all there is).
func setModelDashboardLink(m *modelcatalog.Model, u string) {
	if u != "" {
		setAnnotation(&m.Annotations, modelcatalog.AnnotationDashboardURL, u)
	}
}
