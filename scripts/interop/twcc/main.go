// Transport-wide congestion-control feedback through Pion's code, for the tests that
// check the server's encoder and parser against an independent implementation.
//
// One JSON request per line on stdin, one JSON reply per line on stdout:
//
//	{"op": "decode", "hex": "…"}  parses a compound RTCP datagram with pion/rtcp and
//	                              replies {"packets": [{"base", "count", "reference",
//	                              "feedback_count", "statuses": [{"seq", "received",
//	                              "delta_us"}]}]}
//	{"op": "record", "media_ssrc": n, "arrivals": [[seq, microseconds], …]}
//	                              records the arrivals with pion/interceptor's twcc
//	                              Recorder and replies {"hex": ["…", …]}, one feedback
//	                              packet per entry
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

type request struct {
	Op        string     `json:"op"`
	Hex       string     `json:"hex"`
	MediaSSRC uint32     `json:"media_ssrc"`
	Arrivals  [][2]int64 `json:"arrivals"`
}

type status struct {
	Seq      uint16 `json:"seq"`
	Received bool   `json:"received"`
	DeltaUS  int64  `json:"delta_us"`
}

type packet struct {
	Base          uint16   `json:"base"`
	Count         uint16   `json:"count"`
	Reference     uint32   `json:"reference"`
	FeedbackCount uint8    `json:"feedback_count"`
	Statuses      []status `json:"statuses"`
}

// symbols expands a packet's chunks into one status symbol per packet.
func symbols(feedback *rtcp.TransportLayerCC) []uint16 {
	var list []uint16
	for _, chunk := range feedback.PacketChunks {
		switch c := chunk.(type) {
		case *rtcp.RunLengthChunk:
			for i := uint16(0); i < c.RunLength; i++ {
				list = append(list, c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			list = append(list, c.SymbolList...)
		}
	}
	if len(list) > int(feedback.PacketStatusCount) {
		list = list[:feedback.PacketStatusCount]
	}
	return list
}

func decode(text string) (interface{}, error) {
	bytes, err := hex.DecodeString(text)
	if err != nil {
		return nil, err
	}
	parsed, err := rtcp.Unmarshal(bytes)
	if err != nil {
		return nil, err
	}
	packets := []packet{}
	for _, p := range parsed {
		feedback, ok := p.(*rtcp.TransportLayerCC)
		if !ok {
			return nil, fmt.Errorf("not transport-wide feedback: %T", p)
		}
		out := packet{
			Base:          feedback.BaseSequenceNumber,
			Count:         feedback.PacketStatusCount,
			Reference:     feedback.ReferenceTime,
			FeedbackCount: feedback.FbPktCount,
		}
		next := 0
		for index, symbol := range symbols(feedback) {
			entry := status{Seq: feedback.BaseSequenceNumber + uint16(index)}
			if symbol != rtcp.TypeTCCPacketNotReceived {
				if next >= len(feedback.RecvDeltas) {
					return nil, fmt.Errorf("fewer deltas than received packets")
				}
				entry.Received = true
				entry.DeltaUS = feedback.RecvDeltas[next].Delta
				next++
			}
			out.Statuses = append(out.Statuses, entry)
		}
		packets = append(packets, out)
	}
	return map[string]interface{}{"packets": packets}, nil
}

func record(r request) (interface{}, error) {
	recorder := twcc.NewRecorder(1)
	for _, arrival := range r.Arrivals {
		recorder.Record(r.MediaSSRC, uint16(arrival[0]), arrival[1])
	}
	encoded := []string{}
	for _, p := range recorder.BuildFeedbackPacket() {
		bytes, err := p.Marshal()
		if err != nil {
			return nil, err
		}
		encoded = append(encoded, hex.EncodeToString(bytes))
	}
	return map[string]interface{}{"hex": encoded}, nil
}

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	encoder := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		var r request
		var reply interface{}
		err := json.Unmarshal(scanner.Bytes(), &r)
		if err == nil {
			switch r.Op {
			case "decode":
				reply, err = decode(r.Hex)
			case "record":
				reply, err = record(r)
			default:
				err = fmt.Errorf("unknown op %q", r.Op)
			}
		}
		if err != nil {
			reply = map[string]string{"error": err.Error()}
		}
		if encodeErr := encoder.Encode(reply); encodeErr != nil {
			os.Exit(1)
		}
	}
}
