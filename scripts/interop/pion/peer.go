package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
	"github.com/pion/webrtc/v3/pkg/media/samplebuilder"
)

// variant is how this client departs from a browser, to find what only browsers forgive.
type variant struct {
	// network: "udp4", "udp6", "udp" (both), or "tcp4": only ICE-TCP candidates,
	// passive ones on one listener (Pion v3.1 does not dial), which the server's active
	// candidates connect to.
	network string
	// lite: an ICE-lite agent (`a=ice-lite`): the server must take the controlling role.
	lite bool
	// mdns: host candidates named `<uuid>.local` (RFC 8828) instead of addresses.
	mdns bool
	// dtlsServer: answer `a=setup:passive`, so that the server is the DTLS client.
	dtlsServer bool
}

// newAPI is Pion with its default codecs and interceptors (NACK, RTCP reports) and host
// candidates on loopback (the tests run in a namespace that has only `lo`).
func newAPI(v variant) (*webrtc.API, error) {
	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(engine, registry); err != nil {
		return nil, err
	}
	settings := webrtc.SettingEngine{}
	settings.SetIncludeLoopbackCandidate(true)
	var networks []webrtc.NetworkType
	switch v.network {
	case "udp4":
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	case "udp6":
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP6}
	case "udp":
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	case "tcp4":
		listener, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		settings.SetICETCPMux(ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: listener, ReadBufferSize: 64}))
		networks = []webrtc.NetworkType{webrtc.NetworkTypeTCP4}
	default:
		return nil, fmt.Errorf("unknown network %q", v.network)
	}
	settings.SetNetworkTypes(networks)
	settings.SetLite(v.lite)
	if v.mdns {
		settings.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryAndGather)
	}
	if v.dtlsServer {
		if err := settings.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
			return nil, err
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings)), nil
}

// exchange wires candidates between a peer connection and its signaling: local ones go
// out after the description exchange (or not at all without trickle, when the
// description carries them), remote ones are added once the remote description is set.
type exchange struct {
	pc       *webrtc.PeerConnection
	session  session
	trickles bool
	lock     sync.Mutex
	ready    bool
	pending  []*candidate
	failures atomic.Int32
}

func newExchange(pc *webrtc.PeerConnection, s session, trickles bool) *exchange {
	e := &exchange{pc: pc, session: s, trickles: trickles}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if !e.trickles {
			return
		}
		var local *candidate
		if c != nil {
			init := c.ToJSON()
			local = &candidate{Candidate: init.Candidate}
			if init.SDPMid != nil {
				local.SDPMid = *init.SDPMid
			}
			if init.SDPMLineIndex != nil {
				local.SDPMLineIndex = *init.SDPMLineIndex
			}
		}
		e.lock.Lock()
		if !e.ready {
			e.pending = append(e.pending, local)
			e.lock.Unlock()
			return
		}
		e.lock.Unlock()
		e.send(local)
	})
	return e
}

func (e *exchange) send(c *candidate) {
	if e.session.trickle(c) != nil {
		e.failures.Add(1)
	}
}

// described: both descriptions are set; pending candidates go out, remote ones come in.
func (e *exchange) described() {
	e.lock.Lock()
	e.ready = true
	pending := e.pending
	e.pending = nil
	e.lock.Unlock()
	for _, c := range pending {
		e.send(c)
	}
	go func() {
		for c := range e.session.remoteCandidates() {
			if c.Candidate == "" {
				continue
			}
			mid := c.SDPMid
			index := c.SDPMLineIndex
			init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMLineIndex: &index}
			if mid != "" {
				init.SDPMid = &mid
			}
			if e.pc.AddICECandidate(init) != nil {
				e.failures.Add(1)
			}
		}
	}()
}

// localDescription is what goes on the wire: with trickle, the description as set;
// without, once gathering completed, with every candidate in it.
func (e *exchange) localDescription(limit time.Duration) (string, error) {
	if !e.trickles {
		select {
		case <-webrtc.GatheringCompletePromise(e.pc):
		case <-time.After(limit):
			return "", errors.New("gathering did not complete")
		}
	}
	return e.pc.LocalDescription().SDP, nil
}

