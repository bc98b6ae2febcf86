/* The engine's ceiling for bench/: libmicrohttpd alone, configured as session-mock configures it
 * (Sources/MicroHTTP/HTTPServer.swift: internal polling thread + poll(2), suspend/resume allowed, a
 * thread pool of one thread per core, 4096 connections, 30 s timeout, 32 KiB per-connection pool,
 * backlog 1024, the same two-phase access handler), answering each benchmarked path with one
 * pre-built persistent response, on 127.0.0.1 only, holding session-mock's bytes and headers. Anything session-mock
 * spends above this server is spent in session-mock, not in the engine.
 *
 *   cc -O2 -o bare-mhd bench/bare_mhd.c $(pkg-config --cflags --libs libmicrohttpd)
 *   ./bare-mhd serve --port 18085 [--fixtures bench/fixtures] [--pool-kib 32] [--epoll]
 *
 * Arguments it does not know (session-mock's --host, --log-level) are ignored, so the bench scripts
 * start it exactly as they start session-mock. SIGINT/SIGTERM stop it. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *challenge, *session, *health, *not_found;
static int marker; /* the per-request context after the first call: "headers seen" */

static struct MHD_Response *json_response(const char *body, size_t size, int no_store) {
    struct MHD_Response *response = MHD_create_response_from_buffer(size, (void *) body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(response, "Content-Type", "application/json");
    if (no_store) {
        MHD_add_response_header(response, "Cache-Control", "no-store");
        MHD_add_response_header(response, "Pragma", "no-cache");
    }
    return response;
}

static struct MHD_Response *fixture(const char *dir, const char *name, int no_store) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(2); }
    static char buffer[1 << 16];
    size_t size = fread(buffer, 1, sizeof buffer, file);
    fclose(file);
    return json_response(buffer, size, no_store);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **context) {
    (void) cls; (void) method; (void) version; (void) upload;
    /* First call: headers only. Answering now would make 0.9.75 close keep-alive connections. */
    if (*context == NULL) { *context = &marker; return MHD_YES; }
    if (*upload_size) { *upload_size = 0; return MHD_YES; }
    struct MHD_Response *response = not_found;
    unsigned int status = 404;
    if (strcmp(url, "/users/session-challenge") == 0) { response = challenge; status = 200; }
    else if (strcmp(url, "/v2/sessions/312909075212468632") == 0) { response = session; status = 200; }
    else if (strcmp(url, "/__admin/health") == 0) { response = health; status = 200; }
    return MHD_queue_response(connection, status, response);
}

static void completed(void *cls, struct MHD_Connection *connection, void **context, enum MHD_RequestTerminationCode code) {
    (void) cls; (void) connection; (void) code;
    *context = NULL;
}

int main(int argc, char **argv) {
    unsigned int port = 18085, pool_kib = 32, polling = MHD_USE_POLL;
    const char *fixtures = "bench/fixtures";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned int) atoi(argv[++i]);
        else if (strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc) fixtures = argv[++i];
        else if (strcmp(argv[i], "--pool-kib") == 0 && i + 1 < argc) pool_kib = (unsigned int) atoi(argv[++i]);
        else if (strcmp(argv[i], "--epoll") == 0) polling = MHD_USE_EPOLL;  /* loses requests: bench/lost_requests.py */
    }
    challenge = fixture(fixtures, "challenge.json", 0);
    session = fixture(fixtures, "session.json", 1);
    static const char ok[] = "{\"status\":\"ok\"}";
    health = json_response(ok, sizeof ok - 1, 0);
    static const char missing[] = "{\"error\":\"not found\"}";
    not_found = json_response(missing, sizeof missing - 1, 0);

    /* As session-mock does: the daemon's threads inherit a mask without the stop signals. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | polling | MHD_ALLOW_SUSPEND_RESUME, (uint16_t) port,
        NULL, NULL, handle, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) (cores > 0 ? cores : 1),
        MHD_OPTION_CONNECTION_LIMIT, 4096u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) pool_kib * 1024,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_END);
    if (!daemon) { fprintf(stderr, "bare-mhd: cannot listen on port %u\n", port); return 1; }
    fprintf(stderr, "bare-mhd listening on http://127.0.0.1:%u\n", port);
    int signal_number;
    sigwait(&stop, &signal_number);
    MHD_stop_daemon(daemon);
    return 0;
}
