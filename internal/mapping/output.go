package mapping

import "github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"

// Output is one record to publish.
type Output struct {
	// Key is the record key (see pkg/record); always valid.
	Key string
	// Type is record.TypeKubeflow or record.TypeKServe.
	Type string
	// ModelCard is the markdown location serves at /modelcard?key=<Key>, ""
	// when the model has no catalog model card.
	ModelCard string
	// Body is the model-catalog document, encoded in Options.Format. It is
	// the only copy of the document an Output holds: the decoded form is
	// garbage once encoded, so a full build of 50,000 models does not keep
	// both while storage-rest takes them.
	Body []byte
	// Hash is the record.HashOf the record, set by a build given a Cache.
	// An Output without a Body is one whose inputs did not change since
	// that Cache's last build: its record is the one that build made, and
	// only its Hash is known.
	Hash record.Hash
}

// Record is the record stored for the Output, without its timestamp.
// LocationTarget is left to storage-rest, which fills it.
func (o *Output) Record() record.Record {
	return record.Record{Body: o.Body, ReconcilerType: o.Type, ModelCard: o.ModelCard}
}

// RecordHash is the record.HashOf the Output's record.
func (o *Output) RecordHash() record.Hash {
	if o.Hash != (record.Hash{}) {
		return o.Hash
	}
	rec := o.Record()
	return record.HashOf(o.Key, &rec)
}

// Problem is something in the inputs the mapping could not use as it was.
type Problem struct {
	// Object names what the problem is about, e.g. `registry "mr" registered
	// model "granite" (id 3) version "v1" (id 7)` or `InferenceService ns/name`.
	Object string
	// Field is the property, annotation or field concerned, "" for the
	// object as a whole.
	Field string
	// Message says what was done and how to fix it.
	Message string
	// Rejected is true when the object is not published at all ("not
	// published": skipped); false when it is published with adjustments (a
	// value dropped or changed so that Backstage accepts it).
	Rejected bool
	// Reason says why a rejected object is not published (one of Reasons);
	// "" when Rejected is false. Reason.Invalid tells the objects Backstage
	// would reject from those skipped because of their state in the
	// sources (archived, not Ready, ...).
	Reason Reason
}

// String renders the problem for a log line.
func (p Problem) String() string {
	s := p.Object
	if p.Field != "" {
		s += ": " + p.Field
	}
	return s + ": " + p.Message
}
