/* A network guard for tests (LD_PRELOAD): any connect() to an address outside the loopback
 * range, and any getaddrinfo() of a name that is not a loopback name or address, fails and
 * is written as one line to the file named by DIAL_GUARD_LOG. It sits under every HTTP
 * client of the process: Python's sockets (botocore, urllib3) and native code (obstore's
 * Rust client) alike. tests/dial_guard.py builds and loads it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void note(const char *what) {
    const char *path = getenv("DIAL_GUARD_LOG");
    if (path == NULL) return;
    int out = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (out < 0) return;
    char line[512];
    int n = snprintf(line, sizeof line, "%s\n", what);
    if (n > 0) (void)!write(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    close(out);
}

static int loopback(const struct sockaddr *addr) {
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return 1;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return 1; /* unix sockets, netlink: not the network */
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (real == NULL) real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (addr != NULL && !loopback(addr)) {
        char text[INET6_ADDRSTRLEN] = "?";
        const void *where = addr->sa_family == AF_INET
            ? (const void *)&((const struct sockaddr_in *)addr)->sin_addr
            : (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr;
        inet_ntop(addr->sa_family, where, text, sizeof text);
        char what[128];
        snprintf(what, sizeof what, "connect %s", text);
        note(what);
        errno = ENETUNREACH;
        return -1;
    }
    return real(fd, addr, len);
}

static int loopback_name(const char *node) {
    if (node == NULL) return 1; /* a local service lookup */
    if (strcmp(node, "localhost") == 0 || strcmp(node, "::1") == 0) return 1;
    return strncmp(node, "127.", 4) == 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (real == NULL)
        real = (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))
            dlsym(RTLD_NEXT, "getaddrinfo");
    if (!loopback_name(node)) {
        char what[320];
        snprintf(what, sizeof what, "resolve %.300s", node);
        note(what);
        return EAI_NONAME;
    }
    return real(node, service, hints, res);
}
