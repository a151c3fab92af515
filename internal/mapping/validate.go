package mapping

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

// ValidateDocument checks what the model-catalog schema requires (required
// fields non-empty, API type in its enum) and what Backstage would reject
// (entity names, owners, tags, annotation keys), plus at least one model
// and unique model names. It returns nil or every violation joined.
func ValidateDocument(doc modelcatalog.Document) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if s := doc.ModelServer; s != nil {
		where := fmt.Sprintf("modelServer %q", s.Name)
		checkCommon(where, s.Name, s.Owner, s.Lifecycle, s.Description, add)
		checkTags(where, s.Tags, add)
		checkAnnotations(where, s.Annotations, add)
		if a := s.API; a != nil {
			if strings.TrimSpace(a.URL) == "" {
				add("%s: API.url is empty", where)
			}
			if !modelcatalog.ValidAPIType(a.Type) {
				add("%s: API.type %q is not one of openapi, asyncapi, graphql, grpc", where, a.Type)
			}
			if strings.TrimSpace(a.Spec) == "" {
				add("%s: API.spec is empty", where)
			}
			checkTags(where+" API", a.Tags, add)
			checkAnnotations(where+" API", a.Annotations, add)
		}
	}
	if len(doc.Models) == 0 {
		add("document has no models")
	}
	seen := map[string]bool{}
	for i, m := range doc.Models {
		where := fmt.Sprintf("models[%d] %q", i, m.Name)
		checkCommon(where, m.Name, m.Owner, m.Lifecycle, m.Description, add)
		checkTags(where, m.Tags, add)
		checkAnnotations(where, m.Annotations, add)
		if seen[m.Name] {
			add("%s: model name used twice in one document", where)
		}
		seen[m.Name] = true
	}
	return errors.Join(errs...)
}

func checkCommon(where, name, owner, lifecycle, description string, add func(string, ...any)) {
	if !backstage.ValidEntityName(name) {
		add("%s: name is not a valid Backstage entity name", where)
	}
	if !backstage.ValidEntityRef(owner) {
		add("%s: owner %q is not a Backstage entity reference", where, owner)
	}
	if !validText(lifecycle) {
		add("%s: lifecycle %q is empty or holds control characters", where, lifecycle)
	}
	if strings.TrimSpace(description) == "" {
		add("%s: description is empty", where)
	}
}

func checkTags(where string, tags []string, add func(string, ...any)) {
	for _, t := range tags {
		if !backstage.ValidTag(t) {
			add("%s: tag %q is not a valid Backstage tag", where, t)
		}
	}
}

func checkAnnotations(where string, annotations map[string]string, add func(string, ...any)) {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !backstage.ValidAnnotationKey(k) {
			add("%s: annotation key %q is not a valid Backstage annotation key", where, k)
		}
	}
}
