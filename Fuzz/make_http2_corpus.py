#!/usr/bin/env python3
"""Writes Fuzz/corpus/http2/: what HTTP/2 clients send after the preface, made with the h2 library
(pip install h2): REST, Connect, gRPC-Web, native gRPC (unary, gzip, deadline), reflection and health
streams, control-plane frames (PING, SETTINGS, WINDOW_UPDATE, RST_STREAM, GOAWAY) and a header block
split into CONTINUATION frames. Run it again after changing it; the files are committed."""
import gzip
import os
import struct
import sys

import h2.config
import h2.connection

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "http2")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(message: bytes, compressed: bool = False) -> bytes:
    return struct.pack(">BI", 1 if compressed else 0, len(message)) + message


def client():
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    return conn


def request(conn, method, path, headers=(), body=b"", end=True):
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [(":method", method), (":scheme", "http"), (":authority", "localhost"),
                               (":path", path)] + list(headers), end_stream=not body and end)
    if body:
        conn.send_data(stream, body, end_stream=end)
    return stream


def write(name, conn):
    data = conn.data_to_send()
    assert data.startswith(PREFACE)
    with open(os.path.join(OUT, name), "wb") as out:
        out.write(data[len(PREFACE):])


def session_request(session_id=b"312909075212468632"):
    return b"\x0a" + bytes([len(session_id)]) + session_id


def main():
    os.makedirs(OUT, exist_ok=True)
    admin = [("authorization", "Bearer admin-pat")]
    grpc = [("content-type", "application/grpc"), ("te", "trailers")]

    conn = client()
    request(conn, "GET", "/v2/sessions/312909075212468632?sessionToken=x", admin)
    request(conn, "GET", "/__admin/health")
    request(conn, "HEAD", "/v2/settings/login?ctx.orgId=1", admin)
    write("rest", conn)

    conn = client()
    request(conn, "POST", "/zitadel.session.v2.SessionService/GetSession",
            admin + [("content-type", "application/json")], b'{"sessionId":"312909075212468632"}')
    request(conn, "POST", "/zitadel.session.v2.SessionService/GetSession",
            admin + [("content-type", "application/grpc-web+proto")], frame(session_request()))
    write("connect-grpcweb", conn)

    conn = client()
    request(conn, "POST", "/zitadel.session.v2.SessionService/GetSession", admin + grpc, frame(session_request()))
    request(conn, "POST", "/zitadel.session.v2.SessionService/GetSession",
            admin + grpc + [("grpc-encoding", "gzip"), ("grpc-timeout", "100m"), ("x-mock-delay-ms", "500")],
            frame(gzip.compress(session_request()), compressed=True))
    request(conn, "POST", "/zitadel.user.v2.UserService/ListUsers", admin + grpc, frame(b""))
    request(conn, "POST", "/zitadel.session.v2.SessionService/CreateSession",
            [("authorization", "Bearer login-pat")] + grpc,
            frame(b"\x0a\x16\x0a\x14\x12\x12minnie@example.com"))
    write("grpc-unary", conn)

    conn = client()
    reflection = b"\x3a\x00"  # list_services: ""
    symbol = b"\x22" + bytes([len("zitadel.session.v2.SessionService")]) + b"zitadel.session.v2.SessionService"
    stream = request(conn, "POST", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", grpc,
                     frame(reflection), end=False)
    conn.send_data(stream, frame(symbol), end_stream=True)
    request(conn, "POST", "/grpc.health.v1.Health/Check", grpc, frame(b""))
    request(conn, "POST", "/grpc.health.v1.Health/Watch", grpc, frame(b"\x0a\x01x"))
    write("grpc-streams", conn)

    conn = client()
    conn.ping(b"12345678")
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1,
                          h2.settings.SettingCodes.MAX_FRAME_SIZE: 16384})
    stream = request(conn, "GET", "/__admin/openapi.yaml")
    conn.increment_flow_control_window(10, stream_id=stream)
    conn.increment_flow_control_window(1000)
    stream = request(conn, "POST", "/v2/sessions", admin + [("content-type", "application/json")], b"{", end=False)
    conn.reset_stream(stream)
    conn.close_connection()
    write("control", conn)

    conn = client()
    conn.max_outbound_frame_size = 16384
    request(conn, "GET", "/v2/sessions/x", admin + [("x-long", "a" * 20000)])
    write("continuation", conn)
    print(f"wrote {len(os.listdir(OUT))} files into {OUT}")


if __name__ == "__main__":
    sys.exit(main())
