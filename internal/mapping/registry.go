package mapping

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// uniqueRegistries sorts snapshots by name and keeps one per name (the
// same one whatever the input order).
func (b *builder) uniqueRegistries(rs []RegistrySnapshot) []RegistrySnapshot {
	type cand struct {
		r  RegistrySnapshot
		fp string
	}
	byName := map[string][]cand{}
	for _, r := range rs {
		byName[r.Name] = append(byName[r.Name], cand{r: r})
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]RegistrySnapshot, 0, len(names))
	for _, n := range names {
		cs := byName[n]
		if len(cs) > 1 {
			for i := range cs {
				cs[i].fp = fingerprint(cs[i].r)
			}
			sort.Slice(cs, func(i, j int) bool { return cs[i].fp < cs[j].fp })
			b.problem(fmt.Sprintf("registry %q", n), "", fmt.Sprintf("%d snapshots share this name; only one is used. Give each registry a distinct name", len(cs)))
		}
		out = append(out, cs[0].r)
	}
	return out
}

// uniqueByID sorts registry objects by id and keeps one per id, dropping
// (and reporting) those without an id.
func uniqueByID[T any](b *builder, object, kind string, xs []T, id func(*T) string) []T {
	if sortedUnique(xs, id) {
		// What a registry sends (its lists are read in ID order): no copy.
		return xs
	}
	type cand struct {
		id, fp string
		x      T
	}
	cands := make([]cand, 0, len(xs))
	for i := range xs {
		x := xs[i]
		cands = append(cands, cand{id: id(&x), x: x})
	}
	sort.Slice(cands, func(i, j int) bool { return registrymodel.LessID(cands[i].id, cands[j].id) })
	// Objects sharing an id are ordered by content, so that the one kept
	// does not depend on the input order. Only they are fingerprinted: a
	// fingerprint encodes the object, which is most of what a sync of
	// unchanged objects would otherwise cost.
	for start := 0; start < len(cands); {
		end := start + 1
		for end < len(cands) && cands[end].id == cands[start].id {
			end++
		}
		if run := cands[start:end]; len(run) > 1 {
			for i := range run {
				run[i].fp = fingerprint(run[i].x)
			}
			sort.Slice(run, func(i, j int) bool { return run[i].fp < run[j].fp })
		}
		start = end
	}
	out := make([]T, 0, len(cands))
	for i, c := range cands {
		switch {
		case c.id == "":
			b.problem(object, "", fmt.Sprintf("a %s without an id was listed; ignored", kind))
		case i > 0 && cands[i-1].id == c.id:
			b.problem(object, "", fmt.Sprintf("%s id %s was listed more than once with different content; one copy is used", kind, c.id))
		default:
			out = append(out, c.x)
		}
	}
	return out
}

// sortedUnique says whether xs is already in id order, without an empty
// or repeated id: uniqueByID would return it as it is.
func sortedUnique[T any](xs []T, id func(*T) string) bool {
	prev := ""
	for i := range xs {
		cur := id(&xs[i])
		if cur == "" || (i > 0 && !registrymodel.LessID(prev, cur)) {
			return false
		}
		prev = cur
	}
	return true
}

// registryResourceName is the name of the ModelRegistry resource behind a
// registry as discovery named it: the name the dashboard links to and puts
// in an InferenceService's modelregistry.opendatahub.io/name label.
// Discovery names a registry after its Route, which the model registry
// operator calls <registry>-https, or after its Service, called
// <registry>; an explicit URL is named by its host, <registry>-rest.<domain>
// for the operator's Route.
func registryResourceName(name string) string {
	if i := strings.IndexAny(name, ".:"); i >= 0 {
		name = strings.TrimSuffix(name[:i], "-rest")
	}
	return strings.TrimSuffix(name, "-https")
}

// namesRegistry says whether an InferenceService's registry-name label
// names the registry discovery called name.
func namesRegistry(label, name string) bool {
	return label == name || label == registryResourceName(name)
}

