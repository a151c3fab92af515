package mapping

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage/entity"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// encodeAll finishes each draft (model card links need the final key),
// validates it and encodes it; a draft that fails is reported, never
// published. Each draft is let go once encoded, so that a full build never
// holds every draft and every document at once (b.drafts is empty after).
func (b *builder) encodeAll() []Output {
	outs := make([]Output, 0, len(b.drafts))
	for i, d := range b.drafts {
		b.drafts[i] = nil
		var entry *versionEntry
		if d.version != nil {
			entry = d.version.entry
		}
		o, made, cached := Output{}, false, false
		if d.version != nil && b.cache != nil {
			o, made, cached = b.encodeCached(d)
		}
		if !cached {
			o, made = b.encodeDraft(d)
		}
		if made {
			outs = append(outs, o)
			if entry != nil {
				entry.key = o.Key
			}
		}
	}
	b.drafts = nil
	sort.Slice(outs, func(i, j int) bool { return outs[i].Key < outs[j].Key })
	return outs
}

// encodeCached encodes a registry draft whose inputs have a digest: from
// the Cache when they did not move since the last build (an Output
// without a Body), else as usual, remembering what it came to. cached is
// false when they have no digest, and the draft is encoded as usual.
func (b *builder) encodeCached(d *draft) (o Output, made, cached bool) {
	card := b.catalogCard(d.version.arts)
	inputs, ok := b.cache.versionInputs(d, card)
	if !ok {
		return Output{}, false, false
	}
	if e, hit := b.cache.lookup(d.identity, inputs); hit {
		b.problems = append(b.problems, e.problems...)
		if e.key == "" {
			return Output{}, false, true
		}
		return Output{Key: e.key, Type: d.typ, ModelCard: card, Hash: e.hash}, true, true
	}
	from := len(b.problems)
	o, made = b.encodeDraft(d)
	e := cacheEntry{inputs: inputs, problems: slices.Clone(b.problems[from:])}
	if made {
		o.Hash = o.RecordHash()
		e.key, e.hash = o.Key, o.Hash
	}
	b.cache.remember(d.identity, e)
	return o, made, true
}

// encodeDraft finishes d, validates it and encodes it; a draft that fails
// is reported and makes no Output.
func (b *builder) encodeDraft(d *draft) (Output, bool) {
	if d.version != nil {
		b.finishVersion(d)
	}
	key, err := recordKey(d.segments)
	if err != nil {
		b.skip(d.identity, "key", ReasonInvalidName, fmt.Sprintf("no valid record key could be built (%v); not published", err))
		return Output{}, false
	}
	doc := modelcatalog.Document{}
	if d.server != nil {
		ms := d.server.ms
		doc.ModelServer = &ms
	}
	for _, md := range d.models {
		m := md.m
		m.Annotations = cloneMap(m.Annotations)
		if md.cardLinks {
			setAnnotation(&m.Annotations, modelcatalog.AnnotationTechDocs, b.baseURL+"/modelcard?key="+key)
			setAnnotation(&m.Annotations, modelcatalog.AnnotationTechDocsLower, "/modelcard?key="+key)
		}
		doc.Models = append(doc.Models, m)
	}
	sort.Slice(doc.Models, func(i, j int) bool { return doc.Models[i].Name < doc.Models[j].Name })
	if err := ValidateDocument(doc); err != nil {
		b.skip(d.identity, "", ReasonInvalidDocument, fmt.Sprintf("the document built for it is invalid (%v); not published", err))
		return Output{}, false
	}
	body, err := encode(doc, b.format)
	if err != nil {
		b.skip(d.identity, "", ReasonInvalidDocument, fmt.Sprintf("encoding failed (%v); not published", err))
		return Output{}, false
	}
	return Output{Key: key, Type: d.typ, ModelCard: d.modelCard, Body: body}, true
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// encode renders doc in format. encoding/json sorts map keys, and tags and
// models are sorted before, so equal documents give equal bytes.
func encode(doc modelcatalog.Document, format record.Format) ([]byte, error) {
	if format == record.CatalogInfoYAMLFormat {
		return catalogInfoYAML(doc)
	}
	return json.Marshal(doc)
}

// catalogInfoYAML renders the entities the 0.7.x plugin would build from
// doc (a Component and an API for the model server, a Resource per model)
// as multi-document YAML; internal/backstage/entity holds the shape, shared
// with location's catalog-info.yaml endpoints.
func catalogInfoYAML(doc modelcatalog.Document) ([]byte, error) {
	return entity.YAML(doc)
}
