package store

// GCPercent is storage-rest's GOGC, which cmd/storage-rest sets at start
// unless GOGC is set (startup.SetGCPercent). Its heap is the copy of the
// ConfigMaps: byte slices that stay until their ConfigMap is rewritten and
// that the collector does not scan. With Go's default of 100 the heap
// grows to twice those before a collection, and a first publish (every
// ConfigMap written, each answer and watch event decoded) would double
// storage-rest's memory; at 25 it grows a quarter, and a collection marks
// only the pointers (maps, entries, headers).
const GCPercent = 25
