package mapping

import (
	"fmt"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// Normalized property keys (see normKey): what platform engineers set as
// custom properties, or as modelcatalogbridge.rhdh.io/<key> annotations.
const (
	keyAPISpec     = "apispec"
	keyAPIType     = "apitype"
	keyTechDocs    = "techdocs"
	keyHomepageURL = "homepageurl"
	keyOwner       = "owner"
	keyLifecycle   = "lifecycle"
	keyHowToUse    = "howtouse"
	keyLicense     = "license"
	keyEthics      = "ethics"
	keySupport     = "support"
	keyTraining    = "training"
	keyUsage       = "usage"
	keyModelName   = "rhdh.modelcatalog.io/modelname"
	// Only read from InferenceService annotations: a registry object has
	// its own description field and labels.
	keyDescription = "description"
	keyTags        = "tags"
)

// registryKeys are the property keys read from model registry objects; a
// label (an empty string property) with one of these keys is not a tag.
var registryKeys = map[string]bool{
	keyAPISpec: true, keyAPIType: true, keyTechDocs: true, keyHomepageURL: true,
	keyOwner: true, keyLifecycle: true, keyHowToUse: true, keyLicense: true,
	keyEthics: true, keySupport: true, keyTraining: true, keyUsage: true,
	keyModelName: true,
}

// normKey folds the spellings people use for one property onto one key:
// "API Spec", "apiSpec", "api-spec" and "api_spec" are all "apispec".
func normKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '\t':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// entry is one metadata value and where it came from, for problem messages.
type entry struct {
	field string // e.g. `property "API Spec"` or `annotation "rhdh.io/owner"`
	value string
}

// layer is one object's metadata by normalized key.
type layer map[string]entry

// metadata is a stack of layers; the first layer holding a key wins (a
// model version's properties over its registered model's).
type metadata []layer

func (m metadata) get(key string) (entry, bool) {
	for _, l := range m {
		if e, ok := l[key]; ok {
			return e, true
		}
	}
	return entry{}, false
}

// all returns the entries for key from every layer, first layer first, so
// that an unusable value can fall through to the next one.
func (m metadata) all(key string) []entry {
	var out []entry
	for _, l := range m {
		if e, ok := l[key]; ok {
			out = append(out, e)
		}
	}
	return out
}

// value returns the value of key, "" when no layer sets it.
func (m metadata) value(key string) string {
	e, _ := m.get(key)
	return e.value
}

// propertyLayer reads custom properties of a registry object. Properties
// whose value is an empty string are labels (that is how the OpenShift AI
// dashboard stores them) and are returned separately, by original key.
// Values are trimmed; an empty value sets nothing. When two spellings of a
// key are set, the first in byte order wins and the other is reported.
func (b *builder) propertyLayer(object string, props registrymodel.Properties) (layer, []string) {
	l := layer{}
	var labels []string
	for _, p := range props {
		nk := normKey(p.Key)
		field := fmt.Sprintf("property %q", p.Key)
		if p.Type == registrymodel.StringProperty && p.Value == "" {
			if !registryKeys[nk] {
				labels = append(labels, p.Key)
			}
			continue
		}
		if !registryKeys[nk] {
			continue
		}
		if !p.Type.Scalar() {
			b.problem(object, field, "has a struct, proto or other value that is not text; ignored. Set it as a string property")
			continue
		}
		s := strings.TrimSpace(p.Value)
		if s == "" {
			continue
		}
		if prev, dup := l[nk]; dup {
			b.problem(object, field, fmt.Sprintf("sets the same thing as %s, which is used; remove one of them", prev.field))
			continue
		}
		l[nk] = entry{field: field, value: s}
	}
	return l, labels
}

// Annotation families read from KServe-only InferenceServices.
const (
	// bridgePrefix is the original connector's family: the key after the
	// prefix is a property key lower-cased with spaces removed.
	bridgePrefix = "modelcatalogbridge.rhdh.io/"
	// The successor plugin's family.
	annOwner        = "rhdh.io/owner"
	annLifecycle    = "rhdh.io/lifecycle"
	annSystem       = "rhdh.io/system"
	annServerType   = "rhdh.io/serverType"
	annDefault      = "rhdh.io/default"
	annAPIEntityRef = "rhdh.io/api-entity-ref"
	annModelPrefix  = "rhdh.io/model-"
	// annDescription is what the OpenShift console and AI dashboard set.
	annDescription = "openshift.io/description"
)

// copiedServerAnnotations are InferenceService annotations copied as they
// are onto the model server: the 1.x plugin reads (and then removes) them.
var copiedServerAnnotations = []string{annOwner, annLifecycle, annSystem, annServerType, annDefault, annAPIEntityRef}

// annotationMetadata reads the metadata of an InferenceService from its
// annotations: rhdh.io/owner and rhdh.io/lifecycle first (the 1.x plugin
// applies them anyway, so both plugin generations agree), then the
// modelcatalogbridge.rhdh.io/<key> family, then the
// rhdh.modelcatalog.io/model-name annotation.
func annotationMetadata(annotations map[string]string) metadata {
	successor := layer{}
	for ann, key := range map[string]string{annOwner: keyOwner, annLifecycle: keyLifecycle} {
		if v := strings.TrimSpace(annotations[ann]); v != "" {
			successor[key] = entry{field: fmt.Sprintf("annotation %q", ann), value: v}
		}
	}
	bridge := layer{}
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(annotations[k])
		if v == "" {
			continue
		}
		field := fmt.Sprintf("annotation %q", k)
		switch {
		case strings.HasPrefix(k, bridgePrefix):
			nk := normKey(strings.TrimPrefix(k, bridgePrefix))
			if _, dup := bridge[nk]; !dup {
				bridge[nk] = entry{field: field, value: v}
			}
		case k == modelNameAnnotation:
			if _, dup := bridge[keyModelName]; !dup {
				bridge[keyModelName] = entry{field: field, value: v}
			}
		}
	}
	return metadata{successor, bridge}
}
