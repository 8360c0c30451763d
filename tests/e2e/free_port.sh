# Sourced by the Glewlwyd scripts. free_port prints a loopback port for a server that takes a
# fixed port from its config (Glewlwyd), not port 0; returns 1 when none is found. The port lies
# below the kernel's ephemeral range, where port-0 listeners and client sockets of tests running
# alongside take theirs (one may hold the port by the time the server binds it), and no socket
# uses it.
free_port() {
    local lo p
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$lo" -gt 11000 ] 2>/dev/null || lo=32768
    for _ in $(seq 100); do
        p=$((10000 + RANDOM % (lo - 10000)))
        if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] &&
            ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