// publisher sends an IVF file's VP8 frames and an Ogg file's Opus pages, looped.
type publisher struct {
	exchange *exchange
	pc       *webrtc.PeerConnection
	session  session
	video    *webrtc.TrackLocalStaticSample
	audio    *webrtc.TrackLocalStaticSample
	stop     chan struct{}
	stopping sync.Once
}

func publish(api *webrtc.API, s session, trickles bool, limit time.Duration) (*publisher, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &publisher{pc: pc, session: s, stop: make(chan struct{})}
	p.video, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
	p.audio, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "pion")
	for _, track := range []webrtc.TrackLocal{p.audio, p.video} {
		sender, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			pc.Close()
			return nil, err
		}
		go drainRTCP(sender.Sender())
	}
	connected := watchConnection(pc)
	e := newExchange(pc, s, trickles)
	p.exchange = e
	offer, err := pc.CreateOffer(nil)
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	var sdp, answer string
	if err == nil {
		sdp, err = e.localDescription(limit)
	}
	if err == nil {
		answer, err = s.publish(sdp)
	}
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	}
	if err != nil {
		pc.Close()
		return nil, err
	}
	e.described()
	if err := connected.wait(limit); err != nil {
		pc.Close()
		return nil, fmt.Errorf("publisher: %w", err)
	}
	return p, nil
}

func drainRTCP(sender *webrtc.RTPSender) {
	buffer := make([]byte, 1500)
	for {
		if _, _, err := sender.Read(buffer); err != nil {
			return
		}
	}
}

// send loops the files until `close`: a VP8 frame per tick of the IVF file's time base,
// an Opus page every 20 ms.
func (p *publisher) send(videoPath, audioPath string) error {
	video, err := os.ReadFile(videoPath)
	if err != nil {
		return err
	}
	audio, err := os.ReadFile(audioPath)
	if err != nil {
		return err
	}
	_, header, err := ivfreader.NewWith(&bytesReader{data: video})
	if err != nil {
		return err
	}
	frame := time.Second * time.Duration(header.TimebaseNumerator) / time.Duration(header.TimebaseDenominator)
	go p.loop(p.video, frame, func() (func() ([]byte, time.Duration, error), error) {
		reader, _, err := ivfreader.NewWith(&bytesReader{data: video})
		return func() ([]byte, time.Duration, error) {
			data, _, err := reader.ParseNextFrame()
			return data, frame, err
		}, err
	})
	const page = 20 * time.Millisecond
	go p.loop(p.audio, page, func() (func() ([]byte, time.Duration, error), error) {
		reader, _, err := oggreader.NewWith(&bytesReader{data: audio})
		var last uint64
		return func() ([]byte, time.Duration, error) {
			data, header, err := reader.ParseNextPage()
			duration := page
			if err == nil && header.GranulePosition > last && last > 0 {
				duration = time.Duration(header.GranulePosition-last) * time.Second / 48000
			}
			if err == nil {
				last = header.GranulePosition
			}
			return data, duration, err
		}, err
	})
	return nil
}

// loop writes one sample of what `open` reads per tick, from the start again at the end,
// until `close`.
func (p *publisher) loop(track *webrtc.TrackLocalStaticSample, tick time.Duration,
	open func() (func() ([]byte, time.Duration, error), error)) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		next, err := open()
		if err != nil {
			return
		}
		for {
			data, duration, err := next()
			if err != nil {
				break
			}
			select {
			case <-ticker.C:
			case <-p.stop:
				return
			}
			_ = track.WriteSample(media.Sample{Data: data, Duration: duration})
		}
	}
}

type bytesReader struct {
	data []byte
	at   int
}

func (r *bytesReader) Read(into []byte) (int, error) {
	if r.at >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(into, r.data[r.at:])
	r.at += n
	return n, nil
}

func (p *publisher) close() {
	p.stopping.Do(func() { close(p.stop) })
	p.pc.Close()
}