func (b *builder) addRegistry(r *RegistrySnapshot) {
	obj := fmt.Sprintf("registry %q", r.Name)
	b.registryNames[r.Name] = true
	b.registryNames[registryResourceName(r.Name)] = true
	rms := uniqueByID(b, obj, "registered model", r.RegisteredModels, func(x *registrymodel.RegisteredModel) string { return x.ID })
	versions := uniqueByID(b, obj, "model version", r.ModelVersions, func(x *registrymodel.ModelVersion) string { return x.ID })
	iss := uniqueByID(b, obj, "inference service", r.InferenceServices, func(x *registrymodel.InferenceService) string { return x.ID })
	envs := uniqueByID(b, obj, "serving environment", r.ServingEnvironments, func(x *registrymodel.ServingEnvironment) string { return x.ID })

	rmByID := map[string]*registrymodel.RegisteredModel{}
	for i := range rms {
		rmByID[rms[i].ID] = &rms[i]
	}
	envName := map[string]string{}
	for _, e := range envs {
		envName[e.ID] = e.Name
	}
	var unversioned map[string]bool // registered models served without a version id
	for i := range iss {
		if iss[i].ModelVersionID == "" {
			if unversioned == nil {
				unversioned = map[string]bool{}
			}
			unversioned[iss[i].RegisteredModelID] = true
		}
	}
	deployments := b.linkRegistry(r, iss, versions, envName, unversioned)

	b.skipArchivedModels(obj, rms, versions)
	var ri *registryIndex
	if b.indexing {
		ri = newRegistryIndex(r.Version, rms, len(versions), deployments, unversioned)
		b.registryIndexes[r.Name] = ri
	}

	type live struct {
		identity string
		rm       *registrymodel.RegisteredModel
		v        *registrymodel.ModelVersion
		entry    *versionEntry
	}
	var lives, deployed []live
	var idBuf []byte
	for i := range versions {
		v := &versions[i]
		rm := rmByID[v.RegisteredModelID]
		if rm == nil {
			id := b.skipOrphan(obj, v)
			ri.add(v.ID, id)
			continue
		}
		if archived(rm) {
			continue // reported once for the registered model
		}
		idBuf = versionIdentity(idBuf[:0], obj, rm, v)
		id := string(idBuf)
		e := ri.add(v.ID, id)
		if v.State == registrymodel.StateArchived {
			b.skipArchivedVersion(id)
			continue
		}
		l := live{identity: id, rm: rm, v: v, entry: e}
		if len(deployments[v.ID]) > 0 {
			deployed = append(deployed, l)
		} else {
			lives = append(lives, l)
		}
	}
	// Only deployed versions share state (the first by identity takes an
	// InferenceService deployed for two), so only they are sorted: drafts
	// and problems are sorted once all are made.
	sort.Slice(deployed, func(i, j int) bool { return deployed[i].identity < deployed[j].identity })
	for _, l := range append(deployed, lives...) {
		arts := uniqueByID(b, l.identity, "model artifact", r.VersionArtifacts[l.v.ID], func(x **registrymodel.ModelArtifact) string { return (*x).ID })
		server := b.pickServer(l.identity, deployments[l.v.ID])
		if d := b.registryDraft(l.identity, r.Name, l.rm, l.v, arts, server); d != nil {
			d.version.entry = l.entry
			b.drafts = append(b.drafts, d)
		}
	}
}

// skipOrphan reports a version whose registered model is not listed, and
// returns the object it names.
func (b *builder) skipOrphan(obj string, v *registrymodel.ModelVersion) string {
	id := fmt.Sprintf("%s model version %q (id %s)", obj, v.Name, v.ID)
	b.skip(id, "registeredModelId", ReasonOrphanVersion,
		fmt.Sprintf("registered model id %q was not listed by the registry; version not published", v.RegisteredModelID))
	return id
}

func (b *builder) skipArchivedVersion(identity string) {
	b.skip(identity, "state", ReasonArchived, "the model version is archived in the registry; not published. Restore it there to publish it")
}

// versionIdentity appends a registry version's identity to buf:
// <obj> registered model "<name>" (id <id>) version "<name>" (id <id>),
// as fmt's %q quotes, without its cost for each of 100,000 versions.
func versionIdentity(buf []byte, obj string, rm *registrymodel.RegisteredModel, v *registrymodel.ModelVersion) []byte {
	buf = append(buf, obj...)
	buf = append(buf, " registered model "...)
	buf = strconv.AppendQuote(buf, rm.Name)
	buf = append(buf, " (id "...)
	buf = append(buf, rm.ID...)
	buf = append(buf, ") version "...)
	buf = strconv.AppendQuote(buf, v.Name)
	buf = append(buf, " (id "...)
	buf = append(buf, v.ID...)
	return append(buf, ')')
}

func archived(rm *registrymodel.RegisteredModel) bool {
	return rm.State == registrymodel.StateArchived
}

