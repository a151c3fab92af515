package httpserver

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connLimiter bounds the connections net/http serves at once, because each
// costs memory whether it does anything or not: a goroutine (its stack
// grows to 8-16 KiB serving a request), a 4 KiB bufio.Reader and a 4 KiB
// bufio.Writer per connection until it closes. RHDH's 1.x entity provider
// fetches every listed document at once and Node's fetch opens one socket
// per request: at 10,000 records location held 10,000 connections and
// 350-490 MiB, most of them waiting for Node to send its request.
//
// A goroutine accepts every connection at once, so clients never wait in
// the kernel's accept queue (4096 at most; beyond it a SYN is dropped and
// retried after 1 s, 3 s, 7 s, against Node's 10 s connect timeout), and
// queues it: an accepted connection that net/http has not taken yet is a
// file descriptor and a few hundred bytes, its request waiting in the
// kernel's socket buffer. Accept hands net/http a queued connection when
// fewer than max are being served. While more than keepAlive connections
// are open or queued, each response is sent with "Connection: close", so
// that a client holding many idle keep-alive sockets (Node keeps them 4 s)
// frees the slots others wait for; below that, keep-alive works as usual.
type connLimiter struct {
	net.Listener
	slots     chan struct{}
	queue     chan net.Conn
	keepAlive int64
	open      atomic.Int64 // accepted and not closed: queued or served
	closed    chan struct{}
	closeOnce sync.Once
	acceptErr error // set before queue is closed
}

// maxQueued bounds the connections accepted and waiting for a slot; past
// it the kernel's accept queue holds them.
const maxQueued = 1 << 16

func newConnLimiter(ln net.Listener, maxConns, keepAlive int) *connLimiter {
	l := &connLimiter{
		Listener:  ln,
		slots:     make(chan struct{}, maxConns),
		queue:     make(chan net.Conn, maxQueued),
		keepAlive: int64(keepAlive),
		closed:    make(chan struct{}),
	}
	go l.acceptAll()
	return l
}

// acceptAll accepts until the listener is closed. A temporary error (out
// of file descriptors) is retried after a pause, as net/http does.
func (l *connLimiter) acceptAll() {
	defer close(l.queue)
	var pause time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(pause):
					continue
				case <-l.closed:
				}
			}
			l.acceptErr = err
			return
		}
		pause = 0
		l.open.Add(1)
		select {
		case l.queue <- &limitedConn{Conn: c, l: l}:
		case <-l.closed:
			_ = c.Close()
			l.open.Add(-1)
			l.acceptErr = net.ErrClosed
			return
		}
	}
}

// isTemporary reports the accept errors net/http also retries (EMFILE,
// ENFILE, ECONNABORTED): they report Temporary, deprecated but still set.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// Accept waits for a free slot, then for a queued connection.
func (l *connLimiter) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, ok := <-l.queue
	if !ok {
		<-l.slots
		return nil, l.acceptErr
	}
	c.(*limitedConn).served = true
	return c, nil
}

// Close stops accepting and closes the connections still queued.
func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	err := l.Listener.Close()
	for c := range l.queue {
		_ = c.Close()
	}
	return err
}

// busy reports whether connections should close after their response.
func (l *connLimiter) busy() bool { return l.open.Load() > l.keepAlive }

// closeWhenBusy asks net/http to close the connection after this response
// while the server is busy.
func (l *connLimiter) closeWhenBusy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.busy() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// limitedConn gives its slot back, once, when closed.
type limitedConn struct {
	net.Conn
	l      *connLimiter
	served bool // handed to net/http: it holds a slot
	once   sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		if c.served {
			<-c.l.slots
		}
	})
	return err
}
