// pion-peer: an independent WebRTC client (Pion WebRTC v3, as Debian ships it) that
// publishes to and subscribes from a server over the Janus API (VideoRoom) or
// SwiftSFU's native protocol, and reports every connection it tried as JSON.
//
// One publisher sends VP8 (an IVF file) and Opus (an Ogg file), looped; then
// `-subscribers` peers subscribe to it, one at a time (`-mode sequential`: each must be
// receiving before the next starts) or all at once (`-mode concurrent`). A subscriber
// counts when its peer connection is connected and `-frames` whole VP8 frames (from a
// key frame on) and as many Opus packets arrived.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"sync"
	"time"
)

type report struct {
	Face        string   `json:"face"`
	Mode        string   `json:"mode"`
	Trickle     bool     `json:"trickle"`
	Network     string   `json:"network"`
	Lite        bool     `json:"lite"`
	MDNS        bool     `json:"mdns"`
	DTLSServer  bool     `json:"dtls_server"`
	Published   bool     `json:"published"`
	Tried       int      `json:"tried"`
	Connected   int      `json:"connected"`
	Receiving   int      `json:"receiving"`
	Gaps        int64    `json:"sequence_gaps"`
	Failures    []string `json:"failures"`
	ConnectP50  int64    `json:"connect_ms_p50"`
	ConnectMax  int64    `json:"connect_ms_max"`
	TrickleErrs int32    `json:"trickle_errors"`
}

type options struct {
	face, url, mode, video, audio string
	subscribers                   int
	frames                        int64
	limit                         time.Duration
	trickle                       bool
	variant                       variant
}

func main() {
	var o options
	flag.StringVar(&o.face, "face", "janus", "janus or native")
	flag.StringVar(&o.url, "url", "ws://127.0.0.1:8188/", "the face's WebSocket URL")
	flag.StringVar(&o.mode, "mode", "sequential", "sequential or concurrent")
	flag.StringVar(&o.video, "video", "", "an IVF file of VP8 frames")
	flag.StringVar(&o.audio, "audio", "", "an Ogg file of Opus pages")
	flag.IntVar(&o.subscribers, "subscribers", 20, "subscriber peer connections")
	flag.Int64Var(&o.frames, "frames", 10, "video frames (and audio packets) each subscriber must receive")
	flag.DurationVar(&o.limit, "limit", 20*time.Second, "time a peer connection has to connect and receive")
	flag.BoolVar(&o.trickle, "trickle", true, "trickle candidates (otherwise complete descriptions)")
	flag.StringVar(&o.variant.network, "network", "udp4", "udp4, udp6, udp (both) or tcp4 (ICE-TCP only)")
	flag.BoolVar(&o.variant.lite, "lite", false, "be an ICE-lite agent")
	flag.BoolVar(&o.variant.mdns, "mdns", false, "name host candidates <uuid>.local (mDNS)")
	flag.BoolVar(&o.variant.dtlsServer, "dtls-server", false, "answer a=setup:passive (the server is the DTLS client)")
	flag.Parse()
	r := run(o)
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func run(o options) report {
	r := report{Face: o.face, Mode: o.mode, Trickle: o.trickle, Network: o.variant.network, Lite: o.variant.lite,
		MDNS: o.variant.mdns, DTLSServer: o.variant.dtlsServer, Failures: []string{}}
	api, err := newAPI(o.variant)
	if err != nil {
		r.Failures = append(r.Failures, "api: "+err.Error())
		return r
	}
	rand.Seed(time.Now().UnixNano())
	room := uint64(rand.Int63n(1<<40) + 1)
	roomName := fmt.Sprintf("pion-%d", room)
	var publisherSession *janusSession
	open := func(target string) (session, error) {
		if o.face == "native" {
			return openNative(o.url, roomName, target)
		}
		j, err := openJanus(o.url, room)
		if err != nil {
			return nil, err
		}
		if publisherSession != nil {
			j.feed = publisherSession.feed
		}
		return j, nil
	}
	publisherSignaling, err := open("publish")
	if err != nil {
		r.Failures = append(r.Failures, "publisher signaling: "+err.Error())
		return r
	}
	defer publisherSignaling.close()
	if j, ok := publisherSignaling.(*janusSession); ok {
		if err := j.createRoom(); err != nil {
			r.Failures = append(r.Failures, "create room: "+err.Error())
			return r
		}
		publisherSession = j
	}
	p, err := publish(api, publisherSignaling, o.trickle, o.limit)
	if err != nil {
		r.Failures = append(r.Failures, "publisher: "+err.Error())
		return r
	}
	defer p.close()
	r.Published = true
	if err := p.send(o.video, o.audio); err != nil {
		r.Failures = append(r.Failures, "media files: "+err.Error())
		return r
	}

	var lock sync.Mutex
	var connectTimes []int64
	var subscribers []*subscriber
	var sessions []session
	one := func(index int) {
		started := time.Now()
		s, err := open("subscribe")
		if err != nil {
			lock.Lock()
			r.Failures = append(r.Failures, fmt.Sprintf("subscriber %d signaling: %v", index, err))
			lock.Unlock()
			return
		}
		sub, err := subscribe(api, s, o.trickle, o.limit)
		lock.Lock()
		sessions = append(sessions, s)
		lock.Unlock()
		if err != nil {
			lock.Lock()
			r.Failures = append(r.Failures, fmt.Sprintf("subscriber %d: %v", index, err))
			lock.Unlock()
			return
		}
		err = sub.receiving(o.frames, o.limit)
		elapsed := time.Since(started).Milliseconds()
		lock.Lock()
		defer lock.Unlock()
		subscribers = append(subscribers, sub)
		select {
		case <-sub.connection.connected:
			r.Connected++
			connectTimes = append(connectTimes, elapsed)
		default:
		}
		if err != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("subscriber %d: %v", index, err))
			return
		}
		r.Receiving++
	}
	var group sync.WaitGroup
	for index := 0; index < o.subscribers; index++ {
		r.Tried++
		if o.mode == "concurrent" {
			group.Add(1)
			go func(index int) {
				defer group.Done()
				one(index)
			}(index)
		} else {
			one(index)
		}
	}
	group.Wait()
	// Every subscriber still receives once all are set up.
	before := make([]int64, len(subscribers))
	for index, sub := range subscribers {
		before[index] = sub.videoFrames.Load()
	}
	time.Sleep(time.Second)
	for index, sub := range subscribers {
		if sub.videoFrames.Load() == before[index] {
			r.Failures = append(r.Failures, fmt.Sprintf("a subscriber stopped receiving (%d frames)", before[index]))
		}
		r.Gaps += sub.gaps.Load()
		r.TrickleErrs += sub.exchange.failures.Load()
	}
	r.TrickleErrs += p.exchange.failures.Load()
	if r.TrickleErrs > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d candidates were refused or failed to add", r.TrickleErrs))
	}
	for _, sub := range subscribers {
		sub.close()
	}
	for _, s := range sessions {
		s.close()
	}
	sort.Slice(connectTimes, func(a, b int) bool { return connectTimes[a] < connectTimes[b] })
	if n := len(connectTimes); n > 0 {
		r.ConnectP50 = connectTimes[n/2]
		r.ConnectMax = connectTimes[n-1]
	}
	return r
}