// skipArchivedModels reports each archived registered model once: none of
// its versions is published.
func (b *builder) skipArchivedModels(obj string, rms []registrymodel.RegisteredModel, versions []registrymodel.ModelVersion) {
	// Counted once for all: counting each archived model's versions by
	// scanning every version was 1.6 s of a 50,000-model build.
	var count map[string]int
	for i := range rms {
		rm := &rms[i]
		if !archived(rm) {
			continue
		}
		if count == nil {
			count = make(map[string]int, len(rms))
			for j := range versions {
				count[versions[j].RegisteredModelID]++
			}
		}
		n := count[rm.ID]
		b.skip(fmt.Sprintf("%s registered model %q (id %s)", obj, rm.Name, rm.ID), "state", ReasonArchived,
			fmt.Sprintf("the registered model is archived in the registry; none of its %d model version(s) is published. Restore it there to publish them", n))
	}
}

// linkRegistry matches the registry's inference services with KServe
// InferenceServices, marks every match as claimed by the registry and
// returns the deployed ones by model version id.
// unversioned are the registered models an inference service serves
// without naming a version.
func (b *builder) linkRegistry(r *RegistrySnapshot, iss []registrymodel.InferenceService, versions []registrymodel.ModelVersion, envName map[string]string, unversioned map[string]bool) map[string][]nsName {
	byISID := map[string][]nsName{}
	byVersion := map[[2]string][]nsName{}
	for _, s := range b.servers {
		l := s.InferenceService.Labels
		if reg := l[LabelRegistryName]; reg != "" && !namesRegistry(reg, r.Name) {
			continue
		}
		ref := nsName{s.InferenceService.Namespace, s.InferenceService.Name}
		if id := l[LabelInferenceServiceID]; id != "" {
			byISID[id] = append(byISID[id], ref)
		} else if rm, mv := l[LabelRegisteredModelID], l[LabelModelVersionID]; rm != "" && mv != "" {
			byVersion[[2]string{rm, mv}] = append(byVersion[[2]string{rm, mv}], ref)
		}
	}

	latest := latestVersions(versions, unversioned)
	deployments := map[string][]nsName{}
	// undeployed: InferenceServices of UNDEPLOYED registry inference
	// services, reported unless another one deploys them.
	undeployed, deployed := map[nsName][]string{}, map[nsName]bool{}
	for _, ris := range iss {
		obj := fmt.Sprintf("registry %q inference service %q (id %s)", r.Name, ris.Name, ris.ID)
		vid := ris.ModelVersionID
		if vid == "" {
			vid = latest[ris.RegisteredModelID]
		}
		env := envName[ris.ServingEnvironmentID]

		var matches []nsName
		for _, ref := range byISID[ris.ID] {
			l := b.byRef[ref].InferenceService.Labels
			if x := l[LabelRegisteredModelID]; x != "" && x != ris.RegisteredModelID {
				continue
			}
			if x := l[LabelModelVersionID]; x != "" && vid != "" && x != vid {
				continue
			}
			matches = append(matches, ref)
		}
		if vid != "" {
			for _, ref := range byVersion[[2]string{ris.RegisteredModelID, vid}] {
				if env == "" || ref.namespace == env {
					matches = append(matches, ref)
				}
			}
		}
		if env != "" && ris.Name != "" {
			ref := nsName{env, ris.Name}
			if s, ok := b.byRef[ref]; ok {
				l := s.InferenceService.Labels
				reg, isID := l[LabelRegistryName], l[LabelInferenceServiceID]
				if (reg == "" || namesRegistry(reg, r.Name)) && (isID == "" || isID == ris.ID) {
					matches = append(matches, ref)
				}
			}
		}
		for _, m := range matches {
			b.claimed[m] = true
		}
		if ris.DesiredState != "" && ris.DesiredState != registrymodel.Deployed {
			for _, m := range matches {
				if l := undeployed[m]; len(l) == 0 || l[len(l)-1] != obj {
					undeployed[m] = append(l, obj)
				}
			}
			continue
		}
		if vid == "" {
			if len(matches) > 0 {
				b.skip(obj, "modelVersionId", ReasonNoModelVersion, fmt.Sprintf("names no model version and registered model id %q has none; its InferenceService is not published", ris.RegisteredModelID))
			}
			continue
		}
		deployments[vid] = append(deployments[vid], matches...)
		for _, m := range matches {
			deployed[m] = true
		}
	}
	for _, ref := range sortedRefs(undeployed) {
		if !deployed[ref] {
			b.skip("InferenceService "+ref.String(), "", ReasonUndeployed, fmt.Sprintf("%s has desiredState %s; not published. Deploy it from the registry (or delete the InferenceService)",
				strings.Join(undeployed[ref], ", "), registrymodel.Undeployed))
		}
	}
	return deployments
}

