package httpserver

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// BodyLimit caps request bodies.
//
// A body over the cap is answered 413 with a JSON error, and then, as
// nginx does, the rest of it is read and thrown away, up to DrainBytes and
// DrainTime, before the connection is closed. Without that, a client that
// writes its whole request before reading the answer (Python's urllib,
// many scripts) gets a connection reset instead of the 413: closing a
// socket with unread data makes the kernel reset the connection, and the
// reset discards the answer the client has not read yet. The bounds keep
// a slow or endless sender from holding the connection.
type BodyLimit struct {
	// Max is the largest body accepted, in bytes.
	Max int64
	// DrainBytes and DrainTime bound what is read of an over-limit body
	// after the 413; DefaultDrainBytes and DefaultDrainTime when 0.
	DrainBytes int64
	DrainTime  time.Duration
}

// Defaults of BodyLimit's drain bounds.
const (
	DefaultDrainBytes = 128 << 20
	DefaultDrainTime  = 10 * time.Second
)

// LimitBody caps request bodies at limit bytes, with the default drain
// bounds. A body declared larger (Content-Length) is answered 413 before
// the handler runs; a larger chunked body makes the handler's read fail
// (IsTooLarge), and the handler answers with WriteTooLarge.
func LimitBody(limit int64) func(http.Handler) http.Handler {
	return LimitBodyWith(BodyLimit{Max: limit})
}

// LimitBodyWith is LimitBody with explicit drain bounds.
func LimitBodyWith(l BodyLimit) func(http.Handler) http.Handler {
	if l.DrainBytes <= 0 {
		l.DrainBytes = DefaultDrainBytes
	}
	if l.DrainTime <= 0 {
		l.DrainTime = DefaultDrainTime
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > l.Max {
				rejectTooLarge(w, r, r.Body, l, errorJSON("request body is %d bytes, more than the %d bytes accepted: "+
					"send at most %d bytes, or raise --max-body-bytes (MAX_BODY_BYTES) of this service", r.ContentLength, l.Max, l.Max))
				return
			}
			r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, l.Max), orig: r.Body, limit: l}
			next.ServeHTTP(w, r)
		})
	}
}

// limitedBody is a request body under LimitBody: reads stop at the cap,
// and WriteTooLarge can still drain the original.
type limitedBody struct {
	io.ReadCloser
	orig  io.ReadCloser
	limit BodyLimit
}

// IsTooLarge reports whether err came from a body over the LimitBody cap.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// WriteTooLarge answers a request whose body read failed with IsTooLarge:
// 413 with the same kind of message as a Content-Length over the cap,
// then the drain described at BodyLimit.
func WriteTooLarge(w http.ResponseWriter, r *http.Request) {
	lb, ok := r.Body.(*limitedBody)
	if !ok {
		WriteError(w, http.StatusRequestEntityTooLarge, "request body is too large")
		return
	}
	rejectTooLarge(w, r, lb.orig, lb.limit, errorJSON("request body is more than the %d bytes accepted (it was sent without a Content-Length, "+
		"so it was read up to the limit): send at most %d bytes, or raise --max-body-bytes (MAX_BODY_BYTES) of this service", lb.limit.Max, lb.limit.Max))
}

// rejectTooLarge writes the 413 with Connection: close, flushes it, then
// reads and discards what the client still sends, within l's bounds.
func rejectTooLarge(w http.ResponseWriter, r *http.Request, body io.Reader, l BodyLimit, msg []byte) {
	rc := http.NewResponseController(w)
	// Without full duplex, net/http's HTTP/1 server stops reading the
	// body once the answer is written.
	duplex := rc.EnableFullDuplex() == nil
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Length", strconv.Itoa(len(msg)))
	WriteRawJSON(w, http.StatusRequestEntityTooLarge, msg)
	if !duplex || body == nil || r.ProtoMajor != 1 {
		return
	}
	if rc.Flush() != nil {
		return
	}
	_ = rc.SetReadDeadline(time.Now().Add(l.DrainTime))
	_, _ = io.CopyN(io.Discard, body, l.DrainBytes)
}
