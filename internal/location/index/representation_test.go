package index

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Header values are slices of the Representation's own fields: a copy
// serves its own, identical values, setting them allocates nothing, and
// a handler that adds to a header cannot write into a representation.
func TestRepresentationHeadersSurviveCopiesAndAdds(t *testing.T) {
	orig := newRepresentation([]byte(`{"a":1}`), &jsonType)
	cp := orig
	h := http.Header{}
	cp.SetHeaders(h)
	assert.Equal(t, []string{"application/json"}, h["Content-Type"])
	assert.Equal(t, []string{"7"}, h["Content-Length"])
	assert.Equal(t, []string{orig.ETag}, h["Etag"])
	assert.Regexp(t, `^"[0-9a-f]{32}"$`, orig.ETag)

	h.Add("Etag", `"other"`)
	h.Add("Content-Length", "8")
	h.Add("Content-Type", "text/plain")
	for _, r := range []*Representation{&orig, &cp} {
		h2 := http.Header{}
		r.SetHeaders(h2)
		assert.Equal(t, []string{"application/json"}, h2["Content-Type"])
		assert.Equal(t, []string{"7"}, h2["Content-Length"])
		assert.Equal(t, []string{orig.ETag}, h2["Etag"])
	}
	h3 := http.Header{}
	orig.SetETag(h3)
	assert.Equal(t, http.Header{"Etag": {orig.ETag}}, h3, "a 304 carries the ETag alone")

	rep := &cp
	assert.Zero(t, testing.AllocsPerRun(100, func() { rep.SetHeaders(h) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { rep.SetETag(h) }))
}
