package main

import (
	"fmt"
	"time"
)

// nativeSession is one participant of SwiftSFU's native protocol (docs/native-protocol.md)
// with one peer connection: `target` is "publish" or "subscribe".
type nativeSession struct {
	socket     *socket
	replies    *replies
	candidates chan candidate
	target     string
}

func openNative(url, room, target string) (*nativeSession, error) {
	n := &nativeSession{replies: newReplies(), candidates: make(chan candidate, 64), target: target}
	s, err := dial(url, nil, n.route)
	if err != nil {
		return nil, err
	}
	n.socket = s
	if _, err := n.request(message{"type": "join", "room": room, "displayName": "pion"}, "joined"); err != nil {
		s.close()
		return nil, fmt.Errorf("join: %w", err)
	}
	return n, nil
}

func (n *nativeSession) route(m message) {
	if id := m.str("id"); id != "" {
		n.replies.deliver(id, m)
		return
	}
	if m.str("type") == "trickle" && m.str("target") == n.target {
		c := m.object("candidate")
		if c == nil || c.str("candidate") == "" {
			n.candidates <- candidate{}
			return
		}
		index, _ := c["sdpMLineIndex"].(float64)
		n.candidates <- candidate{Candidate: c.str("candidate"), SDPMid: c.str("sdpMid"), SDPMLineIndex: uint16(index)}
	}
}

func (n *nativeSession) request(m message, want string) (message, error) {
	id, channel := n.replies.expect()
	defer n.replies.forget(id)
	m["id"] = id
	if err := n.socket.send(m); err != nil {
		return nil, err
	}
	return wait(channel, 10*time.Second, n.socket.closed, func(reply message) (bool, error) {
		if reply.str("type") == "error" {
			return false, fmt.Errorf("%s: %s", reply.str("code"), reply.str("message"))
		}
		return reply.str("type") == want, nil
	})
}

func (n *nativeSession) publish(offer string) (string, error) {
	reply, err := n.request(message{"type": "publish", "sdp": offer}, "published")
	if err != nil {
		return "", fmt.Errorf("publish: %w", err)
	}
	return reply.str("sdp"), nil
}

func (n *nativeSession) subscribe() (string, error) {
	reply, err := n.request(message{"type": "subscribe"}, "offer")
	if err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	return reply.str("sdp"), nil
}

func (n *nativeSession) answer(sdp string) error {
	if _, err := n.request(message{"type": "answer", "sdp": sdp}, "subscribed"); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return nil
}

func (n *nativeSession) trickle(c *candidate) error {
	m := message{"type": "trickle", "target": n.target, "candidate": nil}
	if c != nil {
		m["candidate"] = message{"candidate": c.Candidate, "sdpMid": c.SDPMid, "sdpMLineIndex": c.SDPMLineIndex}
	}
	_, err := n.request(m, "ack")
	return err
}

func (n *nativeSession) remoteCandidates() <-chan candidate { return n.candidates }

func (n *nativeSession) close() {
	_, _ = n.request(message{"type": "leave"}, "left")
	n.socket.close()
}