func sortedRefs[T any](m map[nsName]T) []nsName {
	out := make([]nsName, 0, len(m))
	for ref := range m {
		out = append(out, ref)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// latestVersions maps each registered model id of models to the version a
// registry inference service without modelVersionId serves: the model's
// latest by creation order (ties to the greater id). One pass over the
// versions: searching them for each inference service was 0.8 s of a
// 50,000-model build.
func latestVersions(versions []registrymodel.ModelVersion, models map[string]bool) map[string]string {
	if len(models) == 0 {
		return nil
	}
	type best struct {
		id   string
		time int64
	}
	bests := map[string]best{}
	for i := range versions {
		v := &versions[i]
		if !models[v.RegisteredModelID] {
			continue
		}
		t, err := strconv.ParseInt(v.CreateTimeSinceEpoch, 10, 64)
		if err != nil {
			t = 0
		}
		b, seen := bests[v.RegisteredModelID]
		if !seen || t > b.time || (t == b.time && registrymodel.LessID(b.id, v.ID)) {
			bests[v.RegisteredModelID] = best{id: v.ID, time: t}
		}
	}
	out := make(map[string]string, len(bests))
	for rm, b := range bests {
		out[rm] = b.id
	}
	return out
}

// pickServer chooses a version's model server: the first deployment by
// namespace/name that is not already another version's server. The others
// are reported, never dropped silently.
func (b *builder) pickServer(identity string, deps []nsName) *Server {
	sort.Slice(deps, func(i, j int) bool { return deps[i].String() < deps[j].String() })
	var chosen *Server
	var chosenRef nsName
	for i, ref := range deps {
		if i > 0 && deps[i-1] == ref {
			continue
		}
		if chosen != nil {
			b.skip(identity, "", ReasonDuplicateDeployment, fmt.Sprintf("InferenceService %s also deploys this version; only %s is published as its model server. Publish one deployment per version or undeploy the others", ref, chosenRef))
			continue
		}
		if other, used := b.serving[ref]; used {
			// It is published, as the other version's server.
			b.problem(identity, "", fmt.Sprintf("InferenceService %s is already the model server of %s; not used again for this version", ref, other))
			continue
		}
		chosen, chosenRef = b.byRef[ref], ref
		b.serving[ref] = identity
	}
	return chosen
}

// claimRegistryLabelled keeps InferenceServices that carry model registry
// labels out of the KServe-only path when a registry they may belong to is
// read, and reports those no registry inference service matched.
func (b *builder) claimRegistryLabelled(haveRegistries bool) {
	if !haveRegistries {
		return
	}
	for _, s := range b.servers {
		ref := nsName{s.InferenceService.Namespace, s.InferenceService.Name}
		l := s.InferenceService.Labels
		if b.claimed[ref] || (l[LabelRegisteredModelID] == "" && l[LabelModelVersionID] == "" && l[LabelInferenceServiceID] == "") {
			continue
		}
		if reg := l[LabelRegistryName]; reg != "" && !b.registryNames[reg] {
			continue // its registry is not read: publish it from KServe facts
		}
		b.claimed[ref] = true
		b.skip("InferenceService "+ref.String(), "", ReasonUnlinkedRegistryLabels, "carries model registry labels but no inference service of the model registry matches it; not published. Check the registry's inference services, or remove the modelregistry.opendatahub.io labels to publish it as a KServe-only server")
	}
}

// registryDraft names the record of one live model version and of its
// model server, if any; the rest of them is built when the draft is
// encoded (finishVersion). Property problems of a version that cannot be
// named are still reported, as for any version.
func (b *builder) registryDraft(identity, registry string, rm *registrymodel.RegisteredModel, v *registrymodel.ModelVersion, arts []*registrymodel.ModelArtifact, srv *Server) *draft {
	seg1, ok1 := b.segment(identity, "registered model name", rm.Name, "model-"+rm.ID)
	seg2, ok2 := b.segment(identity, "model version name", v.Name, "version-"+v.ID)
	if !ok1 || !ok2 {
		b.propertyLayer(identity, v.Properties)
		b.propertyLayer(identity, rm.Properties)
		return nil
	}
	vd := &versionDraft{registry: registry, rm: rm, v: v, arts: arts}
	vd.modelName, _ = backstage.EntityName(rm.Name + "-" + v.Name)
	if vd.modelName == "" {
		vd.modelName, _ = backstage.EntityName(seg1 + "-" + seg2)
	}
	if srv != nil {
		if name, ok := b.serverName(identity, srv.InferenceService); ok {
			vd.srv, vd.serverName = srv, name
			vd.serverIdentity = "InferenceService " + nsName{srv.InferenceService.Namespace, srv.InferenceService.Name}.String()
		}
	}
	return &draft{identity: identity, typ: record.TypeKubeflow, segments: []string{seg1, seg2}, version: vd}
}

// finishVersion builds the model and model server of a registry draft,
// under the names it was given.
func (b *builder) finishVersion(d *draft) {
	vd, identity := d.version, d.identity
	rm, v := vd.rm, vd.v
	vLayer, vLabels := b.propertyLayer(identity, v.Properties)
	rmLayer, rmLabels := b.propertyLayer(identity, rm.Properties)
	md := metadata{vLayer, rmLayer}

	m := modelcatalog.Model{Name: vd.modelName}
	m.Owner = b.pickOwner(identity, append(md.all(keyOwner), entry{field: "registered model owner", value: strings.TrimSpace(rm.Owner)})...)
	m.Lifecycle = b.pickLifecycle(identity, md.all(keyLifecycle)...)
	m.Description = firstText(v.Description, rm.Description)
	if m.Description == "" {
		m.Description = fmt.Sprintf("Version %s of model %s from model registry %s.", v.Name, rm.Name, vd.registry)
	}
	m.Tags = b.tags(identity, "labels", append(vLabels, rmLabels...))
	m.ArtifactLocationURL = artifactURI(vd.arts)
	modelFields(md, &m)
	licenseLink, licenseName := b.license(identity, append(md.all(keyLicense),
		entry{field: "registered model licenseLink", value: rm.LicenseLink},
		entry{field: "registered model license", value: rm.License})...)
	setLicense(&m, licenseLink, licenseName)
	modelName := md.value(keyModelName)
	if modelName == "" {
		modelName = rm.Name + "-" + v.Name
	}
	setAnnotation(&m.Annotations, modelNameAnnotation, modelName)
	setModelDashboardLink(&m, b.versionDashboardURL(vd.registry, rm.ID, v.ID))

	md0 := &modelDraft{identity: identity + " model", m: m}
	if card := b.catalogCard(vd.arts); card != "" {
		d.modelCard = card
		md0.cardLinks = true
	} else {
		b.techDocs(identity, md, &md0.m)
	}
	d.models = []*modelDraft{md0}

	if vd.srv != nil {
		isvc := vd.srv.InferenceService
		ms := b.serverBase(identity, vd.srv, md, vd.serverName)
		ms.Owner = m.Owner
		ms.Lifecycle = m.Lifecycle
		ms.Description = firstText(isvc.Annotations[annDescription])
		if ms.Description == "" {
			ms.Description = fmt.Sprintf("Model server %s/%s (KServe InferenceService) serving version %s of model %s.", isvc.Namespace, isvc.Name, v.Name, rm.Name)
		}
		d.server = &serverDraft{identity: vd.serverIdentity, ms: ms}
	}
	d.version = nil
}

// segment sanitizes name into a key segment, falling back to the id-based
// name (registry ids are digits, so the fallback is valid) and reporting it.
func (b *builder) segment(identity, what, name, fallback string) (string, bool) {
	if s, ok := backstage.EntityName(name); ok {
		return s, true
	}
	s, ok := backstage.EntityName(fallback)
	if !ok {
		b.skip(identity, "name", ReasonInvalidName, fmt.Sprintf("%s %q has no letter or digit Backstage accepts, and neither has its id; not published", what, name))
		return "", false
	}
	b.problem(identity, "name", fmt.Sprintf("%s %q has no letter or digit Backstage accepts; using %q", what, name, s))
	return s, true
}

// firstText returns the first candidate with text left after trimming.
func firstText(cands ...string) string {
	for _, c := range cands {
		if c = strings.TrimSpace(c); c != "" {
			return c
		}
	}
	return ""
}

// artifactURI is the uri of the version's first model artifact that has
// one and is not being deleted.
func artifactURI(arts []*registrymodel.ModelArtifact) string {
	for _, a := range arts {
		if a.State == registrymodel.ArtifactDeleted || a.State == registrymodel.ArtifactMarkedForDeletion {
			continue
		}
		if t := a.ArtifactType; t != "" && t != registrymodel.ModelArtifactType {
			continue
		}
		if u := strings.TrimSpace(a.URI); u != "" {
			return u
		}
	}
	return ""
}

// catalogCard returns the model card of the catalog model a version's
// artifact was registered from, "" when there is none.
func (b *builder) catalogCard(arts []*registrymodel.ModelArtifact) string {
	if b.modelCard == nil {
		return ""
	}
	for _, a := range arts {
		ref, ok := CatalogRefOf(a)
		if !ok {
			continue
		}
		if readme, ok := b.modelCard(ref.SourceID, ref.Name); ok && strings.TrimSpace(readme) != "" {
			return readme
		}
	}
	return ""
}
