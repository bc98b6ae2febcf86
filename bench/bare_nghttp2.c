/* The HTTP/2 ceiling for bench/grpc.sh: libnghttp2 alone, as bench/bare_mhd.c is for HTTP/1.1. Plain TCP
 * with prior knowledge (h2c, no TLS, no Upgrade), on 127.0.0.1 only, one thread per core, each with its own
 * SO_REUSEPORT listener and epoll(7) loop. Each connection is an nghttp2 server session driven with
 * nghttp2_session_mem_recv (one recv(2) per readiness event) and nghttp2_session_mem_send: every frame the
 * session has pending is gathered into one buffer and sent with one send(2) per loop turn.
 *
 * Every request, on any path and with any body, gets the same canned gRPC unary answer:
 *   HEADERS  :status 200, content-type: application/grpc
 *   DATA     5-byte gRPC message header (0 = uncompressed, 4-byte big-endian length) + the payload
 *   HEADERS  grpc-status: 0 (trailers, END_STREAM), submitted with nghttp2_submit_trailer from the data
 *            source's read callback when it sets NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM
 * SETTINGS advertises SETTINGS_MAX_CONCURRENT_STREAMS 100.
 *
 *   cc -O2 -o bare-nghttp2 bench/bare_nghttp2.c $(pkg-config --cflags --libs libnghttp2) -lpthread
 *   ./bare-nghttp2 serve --port 18961 [--payload HEX] [--threads N]
 *   ./bare-nghttp2 18961
 *
 * The payload is protobuf bytes given as hex (--payload, else the environment variable PAYLOAD_HEX, else
 * the default below: a 51-byte zitadel.session.v2.GetSessionResponse with the seeded session's id, creation
 * and change dates and sequence). Arguments it does not know (--host, --log-level) are ignored, so it starts
 * as session-mock does. SIGINT/SIGTERM stop it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PAYLOAD_HEX \
    "0a310a12333132393039303735323132343638363332120c08bfe8a6be061090bfd6dc021a0b08c0e8a6be0610a8c4f6482004"
#define READ_SIZE (64 * 1024)

static uint8_t *message;     /* the gRPC message: 5-byte header + payload */
static size_t message_size;
static unsigned short port = 18961;

static const nghttp2_nv response_headers[] = {
    {(uint8_t *) ":status", (uint8_t *) "200", 7, 3, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE},
    {(uint8_t *) "content-type", (uint8_t *) "application/grpc", 12, 16,
     NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE},
};
static const nghttp2_nv trailers[] = {
    {(uint8_t *) "grpc-status", (uint8_t *) "0", 11, 1, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE},
};

struct connection {
    int fd;
    nghttp2_session *session;
    uint8_t *out;            /* frames gathered from nghttp2_session_mem_send, not yet sent */
    size_t out_len, out_sent, out_cap;
    int want_write;          /* EPOLLOUT registered */
};

/* The DATA frame's bytes. source->ptr holds how much of the message this stream has sent (nghttp2 passes
 * the address of the data provider it keeps for the stream, so the change persists between calls). */
static ssize_t read_message(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                            uint32_t *data_flags, nghttp2_data_source *source, void *user_data) {
    (void) user_data;
    size_t offset = (size_t) (uintptr_t) source->ptr;
    size_t n = message_size - offset;
    if (n > length) n = length;
    memcpy(buf, message + offset, n);
    offset += n;
    source->ptr = (void *) (uintptr_t) offset;
    if (offset == message_size) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (nghttp2_submit_trailer(session, stream_id, trailers, 1) != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t) n;
}

static int answered; /* stream user data once a stream has its answer */

/* A request is complete when its HEADERS (no body) or its last DATA frame carries END_STREAM. */
static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data) {
    (void) user_data;
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        nghttp2_session_get_stream_user_data(session, frame->hd.stream_id) == NULL) {
        nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, &answered);
        nghttp2_data_provider provider = {.source = {.ptr = NULL}, .read_callback = read_message};
        nghttp2_submit_response(session, frame->hd.stream_id, response_headers, 2, &provider);
    }
    return 0;
}

static nghttp2_session_callbacks *callbacks;

static void close_connection(int epoll, struct connection *c) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    nghttp2_session_del(c->session);
    free(c->out);
    free(c);
}

/* Sends what is gathered; then, once everything has gone, gathers every frame nghttp2 has pending into the
 * buffer and sends it with one send(2). Returns -1 when the connection is to be closed. */
