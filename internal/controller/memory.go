package controller

// GCPercent is the normalizer's GOGC, which cmd/rhoai-normalizer sets at
// start unless GOGC is set (startup.SetGCPercent). Its heap is what the
// registries answered, decoded, and during a full build every document
// being made: with Go's default of 100 the heap grows to twice that
// before a collection, which at 10,000 models was most of its peak. Its
// objects are small and full of pointers, so a collection costs more than
// in location or storage-rest; 50 halves the headroom for about twice the
// collections of a build.
const GCPercent = 50
