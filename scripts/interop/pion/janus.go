package main

import (
	"fmt"
	"time"
)

// janusSession is one Janus API session with one VideoRoom handle over a WebSocket
// (subprotocol janus-protocol), as janus.js keeps one per page.
type janusSession struct {
	socket     *socket
	replies    *replies
	candidates chan candidate
	session    uint64
	handle     uint64
	room       uint64
	feed       uint64
	stop       chan struct{}
}

const janusLimit = 10 * time.Second

func openJanus(url string, room uint64) (*janusSession, error) {
	j := &janusSession{replies: newReplies(), candidates: make(chan candidate, 64), room: room, stop: make(chan struct{})}
	s, err := dial(url, []string{"janus-protocol"}, j.route)
	if err != nil {
		return nil, err
	}
	j.socket = s
	created, err := j.request(message{"janus": "create"}, "success")
	if err != nil {
		s.close()
		return nil, fmt.Errorf("create: %w", err)
	}
	j.session = number(created.object("data")["id"])
	attached, err := j.request(message{"janus": "attach", "plugin": "janus.plugin.videoroom", "session_id": j.session}, "success")
	if err != nil {
		s.close()
		return nil, fmt.Errorf("attach: %w", err)
	}
	j.handle = number(attached.object("data")["id"])
	go j.keepAlive()
	return j, nil
}

func number(value interface{}) uint64 {
	if f, ok := value.(float64); ok {
		return uint64(f)
	}
	return 0
}

func (j *janusSession) route(m message) {
	if m.str("janus") == "trickle" {
		c := m.object("candidate")
		if done, _ := c["completed"].(bool); done || c == nil {
			j.candidates <- candidate{}
			return
		}
		index, _ := c["sdpMLineIndex"].(float64)
		j.candidates <- candidate{Candidate: c.str("candidate"), SDPMid: c.str("sdpMid"), SDPMLineIndex: uint16(index)}
		return
	}
	if transaction := m.str("transaction"); transaction != "" {
		j.replies.deliver(transaction, m)
	}
}

func (j *janusSession) keepAlive() {
	ticker := time.NewTicker(20 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			transaction, _ := j.replies.expect()
			j.replies.forget(transaction)
			_ = j.socket.send(message{"janus": "keepalive", "session_id": j.session, "transaction": transaction})
		case <-j.stop:
			return
		case <-j.socket.closed:
			return
		}
	}
}

// request sends `m` with a new transaction and returns the reply whose `janus` is
// `want` (an `ack` before it is passed over); an `error` reply fails.
func (j *janusSession) request(m message, want string) (message, error) {
	transaction, channel := j.replies.expect()
	defer j.replies.forget(transaction)
	m["transaction"] = transaction
	if err := j.socket.send(m); err != nil {
		return nil, err
	}
	return wait(channel, janusLimit, j.socket.closed, func(reply message) (bool, error) {
		switch kind := reply.str("janus"); kind {
		case want:
			if failure := reply.object("plugindata").object("data")["error"]; failure != nil {
				return false, fmt.Errorf("videoroom error: %v", failure)
			}
			return true, nil
		case "error":
			return false, fmt.Errorf("janus error: %v", reply["error"])
		default:
			return false, nil
		}
	})
}

// message sends a VideoRoom request on the handle and returns its plugin data and JSEP.
func (j *janusSession) message(body message, jsep message, want string) (message, message, error) {
	m := message{"janus": "message", "session_id": j.session, "handle_id": j.handle, "body": body}
	if jsep != nil {
		m["jsep"] = jsep
	}
	reply, err := j.request(m, want)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", body["request"], err)
	}
	return reply.object("plugindata").object("data"), reply.object("jsep"), nil
}

// createRoom makes the VideoRoom room the call takes place in.
func (j *janusSession) createRoom() error {
	_, _, err := j.message(message{"request": "create", "room": j.room, "publishers": 4, "is_private": false}, nil, "success")
	return err
}

func (j *janusSession) publish(offer string) (string, error) {
	joined, _, err := j.message(message{"request": "join", "ptype": "publisher", "room": j.room, "display": "pion"}, nil, "event")
	if err != nil {
		return "", err
	}
	j.feed = number(joined["id"])
	_, jsep, err := j.message(message{"request": "publish", "audio": true, "video": true},
		message{"type": "offer", "sdp": offer}, "event")
	if err != nil {
		return "", err
	}
	if jsep.str("type") != "answer" {
		return "", fmt.Errorf("publish: the event has no answer")
	}
	return jsep.str("sdp"), nil
}

func (j *janusSession) subscribe() (string, error) {
	_, jsep, err := j.message(message{"request": "join", "ptype": "subscriber", "room": j.room, "feed": j.feed}, nil, "event")
	if err != nil {
		return "", err
	}
	if jsep.str("type") != "offer" {
		return "", fmt.Errorf("join: the attached event has no offer")
	}
	return jsep.str("sdp"), nil
}

func (j *janusSession) answer(sdp string) error {
	_, _, err := j.message(message{"request": "start", "room": j.room}, message{"type": "answer", "sdp": sdp}, "event")
	return err
}

func (j *janusSession) trickle(c *candidate) error {
	m := message{"janus": "trickle", "session_id": j.session, "handle_id": j.handle}
	if c == nil {
		m["candidate"] = message{"completed": true}
	} else {
		m["candidate"] = message{"candidate": c.Candidate, "sdpMid": c.SDPMid, "sdpMLineIndex": c.SDPMLineIndex}
	}
	_, err := j.request(m, "ack")
	return err
}

func (j *janusSession) remoteCandidates() <-chan candidate { return j.candidates }

func (j *janusSession) close() {
	close(j.stop)
	_, _ = j.request(message{"janus": "destroy", "session_id": j.session}, "success")
	j.socket.close()
}
