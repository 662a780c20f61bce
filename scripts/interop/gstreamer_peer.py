"""GStreamer's webrtcbin (Debian's gstreamer1.0-plugins-bad, on libnice) as a publisher
and subscribers of one interop-matrix cell (scripts/interop/cells.py): it publishes VP8
(320x240, 15 frames/s) and Opus it encodes, and its subscribers decode both. Runs under
Debian's own python3, which has python3-gi.

usage: gstreamer_peer.py -face janus|native -url URL -mode sequential|concurrent -subscribers N
"""

import asyncio
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

from cells import main  # noqa: E402

PUBLISHER = """
webrtcbin name=webrtc bundle-policy=max-bundle
videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1
  ! vp8enc deadline=1 keyframe-max-dist=15 target-bitrate=300000 ! rtpvp8pay pt=96
  ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! webrtc.
audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111
  ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! webrtc.
"""

DECODERS = {"VP8": "rtpvp8depay ! vp8dec ! fakesink name=sink sync=false",
            "OPUS": "rtpopusdepay ! opusdec ! fakesink name=sink sync=false"}


class Peer:
    """One webrtcbin in a pipeline of its own, with its signaling session."""

    def __init__(self, description, session):
        self.loop = asyncio.get_running_loop()
        self.session = session
        parsed = Gst.parse_launch(description)
        if isinstance(parsed, Gst.Pipeline):
            self.pipeline = parsed
        else:
            self.pipeline = Gst.Pipeline.new()
            self.pipeline.add(parsed)
        self.webrtc = self.pipeline.get_by_name("webrtc")
        self.video_frames = self.audio_frames = 0
        self.ready = False
        self.pending = []
        self.lock = threading.Lock()
        # libnice passes over loopback addresses unless told of them (the tests run in a
        # namespace that has only `lo`).
        self.ice = self.webrtc.get_property("ice-agent")
        self.ice.emit("add-local-ip-address", "127.0.0.1")
        self.webrtc.connect("on-ice-candidate", self.local_candidate)
        self.remote = asyncio.ensure_future(self.remote_candidates())

    @property
    def connected(self):
        state = self.webrtc.get_property("ice-connection-state")
        return state in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                         GstWebRTC.WebRTCICEConnectionState.COMPLETED)

    def local_candidate(self, _, mline, candidate):
        with self.lock:
            if not self.ready:
                self.pending.append((candidate, mline))
                return
        asyncio.run_coroutine_threadsafe(self.session.trickle(candidate, mline), self.loop)

    async def described(self):
        """Both descriptions are set: held candidates go out."""
        with self.lock:
            self.ready = True
            pending, self.pending = self.pending, []
        for candidate, mline in pending:
            await self.session.trickle(candidate, mline)

    async def remote_candidates(self):
        while True:
            candidate, mline = await self.session.candidates.get()
            if candidate is not None:
                self.webrtc.emit("add-ice-candidate", mline, candidate)

    async def call(self, signal, *arguments, reply=None):
        """Emits a webrtcbin action signal that answers through a promise; the text of
        the description named `reply` in its answer, read while the promise holds it."""
        promise = Gst.Promise.new()
        self.webrtc.emit(signal, *arguments, promise)
        await self.loop.run_in_executor(None, promise.wait)
        answer = promise.get_reply() if reply is not None else None
        if answer is None or not answer.has_field(reply):
            return None
        return answer.get_value(reply).sdp.as_text()

    async def set_description(self, local, kind, sdp):
        _, message = GstSdp.SDPMessage.new_from_text(sdp)
        description = GstWebRTC.WebRTCSessionDescription.new(kind, message)
        await self.call("set-local-description" if local else "set-remote-description", description)

    async def close(self):
        self.remote.cancel()
        await self.loop.run_in_executor(None, self.pipeline.set_state, Gst.State.NULL)


class GStreamer:
    def __init__(self):
        Gst.init(None)
        self.main = GLib.MainLoop()
        threading.Thread(target=self.main.run, daemon=True).start()

    async def publish(self, session, limit):
        peer = Peer(PUBLISHER, session)
        # webrtcbin can describe its streams once their caps are known.
        negotiation = asyncio.Event()
        peer.webrtc.connect("on-negotiation-needed", lambda _: peer.loop.call_soon_threadsafe(negotiation.set))
        peer.pipeline.set_state(Gst.State.PLAYING)
        async with asyncio.timeout(limit):
            await negotiation.wait()
        for index in range(2):
            transceiver = peer.webrtc.emit("get-transceiver", index)
            transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        offer = await peer.call("create-offer", None, reply="offer")
        if offer is None:
            raise RuntimeError("webrtcbin made no offer")
        await peer.set_description(True, GstWebRTC.WebRTCSDPType.OFFER, offer)
        answer = await session.publish(offer)
        await peer.set_description(False, GstWebRTC.WebRTCSDPType.ANSWER, answer)
        await peer.described()
        async with asyncio.timeout(limit):
            while not peer.connected:
                await asyncio.sleep(0.02)
        return peer

    async def subscribe(self, session, limit):
        peer = Peer("webrtcbin name=webrtc bundle-policy=max-bundle", session)
        peer.webrtc.connect("pad-added", lambda _, pad: self.decode(peer, pad))
        peer.pipeline.set_state(Gst.State.PLAYING)
        offer = await session.subscribe()
        await peer.set_description(False, GstWebRTC.WebRTCSDPType.OFFER, offer)
        answer = await peer.call("create-answer", None, reply="answer")
        if answer is None:
            raise RuntimeError("webrtcbin made no answer")
        await peer.set_description(True, GstWebRTC.WebRTCSDPType.ANSWER, answer)
        await session.answer(answer)
        await peer.described()
        return peer

    def decode(self, peer, pad):
        """A received stream: decoded into a sink whose buffers are counted."""
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        encoding = pad.get_current_caps().get_structure(0).get_string("encoding-name")
        if encoding not in DECODERS:
            return
        bin = Gst.parse_bin_from_description(DECODERS[encoding], True)
        peer.pipeline.add(bin)
        bin.sync_state_with_parent()
        pad.link(bin.get_static_pad("sink"))

        def count(_, __):
            if encoding == "VP8":
                peer.video_frames += 1
            else:
                peer.audio_frames += 1
            return Gst.PadProbeReturn.OK

        bin.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)


main(GStreamer)
