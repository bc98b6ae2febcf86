// A second real native gRPC client against a running session-mock: grpc-go, the stack zitadel-go dials
// with. Built against Debian's golang-google-grpc-dev (grpc-go 1.33, GOPATH mode), without generated
// ZITADEL code: SessionService/GetSession goes through a codec that passes []byte through (grpc.ForceCodec
// keeps the content-type application/grpc), its request encoded by hand and its google.rpc.Status detail
// (zitadel.v1.ErrorDetail) read off the wire here. Health and reflection use the stubs grpc-go ships.
// Expects a server started with Seeds/default.json; prints one ok/FAIL line per check, exits 1 on any
// failure. scripts/grpc_go_check.sh builds and runs it.
//
// Usage: grpc_go HOST:PORT
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
)

const (
	session       = "/zitadel.session.v2.SessionService/"
	seededSession = "312909075212468632"
	token         = "admin-pat" // Seeds/default.json: session.read
)

var failures []string

func check(label string, ok bool, detail interface{}) {
	if ok {
		fmt.Printf("ok   %s\n", label)
		return
	}
	fmt.Printf("FAIL %s: %v\n", label, detail)
	failures = append(failures, label)
}

// rawCodec passes []byte through in both directions.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*b = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "raw" }

func appendVarint(out []byte, value uint64) []byte {
	for value >= 0x80 {
		out = append(out, byte(value)|0x80)
		value >>= 7
	}
	return append(out, byte(value))
}

// getSessionRequest is zitadel.session.v2.GetSessionRequest{session_id: id}: field 1, length-delimited.
func getSessionRequest(id string) []byte {
	out := appendVarint([]byte{0x0a}, uint64(len(id)))
	return append(out, id...)
}

type wireField struct {
	number int
	varint uint64
	bytes  []byte
}

func readVarint(buffer []byte, offset int) (uint64, int, error) {
	var value uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if offset >= len(buffer) {
			return 0, 0, errors.New("truncated varint")
		}
		b := buffer[offset]
		offset++
		value |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return value, offset, nil
		}
	}
	return 0, 0, errors.New("varint too long")
}

// wireFields lists every field of one protobuf message; varints and length-delimited only.
func wireFields(buffer []byte) ([]wireField, error) {
	var fields []wireField
	for offset := 0; offset < len(buffer); {
		key, next, err := readVarint(buffer, offset)
		if err != nil {
			return nil, err
		}
		offset = next
		f := wireField{number: int(key >> 3)}
		switch key & 7 {
		case 0:
			if f.varint, offset, err = readVarint(buffer, offset); err != nil {
				return nil, err
			}
		case 2:
			length, next, err := readVarint(buffer, offset)
			if err != nil {
				return nil, err
			}
			if uint64(len(buffer)-next) < length {
				return nil, fmt.Errorf("field %d: %d bytes announced, %d left", f.number, length, len(buffer)-next)
			}
			f.bytes = buffer[next : next+int(length)]
			offset = next + int(length)
		default:
			return nil, fmt.Errorf("unexpected wire type %d for field %d", key&7, f.number)
		}
		fields = append(fields, f)
	}
	return fields, nil
}

type outcome struct {
	response []byte
	err      error
	seconds  float64
}

func (o outcome) status() *status.Status { return status.Convert(o.err) }

func (o outcome) describe() string {
	if o.err == nil {
		return fmt.Sprintf("OK %x", o.response)
	}
	s := o.status()
	return fmt.Sprintf("%s %q", s.Code(), s.Message())
}

// call invokes a unary method with raw request bytes; authorization is "Bearer admin-pat" unless noAuth.
func call(conn *grpc.ClientConn, method string, request []byte, noAuth bool, timeout time.Duration,
	extra ...string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if !noAuth {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	if len(extra) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, extra...)
	}
	var response []byte
	started := time.Now()
	err := conn.Invoke(ctx, method, request, &response, grpc.ForceCodec(rawCodec{}))
	return outcome{response: response, err: err, seconds: time.Since(started).Seconds()}
}

// checkErrorDetail: the status's google.rpc.Status (grpc-status-details-bin) carries one Any of
// type.googleapis.com/zitadel.v1.ErrorDetail whose value is {id: 1, message: 2}.
func checkErrorDetail(label string, o outcome, code codes.Code, message, id, detailMessage string) {
	s := o.status()
	check(label+": "+code.String(), s.Code() == code, o.describe())
	check(label+": message", s.Message() == message, fmt.Sprintf("%q", s.Message()))
	details := s.Proto().GetDetails()
	var urls []string
	for _, d := range details {
		urls = append(urls, d.GetTypeUrl())
	}
	check(label+": one zitadel.v1.ErrorDetail detail",
		len(details) == 1 && details[0].GetTypeUrl() == "type.googleapis.com/zitadel.v1.ErrorDetail", urls)
	if len(details) != 1 {
		return
	}
	fields, err := wireFields(details[0].GetValue())
	if err != nil {
		check(label+": detail decodes", false, err)
		return
	}
	var gotID, gotMessage string
	for _, f := range fields {
		switch f.number {
		case 1:
			gotID = string(f.bytes)
		case 2:
			gotMessage = string(f.bytes)
		}
	}
	check(label+": detail", gotID == id && gotMessage == detailMessage,
		fmt.Sprintf("id %q message %q (%x)", gotID, gotMessage, details[0].GetValue()))
}

