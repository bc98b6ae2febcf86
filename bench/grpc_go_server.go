// A canned grpc-go server for bench/grpc.sh: the reference a real gRPC stack sets. It answers the unary
// method /zitadel.session.v2.SessionService/GetSession with fixed protobuf bytes, whatever the request,
// without generated code: the service is a grpc.ServiceDesc written by hand, and a codec that passes
// []byte through stands in for protobuf (the request is decoded into raw bytes and dropped).
//
// Built against Debian's golang-google-grpc-dev (grpc-go 1.33), which predates grpc.ForceServerCodec
// (1.38); its equivalent there is grpc.CustomCodec (deprecated, "supported throughout 1.x"), which also
// replaces the codec lookup by content-subtype for every request.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o bench/out/grpc-go-server bench/grpc_go_server.go
//	bench/out/grpc-go-server --port 18962 [--payload HEX]
//
// The payload is the hex of the response message (--payload, else PAYLOAD_HEX, else the default below:
// the 51-byte GetSessionResponse bench/bare_nghttp2.c also defaults to). Listens on 127.0.0.1 only, plain
// TCP (h2c, prior knowledge), advertising 100 concurrent streams as bare-nghttp2 does; GOMAXPROCS is
// Go's default (one per core). SIGINT/SIGTERM stop it.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"os"

	"google.golang.org/grpc"
)

const defaultPayloadHex = "0a310a12333132393039303735323132343638363332120c08bfe8a6be061090bfd6dc021a0b08c0e8a6be0610a8c4f6482004"

// rawCodec passes []byte through in both directions.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case *[]byte:
		return *b, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*b = data
	return nil
}

func (rawCodec) String() string { return "raw" }
func (rawCodec) Name() string   { return "raw" }

func main() {
	port := flag.Int("port", 18962, "TCP port on 127.0.0.1")
	payloadHex := flag.String("payload", os.Getenv("PAYLOAD_HEX"), "response message as hex")
	flag.String("host", "", "ignored (bench scripts pass it to every server)")
	flag.String("log-level", "", "ignored")
	flag.Parse()
	if *payloadHex == "" {
		*payloadHex = defaultPayloadHex
	}
	payload, err := hex.DecodeString(*payloadHex)
	if err != nil {
		log.Fatalf("grpc-go-server: payload is not hex: %v", err)
	}

	getSession := func(srv interface{}, ctx context.Context, dec func(interface{}) error,
		interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
		var request []byte
		if err := dec(&request); err != nil {
			return nil, err
		}
		return payload, nil
	}
	service := grpc.ServiceDesc{
		ServiceName: "zitadel.session.v2.SessionService",
		HandlerType: (*interface{})(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "GetSession", Handler: getSession}},
		Streams:     []grpc.StreamDesc{},
		Metadata:    "zitadel/session/v2/session_service.proto",
	}

	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatalf("grpc-go-server: %v", err)
	}
	server := grpc.NewServer(grpc.CustomCodec(rawCodec{}), grpc.MaxConcurrentStreams(100))
	server.RegisterService(&service, struct{}{})
	fmt.Fprintf(os.Stderr, "grpc-go-server listening on http://127.0.0.1:%d (h2c, %d-byte payload)\n", *port, len(payload))
	if err := server.Serve(listener); err != nil {
		log.Fatalf("grpc-go-server: %v", err)
	}
}
