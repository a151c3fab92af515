// Package storageclient is the Go client of storage-rest's HTTP API.
package storageclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// DefaultURL is where storage-rest listens inside the pod.
const DefaultURL = "http://localhost:7070"

// Client calls storage-rest.
type Client struct {
	http  *http.Client
	token string
	api   *jsonclient.Client
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends "Authorization: Bearer <token>" (needed only when
// storage-rest is opened beyond loopback).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the default client (30s timeout); nil keeps it.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// New returns a client for the storage-rest at baseURL.
func New(baseURL string, opts ...Option) *Client {
	// The normalizer keeps dozens of upserts in flight (storage-rest folds
	// them into few ConfigMap writes): keep that many connections open
	// rather than net/http's default of 2 idle per host.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 128
	c := &Client{http: &http.Client{Timeout: 30 * time.Second, Transport: t}}
	for _, o := range opts {
		o(c)
	}
	// The http.Client's Timeout bounds each request (WithHTTPClient
	// replaces it) and answers are read whole: Records grows with the
	// number of models.
	c.api = jsonclient.New("storage-rest", baseURL, jsonclient.Options{
		Token:        c.token,
		HTTPClient:   c.http,
		Timeout:      jsonclient.NoTimeout,
		MaxBodyBytes: jsonclient.NoBodyLimit,
	})
	return c
}

// StatusError is a non-2xx answer; Message is the service's JSON error.
type StatusError = jsonclient.StatusError

// Upsert stores rec under key; typ is record.TypeKubeflow or TypeKServe.
func (c *Client) Upsert(ctx context.Context, key, typ string, rec *record.Record) (*record.UpsertResult, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding record %s: %w", key, err)
	}
	q := url.Values{"key": {key}}
	if typ != "" {
		q.Set("type", typ)
	}
	var res record.UpsertResult
	if err := c.do(ctx, http.MethodPost, "/upsert?"+q.Encode(), b, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// UpsertBatch stores the items with one request (POST /upsertbatch), an
// item's result at its index. The error is for the request as a whole; an
// item storage-rest could not store has its Code and Error set. A
// storage-rest older than the batch API answers 404 (StatusCode).
func (c *Client) UpsertBatch(ctx context.Context, items []record.BatchItem) ([]record.BatchItemResult, error) {
	b, err := json.Marshal(record.Batch{Items: items})
	if err != nil {
		return nil, fmt.Errorf("encoding a batch of %d records: %w", len(items), err)
	}
	var res record.BatchResult
	if err := c.do(ctx, http.MethodPost, "/upsertbatch", b, &res); err != nil {
		return nil, err
	}
	if len(res.Results) != len(items) {
		return nil, fmt.Errorf("storage-rest answered %d results for a batch of %d records", len(res.Results), len(items))
	}
	return res.Results, nil
}

// CurrentKeySet tells storage-rest the complete set of live keys; it
// removes every other key and returns them.
func (c *Client) CurrentKeySet(ctx context.Context, keys []string) ([]string, error) {
	if keys == nil {
		keys = []string{}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	var res record.RemoveResult
	if err := c.do(ctx, http.MethodPost, "/currentkeyset", b, &res); err != nil {
		return nil, err
	}
	return res.Removed, nil
}

// Remove deletes one key (absent keys are not an error).
func (c *Client) Remove(ctx context.Context, key string) error {
	return c.do(ctx, http.MethodDelete, "/remove?"+url.Values{"key": {key}}.Encode(), nil, nil)
}

// List returns the stored keys.
func (c *Client) List(ctx context.Context) ([]string, error) {
	var res record.KeyList
	if err := c.do(ctx, http.MethodGet, "/list", nil, &res); err != nil {
		return nil, err
	}
	return res.Keys, nil
}

// Fetch returns one record; a *StatusError with Code 404 when absent.
func (c *Client) Fetch(ctx context.Context, key string) (*record.Record, error) {
	var rec record.Record
	if err := c.do(ctx, http.MethodGet, "/fetch?"+url.Values{"key": {key}}.Encode(), nil, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Records returns every stored record in one request.
func (c *Client) Records(ctx context.Context) (map[string]record.Record, error) {
	var res record.RecordSet
	if err := c.do(ctx, http.MethodGet, "/records", nil, &res); err != nil {
		return nil, err
	}
	if res.Records == nil {
		res.Records = map[string]record.Record{}
	}
	return res.Records, nil
}

// EachRecord calls yield with every stored record, decoding the answer
// of GET /records as it arrives: a reader of 90,000 records holds one at
// a time instead of the whole answer and a map of it. An error yield
// returns stops the reading and is returned, wrapped.
func (c *Client) EachRecord(ctx context.Context, yield func(key string, rec record.Record) error) error {
	return c.api.Stream(ctx, "/records", func(r io.Reader) error {
		err := decodeRecordSet(json.NewDecoder(r), yield)
		if errors.Is(err, io.EOF) {
			// Not the end of a complete answer: one cut short.
			return fmt.Errorf("the answer ends before its last record: %w", io.ErrUnexpectedEOF)
		}
		return err
	})
}

// decodeRecordSet reads a record.RecordSet ({"records": {key: record}})
// one record at a time; other fields are skipped.
func decodeRecordSet(dec *json.Decoder, yield func(key string, rec record.Record) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok != "records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if t, err := dec.Token(); err != nil {
			return err
		} else if t == nil {
			continue // "records": null, as an empty set
		} else if t != json.Delim('{') {
			return fmt.Errorf(`"records" is %v, not an object`, t)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			var rec record.Record
			if err := dec.Decode(&rec); err != nil {
				return fmt.Errorf("record %q: %w", key, err)
			}
			if err := yield(key, rec); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("expected %s, got %v", string(want), tok)
	}
	return nil
}

// Digest returns storage-rest's digest of the records it holds
// (record.Digest); a *StatusError with Code 404 from a storage-rest too old
// to have one.
func (c *Client) Digest(ctx context.Context) (string, error) {
	var res record.DigestAnswer
	if err := c.do(ctx, http.MethodGet, "/digest", nil, &res); err != nil {
		return "", err
	}
	return res.Digest, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	return c.api.Do(ctx, method, path, body, out)
}