func sessionCalls(conn *grpc.ClientConn) {
	o := call(conn, session+"GetSession", getSessionRequest(seededSession), false, 10*time.Second)
	check("GetSession: OK", o.err == nil, o.describe())
	check("GetSession: the answer carries the seeded session id",
		o.err == nil && strings.Contains(string(o.response), seededSession), fmt.Sprintf("%x", o.response))

	o = call(conn, session+"GetSession", getSessionRequest("nope"), false, 10*time.Second)
	checkErrorDetail("GetSession unknown id", o, codes.NotFound, "Session does not exist (QUERY-SFeaa)",
		"QUERY-SFeaa", "Session does not exist")

	o = call(conn, session+"GetSession", getSessionRequest(seededSession), true, 10*time.Second)
	s := o.status()
	check("no authorization: Unauthenticated", s.Code() == codes.Unauthenticated, o.describe())
	check("no authorization: message", s.Message() == "auth header missing", fmt.Sprintf("%q", s.Message()))

	o = call(conn, session+"NoSuchRpc", getSessionRequest(seededSession), false, 10*time.Second)
	check("unknown method of a known service: Unimplemented", o.status().Code() == codes.Unimplemented,
		o.describe())
	o = call(conn, "/zitadel.nosuch.v1.NoSuchService/GetSession", getSessionRequest(seededSession), false,
		10*time.Second)
	check("unknown service: Unimplemented", o.status().Code() == codes.Unimplemented, o.describe())

	o = call(conn, session+"GetSession", getSessionRequest(seededSession), false, 300*time.Millisecond,
		"x-mock-delay-ms", "2000")
	check("deadline (300 ms, x-mock-delay-ms 2000): DeadlineExceeded",
		o.status().Code() == codes.DeadlineExceeded, o.describe())
	check(fmt.Sprintf("deadline: returned in under 1.5 s (%.3f s)", o.seconds), o.seconds < 1.5,
		fmt.Sprintf("%.3f s", o.seconds))

	// The connection is still good after the deadline call.
	o = call(conn, session+"GetSession", getSessionRequest(seededSession), false, 10*time.Second)
	check("GetSession after the deadline: OK",
		o.err == nil && strings.Contains(string(o.response), seededSession), o.describe())
}

func healthCalls(conn *grpc.ClientConn) {
	health := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answer, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: ""})
	check(`health Check "": SERVING`,
		err == nil && answer.GetStatus() == healthpb.HealthCheckResponse_SERVING, fmt.Sprint(answer, err))
	answer, err = health.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope.Service"})
	s := status.Convert(err)
	check(`health Check "nope.Service": NotFound`,
		err != nil && s.Code() == codes.NotFound && s.Message() == "unknown service nope.Service",
		fmt.Sprintf("%v %s %q", answer, s.Code(), s.Message()))
}

func reflectionCalls(conn *grpc.ClientConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		check("reflection v1alpha: stream opens", false, err)
		return
	}
	err = stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	})
	if err != nil {
		check("reflection v1alpha: ListServices sent", false, err)
		return
	}
	answer, err := stream.Recv()
	if err != nil {
		check("reflection v1alpha: ListServices answered", false, err)
		return
	}
	var names []string
	for _, service := range answer.GetListServicesResponse().GetService() {
		names = append(names, service.GetName())
	}
	has := func(name string) bool {
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	}
	check("reflection v1alpha: ListServices includes zitadel.session.v2.SessionService and grpc.health.v1.Health",
		has("zitadel.session.v2.SessionService") && has("grpc.health.v1.Health"), names)
	err = stream.CloseSend()
	if err == nil {
		_, err = stream.Recv()
	}
	check("reflection v1alpha: the stream ends cleanly after CloseSend", err == io.EOF, err)
}

func main() {
	if len(os.Args) != 2 || strings.Contains(os.Args[1], "/") {
		fmt.Fprintf(os.Stderr, "usage: %s HOST:PORT (got %q)\n", os.Args[0], os.Args[1:])
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	// Plain TCP, HTTP/2 with prior knowledge (grpc-go 1.33 has no credentials/insecure).
	conn, err := grpc.DialContext(ctx, os.Args[1], grpc.WithInsecure(), grpc.WithBlock())
	cancel()
	if err != nil {
		fmt.Printf("FAIL connect to %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	defer conn.Close()
	fmt.Printf("grpc-go %s -> %s\n", grpc.Version, os.Args[1])

	sessionCalls(conn)
	healthCalls(conn)
	reflectionCalls(conn)

	if len(failures) > 0 {
		fmt.Printf("%d check(s) failed: %s\n", len(failures), strings.Join(failures, ", "))
		conn.Close()
		os.Exit(1)
	}
	fmt.Println("grpc-go client: all checks passed")
}
