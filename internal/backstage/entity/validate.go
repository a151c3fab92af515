package entity

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
)

// Validate reports every rule of Backstage's that e breaks (names, tags,
// annotation keys, links, required spec fields of its kind, relation
// references), as one error; nil when Backstage would accept it. Backstage
// drops an entity that breaks one, so location never offers one as a
// target.
func Validate(e *Entity) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if e.APIVersion != APIVersion {
		bad("apiVersion %q is not %s", e.APIVersion, APIVersion)
	}
	if !backstage.ValidEntityName(e.Metadata.Name) {
		bad("metadata.name %q is not a valid entity name", e.Metadata.Name)
	}
	for _, t := range e.Metadata.Tags {
		if !backstage.ValidTag(t) {
			bad("tag %q is not valid", t)
		}
	}
	lower := make(map[string]string, len(e.Metadata.Annotations))
	for k := range e.Metadata.Annotations {
		if !backstage.ValidAnnotationKey(k) {
			bad("annotation key %q is not valid", k)
		}
		if other, ok := lower[strings.ToLower(k)]; ok {
			bad("annotation keys %q and %q differ only in case, which Backstage refuses", min(k, other), max(k, other))
		}
		lower[strings.ToLower(k)] = k
	}
	for _, l := range e.Metadata.Links {
		if !HTTPURL(l.URL) {
			bad("link %q is not an http(s) URL", l.URL)
		}
	}
	s := &e.Spec
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			bad("spec.%s is required on a %s", field, e.Kind)
		}
	}
	switch e.Kind {
	case KindComponent:
		need("type", s.Type)
		need("lifecycle", s.Lifecycle)
		need("owner", s.Owner)
	case KindAPI:
		need("type", s.Type)
		need("lifecycle", s.Lifecycle)
		need("owner", s.Owner)
		need("definition", s.Definition)
	case KindResource:
		need("type", s.Type)
		need("owner", s.Owner)
	case KindLocation:
		if s.Targets != nil {
			for _, t := range *s.Targets {
				need("targets[]", t)
			}
		}
	default:
		bad("kind %q is not one this connector renders", e.Kind)
	}
	if s.Owner != "" && !backstage.ValidEntityRef(s.Owner) {
		bad("spec.owner %q is not an entity reference", s.Owner)
	}
	refs := func(field, kind string, list []string) {
		for _, r := range list {
			k, name, ok := strings.Cut(r, ":")
			if !ok || k != kind || !backstage.ValidEntityName(name) {
				bad("spec.%s %q is not a %s reference with a valid name", field, r, kind)
			}
		}
	}
	refs("providesApis", "api", s.ProvidesAPIs)
	refs("dependsOn", "resource", s.DependsOn)
	refs("dependencyOf", "component", s.DependencyOf)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s %q: %w", e.Kind, e.Metadata.Name, err)
	}
	return nil
}

// ValidateAll validates every entity and that every relation between them
// points at one of them (a dangling relation shows as a missing entity in
// Backstage).
func ValidateAll(ents []Entity) error {
	var errs []error
	have := map[string]bool{}
	for i := range ents {
		if err := Validate(&ents[i]); err != nil {
			errs = append(errs, err)
		}
		have[ents[i].Ref()] = true
	}
	for i := range ents {
		s := &ents[i].Spec
		for _, list := range [][]string{s.ProvidesAPIs, s.DependsOn, s.DependencyOf} {
			for _, r := range list {
				if !have[r] {
					errs = append(errs, fmt.Errorf("%s %q: relation to %s, which is not among the entities", ents[i].Kind, ents[i].Metadata.Name, r))
				}
			}
		}
	}
	return errors.Join(errs...)
}
