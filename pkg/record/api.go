package record

// Wire types of the storage-rest and location HTTP APIs, shared by the
// services and their clients in pkg/storageclient and pkg/locationclient.

// UpsertResult answers POST /upsert.
type UpsertResult struct {
	Key string `json:"key"`
	// Status is one of UpsertCreated, UpsertUpdated, UpsertUnchanged.
	Status string `json:"status"`
}

// Upsert outcomes.
const (
	UpsertCreated   = "created"
	UpsertUpdated   = "updated"
	UpsertUnchanged = "unchanged"
)

// BatchItem is one record of POST /upsertbatch: what POST /upsert takes in
// its query (key, type) and body (record).
type BatchItem struct {
	Key    string `json:"key"`
	Type   string `json:"type"`
	Record Record `json:"record"`
}

// Batch is the body of storage-rest's POST /upsertbatch: records stored
// together, so that storage-rest writes each ConfigMap they land in once
// instead of once per few records.
type Batch struct {
	Items []BatchItem `json:"items"`
}

// BatchItemResult is the outcome of one item of a batch: Status as for
// POST /upsert, or Error with the HTTP status POST /upsert would have
// answered for that record alone (Code).
type BatchItemResult struct {
	Key    string `json:"key"`
	Status string `json:"status,omitempty"`
	Code   int    `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
}

// BatchResult answers POST /upsertbatch, an item's result at the item's
// index.
type BatchResult struct {
	Results []BatchItemResult `json:"results"`
}

// KeyList answers storage-rest's GET /list.
type KeyList struct {
	Keys []string `json:"keys"`
}

// RecordSet answers storage-rest's GET /records: every record by key, so
// that location loads everything with one request on start.
type RecordSet struct { //nolint:revive // published name of pkg/record; record.Set would break importers
	Records map[string]Record `json:"records"`
}

// DigestAnswer answers storage-rest's GET /digest: how many records it
// holds and their Digest, for a writer to check cheaply that they are what
// it wrote.
type DigestAnswer struct {
	Records int    `json:"records"`
	Digest  string `json:"digest"`
}

// RemoveResult answers POST /currentkeyset.
type RemoveResult struct {
	Removed []string `json:"removed"`
}

// URIList answers location's GET /list (the RHDH entity provider's view).
type URIList struct {
	URIs []string `json:"uris"`
}
