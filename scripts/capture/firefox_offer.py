"""Captures Firefox's offer to publish its fake camera and microphone with `max-bundle`
(as the demo page's client does), after gathering, into
Tests/Fixtures/firefox-<major>-offer-audio-video-max-bundle.sdp.

Run inside a network namespace that has only `lo` and a default route over it (Firefox
gathers only on the interface of its default route): see scripts/browser/firefox_call.py.
usage: firefox_offer.py SFU PORT    (the server only serves a secure-context page)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from harness import Firefox, Server  # noqa: E402

server = Server(sys.argv[1], int(sys.argv[2]))
firefox = Firefox()
try:
    firefox.navigate(server.base + "/")
    major = firefox.evaluate("navigator.userAgent").split("rv:")[1].split(".")[0]
    sdp = firefox.evaluate("""(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
      const pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
      stream.getTracks().forEach((t) => pc.addTransceiver(t, {direction: 'sendonly', streams: [stream]}));
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((done) => {
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
        setTimeout(done, 5000);
      });
      return pc.localDescription.sdp;
    })()""")
finally:
    firefox.close()
    server.stop()
root = os.path.join(os.path.dirname(__file__), "..", "..")
with open(os.path.join(root, f"Tests/Fixtures/firefox-{major}-offer-audio-video-max-bundle.sdp"), "w", newline="") as out:
    out.write(sdp)
