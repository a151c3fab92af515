package record

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDigestComparesContentNotOrderNorTimestamps(t *testing.T) {
	a := Record{Body: []byte(`{"a":1}`), ReconcilerType: TypeKubeflow, LastUpdateTimeSinceEpoch: 1}
	b := Record{Body: []byte(`{"b":1}`), ReconcilerType: TypeKServe, ModelCard: "# b"}

	var d1, d2 Digest
	d1.Add("a", &a)
	d1.Add("b", &b)
	d2.Add("b", &b)
	a2 := a
	a2.LastUpdateTimeSinceEpoch, a2.LocationTarget = 99, "/a/model-catalog.json"
	d2.Add("a", &a2)
	assert.Equal(t, d1.String(), d2.String(), "order, timestamps and locationTarget do not count")
	assert.Equal(t, d1.String(), func() string { d := DigestOf(map[string]Record{"a": a, "b": b}); return d.String() }())
	assert.Equal(t, 2, d1.Len())

	for name, change := range map[string]func(r *Record){
		"body":       func(r *Record) { r.Body = []byte(`{"a":2}`) },
		"type":       func(r *Record) { r.ReconcilerType = TypeKServe },
		"card":       func(r *Record) { r.ModelCard = "# a" },
		"card key":   func(r *Record) { r.ModelCardKey = "other" },
		"moved body": func(r *Record) { r.Body, r.ReconcilerType = []byte(`{"a":1}kubeflow`), "" },
	} {
		c := a
		change(&c)
		d := DigestOf(map[string]Record{"a": c, "b": b})
		assert.NotEqual(t, d1.String(), d.String(), "a change of %s shows", name)
	}
	d := DigestOf(map[string]Record{"a2": a, "b": b})
	assert.NotEqual(t, d1.String(), d.String(), "the key counts")

	d1.Remove("b", &b)
	assert.Equal(t, func() string { d := DigestOf(map[string]Record{"a": a}); return d.String() }(), d1.String(), "Remove undoes Add")
	d1.Remove("a", &a)
	var empty Digest
	assert.Equal(t, empty.String(), d1.String())
}
