package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// A JSON message as it came off the socket.
type message map[string]interface{}

func (m message) str(key string) string {
	value, _ := m[key].(string)
	return value
}

func (m message) object(key string) message {
	value, _ := m[key].(map[string]interface{})
	return message(value)
}

// socket is one WebSocket with a reader that hands each message to `route`, and
// writes serialized behind a lock.
type socket struct {
	conn    *websocket.Conn
	writing sync.Mutex
	closed  chan struct{}
	err     error
}

func dial(url string, subprotocols []string, route func(message)) (*socket, error) {
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: subprotocols}
	conn, _, err := dialer.Dial(url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	s := &socket{conn: conn, closed: make(chan struct{})}
	go func() {
		defer close(s.closed)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				s.err = err
				return
			}
			var m message
			if json.Unmarshal(data, &m) == nil {
				route(m)
			}
		}
	}()
	return s, nil
}

func (s *socket) send(value interface{}) error {
	data, err := json.Marshal(value)
	if err != nil {
		return err
	}
	s.writing.Lock()
	defer s.writing.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.conn.WriteMessage(websocket.TextMessage, data)
}

func (s *socket) close() {
	s.writing.Lock()
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	s.writing.Unlock()
	_ = s.conn.Close()
}

// replies matches replies to requests by a key (a Janus transaction, a native id).
type replies struct {
	lock    sync.Mutex
	waiting map[string]chan message
	next    int
}

func newReplies() *replies { return &replies{waiting: map[string]chan message{}} }

func (r *replies) expect() (string, chan message) {
	r.lock.Lock()
	defer r.lock.Unlock()
	r.next++
	key := fmt.Sprintf("t%d", r.next)
	channel := make(chan message, 4)
	r.waiting[key] = channel
	return key, channel
}

func (r *replies) deliver(key string, m message) bool {
	r.lock.Lock()
	channel, found := r.waiting[key]
	r.lock.Unlock()
	if found {
		select {
		case channel <- m:
		default:
		}
	}
	return found
}

func (r *replies) forget(key string) {
	r.lock.Lock()
	delete(r.waiting, key)
	r.lock.Unlock()
}

// wait takes the first message on `channel` that `accept` takes, or fails after `limit`.
func wait(channel chan message, limit time.Duration, closed chan struct{}, accept func(message) (bool, error)) (message, error) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case m := <-channel:
			done, err := accept(m)
			if err != nil {
				return m, err
			}
			if done {
				return m, nil
			}
		case <-closed:
			return nil, fmt.Errorf("the signaling connection closed")
		case <-timer.C:
			return nil, fmt.Errorf("no reply within %v", limit)
		}
	}
}

// candidate is a trickled ICE candidate either way; an empty Candidate is the end.
type candidate struct {
	Candidate     string
	SDPMid        string
	SDPMLineIndex uint16
}

// session is one signaling face seen by one peer connection: offer and answer,
// candidates both ways.
type session interface {
	// publish sends the client's offer and returns the server's answer.
	publish(offer string) (string, error)
	// subscribe asks for the server's offer of the publisher's tracks.
	subscribe() (string, error)
	// answer completes a subscription.
	answer(sdp string) error
	// trickle sends one local candidate (nil: end-of-candidates).
	trickle(c *candidate) error
	// remoteCandidates are the server's trickled candidates.
	remoteCandidates() <-chan candidate
	close()
}
