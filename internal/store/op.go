package store

import (
	"context"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

type opKind int

const (
	opUpsert opKind = iota
	opRemove
)

// Upsert outcomes, as in the HTTP API.
const (
	statusCreated   = record.UpsertCreated
	statusUpdated   = record.UpsertUpdated
	statusUnchanged = record.UpsertUnchanged
)

// op is one write a caller waits for.
type op struct {
	kind opKind
	key  string
	rec  record.Record
	raw  []byte
	ctx  context.Context
	done chan result
	// seen is set on the first plan, which records whether the key existed.
	seen, existed bool
	// wrote is set once a write of ours stored the value.
	wrote bool
}

// result is an op's outcome.
type result struct {
	status  string
	removed bool
	err     error
}

func newOp(ctx context.Context, kind opKind, key string) *op {
	return &op{kind: kind, key: key, ctx: ctx, done: make(chan result, 1)}
}

func (o *op) status() string {
	if o.existed {
		return statusUpdated
	}
	return statusCreated
}

// finish hands the outcome to the waiting caller; only the first counts.
func (o *op) finish(r result) {
	select {
	case o.done <- r:
	default:
	}
}

// wait blocks until the op is finished or the caller gives up (the op may
// still be carried out).
func (o *op) wait() result {
	select {
	case r := <-o.done:
		return r
	case <-o.ctx.Done():
		return result{err: o.ctx.Err()}
	}
}
