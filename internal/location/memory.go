package location

import "runtime/debug"

// GCPercent is location's GOGC, which cmd/location sets at start unless
// GOGC is set (startup.SetGCPercent). Its heap is almost all documents and
// model cards: byte slices that stay until replaced and that the collector does
// not scan. With Go's default of 100 the heap grows to twice those before
// a collection, so the garbage of a provider run (every document fetched
// at once) would double location's memory; at 25 it grows a quarter, and
// a collection still marks only the pointers (keys, maps, headers): tens
// of milliseconds of CPU at 10,000 records.
const GCPercent = 25

// releaseLoadGarbage hands the memory a load used back to the OS. A load
// holds the whole answer of GET /records and its decoded copy at once,
// then keeps only the documents; the runtime would keep the rest mapped
// and return it over minutes, so location's resident memory would stay at
// the load's peak, and the next collection would wait for the heap to
// grow from there. One forced collection per load that changed something
// costs milliseconds.
func releaseLoadGarbage() { debug.FreeOSMemory() }