// connection reports when a peer connection is connected, or that it failed.
type connection struct {
	connected chan struct{}
	failed    chan struct{}
	last      atomic.Value
	once      sync.Once
	failOnce  sync.Once
}

func watchConnection(pc *webrtc.PeerConnection) *connection {
	c := &connection{connected: make(chan struct{}), failed: make(chan struct{})}
	c.last.Store("new")
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		c.last.Store(state.String())
		switch state {
		case webrtc.PeerConnectionStateConnected:
			c.once.Do(func() { close(c.connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.failOnce.Do(func() { close(c.failed) })
		}
	})
	return c
}

func (c *connection) wait(limit time.Duration) error {
	select {
	case <-c.connected:
		return nil
	case <-c.failed:
		return fmt.Errorf("the peer connection %s", c.last.Load())
	case <-time.After(limit):
		return fmt.Errorf("not connected within %v (state %s)", limit, c.last.Load())
	}
}

// subscriber receives the publisher's tracks and counts what arrives: whole VP8 frames
// rebuilt from RTP (the first a key frame), Opus packets, sequence gaps.
type subscriber struct {
	pc           *webrtc.PeerConnection
	session      session
	connection   *connection
	videoFrames  atomic.Int64
	keyFrames    atomic.Int64
	audioPackets atomic.Int64
	gaps         atomic.Int64
	exchange     *exchange
}

func subscribe(api *webrtc.API, s session, trickles bool, limit time.Duration) (*subscriber, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	r := &subscriber{pc: pc, session: s, connection: watchConnection(pc)}
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() == webrtc.RTPCodecTypeVideo {
			r.readVideo(track)
		} else {
			r.read(track, func(*rtp.Packet) { r.audioPackets.Add(1) })
		}
	})
	r.exchange = newExchange(pc, s, trickles)
	offer, err := s.subscribe()
	var answer webrtc.SessionDescription
	var sdp string
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer})
	}
	if err == nil {
		answer, err = pc.CreateAnswer(nil)
	}
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err == nil {
		sdp, err = r.exchange.localDescription(limit)
	}
	if err == nil {
		err = s.answer(sdp)
	}
	if err != nil {
		pc.Close()
		return nil, err
	}
	r.exchange.described()
	return r, nil
}

// read hands each RTP packet of `track` to `each` until the track ends, counting gaps
// in its sequence numbers.
func (r *subscriber) read(track *webrtc.TrackRemote, each func(*rtp.Packet)) {
	var last uint16
	for started := false; ; started = true {
		packet, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		if started && packet.SequenceNumber != last+1 {
			r.gaps.Add(1)
		}
		last = packet.SequenceNumber
		each(packet)
	}
}

// readVideo rebuilds whole VP8 frames and counts them from the first key frame on.
func (r *subscriber) readVideo(track *webrtc.TrackRemote) {
	builder := samplebuilder.New(64, &codecs.VP8Packet{}, track.Codec().ClockRate)
	r.read(track, func(packet *rtp.Packet) {
		builder.Push(packet)
		for sample := builder.Pop(); sample != nil; sample = builder.Pop() {
			// RFC 6386 §9.1: bit 0 of the frame tag is 0 on a key frame.
			isKey := len(sample.Data) > 0 && sample.Data[0]&0x01 == 0
			if isKey {
				r.keyFrames.Add(1)
			}
			if isKey || r.keyFrames.Load() > 0 {
				r.videoFrames.Add(1)
			}
		}
	})
}

// receiving waits until the connection is up and `frames` decodable video frames (from
// a key frame on) and as many audio packets arrived.
func (r *subscriber) receiving(frames int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	if err := r.connection.wait(limit); err != nil {
		return err
	}
	for time.Now().Before(deadline) {
		if r.videoFrames.Load() >= frames && r.audioPackets.Load() >= frames {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("connected, but %d video frames (%d key) and %d audio packets arrived in %v",
		r.videoFrames.Load(), r.keyFrames.Load(), r.audioPackets.Load(), limit)
}

func (r *subscriber) close() { r.pc.Close() }
