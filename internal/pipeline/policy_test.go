package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
)

// fakeAnswers is a Source that gives its answers in turn: a string, or an
// error when err is set for that turn.
type fakeAnswers struct {
	answers []string
	errs    []error
	n       int
}

func (f *fakeAnswers) Read(context.Context) (string, error) {
	i := f.n
	f.n++
	if i < len(f.errs) && f.errs[i] != nil {
		return "", f.errs[i]
	}
	return f.answers[i], nil
}

func TestKeepLastGoodAnswersTheLastGoodAnswerWhileTheSourceFails(t *testing.T) {
	down := errors.New("connection refused")
	k := NewKeepLastGood[string](&fakeAnswers{
		answers: []string{"", "a", "", "b"},
		errs:    []error{down, nil, down, nil},
	})
	ctx := context.Background()

	v, err := k.Read(ctx)
	require.ErrorIs(t, err, down)
	assert.Empty(t, v, "nothing before the first answer")
	assert.False(t, k.Answered())

	v, err = k.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a", v)
	assert.True(t, k.Answered())

	v, err = k.Read(ctx)
	require.ErrorIs(t, err, down, "the failure is still told")
	assert.Equal(t, "a", v, "with the last good answer")
	last, ok := k.Last()
	assert.True(t, ok)
	assert.Equal(t, "a", last)
	assert.True(t, k.Answered(), "a source that answered once stays answered")

	v, err = k.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "b", v)
}

func TestConfirmEmptyHoldsAnEmptyAnswerUntilItIsGivenEnoughTimesInARow(t *testing.T) {
	down := errors.New("HTTP 503")
	src := &fakeAnswers{
		//         first empty is believed (nothing before it)
		answers: []string{"", "a", "", "", "a", "", "", "", "", ""},
		errs:    []error{nil, nil, nil, nil, nil, nil, down, nil, nil, nil},
	}
	c := NewConfirmEmpty[string](src, func(s string) bool { return s == "" }, 3)
	ctx := context.Background()
	type step struct {
		v    string
		seen int // 0: no hold
		err  error
	}
	want := []step{
		{v: ""},           // nothing to protect yet
		{v: "a"},          // models
		{v: "a", seen: 1}, // empty after models: held
		{v: "a", seen: 2},
		{v: "a"},          // models again: the count starts over
		{v: "a", seen: 1}, // empty
		{err: down},       // a failure passes through, counts nothing
		{v: "a", seen: 2}, // empty, the second in a row of answers
		{v: ""},           // the third: believed
		{v: ""},           // empty after empty: nothing to hold
	}
	for i, w := range want {
		v, err := c.Read(ctx)
		var held *EmptyNotConfirmedError
		switch {
		case w.err != nil:
			require.ErrorIs(t, err, w.err, "read %d", i)
			continue
		case w.seen > 0:
			require.ErrorAs(t, err, &held, "read %d", i)
			assert.Equal(t, EmptyNotConfirmedError{Seen: w.seen, Needed: 3}, *held, "read %d", i)
		default:
			require.NoError(t, err, "read %d", i)
		}
		assert.Equal(t, w.v, v, "read %d", i)
	}
}

func TestConfirmEmptyWithOneConfirmationBelievesAtOnce(t *testing.T) {
	c := NewConfirmEmpty[string](&fakeAnswers{answers: []string{"a", ""}}, func(s string) bool { return s == "" }, 0)
	_, err := c.Read(context.Background())
	require.NoError(t, err)
	v, err := c.Read(context.Background())
	require.NoError(t, err)
	assert.Empty(t, v)
}

func TestRemovalsWaitForDiscoveryAndEverySource(t *testing.T) {
	assert.True(t, removalsAllowed(true), "no sources: discovery is enough")
	assert.True(t, removalsAllowed(true, true, true))
	assert.False(t, removalsAllowed(false, true, true), "discovery failed: a registry it did not list is not gone")
	assert.False(t, removalsAllowed(true, true, false), "one source has never answered")
}

// fakeCards answers the cards it holds; fail makes a model's read fail.
type fakeCards struct {
	cards map[string]string
	fail  map[string]bool
}

func (f *fakeCards) Card(_ context.Context, sourceID, name string) (string, bool, error) {
	if f.fail[name] {
		return "", false, errors.New("HTTP 502")
	}
	c, ok := f.cards[sourceID+"/"+name]
	return c, ok, nil
}

func TestCardSourceKeepsTheLastGoodCardOfEachModel(t *testing.T) {
	a, b := mapping.CatalogModelRef{SourceID: "s", Name: "a"}, mapping.CatalogModelRef{SourceID: "s", Name: "b"}
	reader := &fakeCards{cards: map[string]string{"s/a": "# A", "s/b": "# B"}}
	refs := map[mapping.CatalogModelRef]bool{a: true, b: true}
	src := &cardSource{reader: reader, refs: func() map[mapping.CatalogModelRef]bool { return refs }}
	ctx := context.Background()

	cards, err := src.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, mapping.CatalogCards{a: "# A", b: "# B"}, cards)
	_, err = src.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), src.version, "the same cards again: the same version")

	reader.cards["s/b"] = "# B, new"
	reader.fail = map[string]bool{"a": true}
	cards, err = src.Read(ctx)
	require.ErrorContains(t, err, "model s/a: HTTP 502")
	assert.Equal(t, mapping.CatalogCards{a: "# A", b: "# B, new"}, cards, "a's card as before, b's new one")
	assert.Equal(t, uint64(2), src.version, "a card changed")

	delete(refs, a)
	reader.fail = nil
	cards, err = src.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, mapping.CatalogCards{b: "# B, new"}, cards, "a model no longer referenced has no card")
}