static int flush(int epoll, struct connection *c) {
    for (int gathered = 0;; gathered = 1) {
        while (c->out_sent < c->out_len) {
            ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) return -1;
                if (!c->want_write) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                    epoll_ctl(epoll, EPOLL_CTL_MOD, c->fd, &ev);
                    c->want_write = 1;
                }
                return 0;
            }
            c->out_sent += (size_t) n;
        }
        c->out_len = c->out_sent = 0;
        if (gathered) break;
        for (;;) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(c->session, &data);
            if (n < 0) return -1;
            if (n == 0) break;
            if (c->out_len + (size_t) n > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 16384;
                while (cap < c->out_len + (size_t) n) cap *= 2;
                uint8_t *out = realloc(c->out, cap);
                if (!out) return -1;
                c->out = out;
                c->out_cap = cap;
            }
            memcpy(c->out + c->out_len, data, (size_t) n);
            c->out_len += (size_t) n;
        }
        if (c->out_len == 0) break;
    }
    if (c->want_write) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_write = 0;
    }
    if (!nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session)) return -1;
    return 0;
}

static int accept_connections(int epoll, int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR) ? 0 : -1;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *c = calloc(1, sizeof *c);
        if (!c) { close(fd); continue; }
        c->fd = fd;
        if (nghttp2_session_server_new(&c->session, callbacks, c) != 0) { free(c); close(fd); continue; }
        nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
        nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 1);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) { nghttp2_session_del(c->session); free(c); close(fd); continue; }
        if (flush(epoll, c) < 0) close_connection(epoll, c);
    }
}

static int listen_socket(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *) &address, sizeof address) != 0 || listen(fd, 1024) != 0) { close(fd); return -1; }
    return fd;
}

static int listener_tag; /* epoll data of the listener: its address, never a connection's */

static void *worker(void *arg) {
    int listener = (int) (intptr_t) arg;
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listener_tag};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev);
    static __thread uint8_t in[READ_SIZE];
    struct epoll_event events[256];
    for (;;) {
        int count = epoll_wait(epoll, events, 256, -1);
        if (count < 0) { if (errno == EINTR) continue; perror("epoll_wait"); exit(1); }
        for (int i = 0; i < count; i++) {
            if (events[i].data.ptr == &listener_tag) { accept_connections(epoll, listener); continue; }
            struct connection *c = events[i].data.ptr;
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                ssize_t n = recv(c->fd, in, sizeof in, 0);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) { close_connection(epoll, c); continue; }
                if (n > 0 && nghttp2_session_mem_recv(c->session, in, (size_t) n) < 0) { close_connection(epoll, c); continue; }
            }
            if (flush(epoll, c) < 0) close_connection(epoll, c);
        }
    }
    return NULL;
}

static int hex_value(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int main(int argc, char **argv) {
    const char *hex = getenv("PAYLOAD_HEX");
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned short) atoi(argv[++i]);
        else if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc) hex = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atol(argv[++i]);
        else if (argv[i][0] >= '1' && argv[i][0] <= '9') port = (unsigned short) atoi(argv[i]);
    }
    if (!hex || !*hex) hex = DEFAULT_PAYLOAD_HEX;
    size_t hex_len = strlen(hex);
    if (hex_len % 2) { fprintf(stderr, "bare-nghttp2: odd-length payload hex\n"); return 2; }
    message_size = 5 + hex_len / 2;
    message = malloc(message_size);
    message[0] = 0;
    uint32_t payload_size = (uint32_t) (hex_len / 2);
    message[1] = (uint8_t) (payload_size >> 24); message[2] = (uint8_t) (payload_size >> 16);
    message[3] = (uint8_t) (payload_size >> 8); message[4] = (uint8_t) payload_size;
    for (size_t i = 0; i < payload_size; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) { fprintf(stderr, "bare-nghttp2: payload is not hex\n"); return 2; }
        message[5 + i] = (uint8_t) (hi << 4 | lo);
    }

    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);

    signal(SIGPIPE, SIG_IGN);
    if (threads < 1) threads = 1;
    for (long t = 0; t < threads; t++) {
        int listener = listen_socket();
        if (listener < 0) { fprintf(stderr, "bare-nghttp2: cannot listen on port %u: %s\n", port, strerror(errno)); return 1; }
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker, (void *) (intptr_t) listener) != 0) { perror("pthread_create"); return 1; }
        pthread_detach(thread);
    }
    fprintf(stderr, "bare-nghttp2 listening on http://127.0.0.1:%u (h2c prior knowledge, %ld threads, %zu-byte payload)\n",
            port, threads, (size_t) payload_size);
    pause();
    return 0;
}
