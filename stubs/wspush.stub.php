<?php

/**
 * wspush.stub.php - the source of the WsPush PHP API, and its reference for
 * IDEs (README and docs/ describe it in prose: docs/protocol.md the wire
 * protocol, docs/delivery.md what ok / queued / fail promise).
 *
 * ext/wspush_arginfo.h is generated from this file with PHP's gen_stub.php
 * (scripts/gen-arginfo.sh); edit this file, never the generated header.
 *
 * Classes: WsPush\Server (runs the push server in this process),
 * WsPush\Client (pushes through a server's push port), WsPush\Exception
 * (every runtime error of both). Argument errors are PHP's own ValueError
 * and TypeError. The Yii 2 integration (WsPush\Yii\ServerController,
 * WsPush\Yii\Component) is plain PHP under yii/.
 *
 * @generate-class-entries
 */

namespace WsPush;

/**
 * The push server: a C core running the WebSocket listener (default
 * 0.0.0.0:5001) and the push listener (default 127.0.0.1:5002) on a
 * background thread inside this PHP process. CLI only.
 *
 *     $server = new WsPush\Server(['data_dir' => '/var/lib/wspush']);
 *     $server->run();    // until SIGTERM / SIGINT, then a graceful stop
 *
 * Events: the core offers what clients do to PHP through poll(): "bind" (a
 * connection named its key with its first frame), "message" (a frame that
 * is not a heartbeat, from a bound connection), "close" (a connection
 * ended; data is the reason). The queue is bounded (65,536 events, poll_queue_bytes): when PHP does not poll,
 * events are dropped and counted (stats()["events_dropped"]), never
 * delivery. run() does not queue events at all.
 *
 * @strict-properties
 * @not-serializable
 */
final class Server
{
    /**
     * Configure a server; nothing listens before start() or run().
     *
     * Options, by name (README, "Options", has the full table); defaults are
     * the original service's. Sizes take a K or M suffix, durations
     * are seconds (fractions allowed):
     *  - ws_listen "0.0.0.0:5001": the WebSocket listener ("HOST:PORT",
     *    "[IPv6]:PORT"; port 0 picks a free one, see stats()["ws_port"])
     *  - push_listen "127.0.0.1:5002": the push-line listener
     *  - heartbeat_timeout 12: seconds without any frame before a
     *    connection is closed (bound or not)
     *  - retry_max 5: deliveries ended by a broken connection before a
     *    message is dropped as poison
     *  - ttl 3600: seconds a message is kept before it expires
     *  - queue_limit 2000: messages held per key; beyond, the oldest is dropped
     *  - max_frame "1M": largest WebSocket frame or message (else close 1009)
     *  - max_line "1M": largest push line (else "fail" and a close)
     *  - max_output "4M": unsent output per connection, covering every frame
     *    (pushes, Pongs, heartbeat replies, echoes): over it the connection
     *    is not written pushes (not "live" for "ok"; they stay in the
     *    outbox) and not read until the output drains to half
     *  - store "file": "file" (embedded, durable, under data_dir), "memory"
     *    (lost at exit), or "redis://..." when the build has Redis
     *  - data_dir "runtime/wspush": where the file store lives
     *  - fsync "batch": when a push's reply is sent: "batch" (after the group
     *    commit holding it), "always" (one fsync per push), "everysec"
     *    (at once; about a second can be lost in a crash), "off"
     *  - log_file "runtime/logs/workman.log", close_log_file
     *    "runtime/logs/workman_close.log": event logs ("" disables)
     *  - log_level "info": "debug" | "info" | "warn" | "error"
     *  - log_format "text": "text" | "json"
     *  - ping_fallback_after 30: seconds of unanswered Pings (at least 3)
     *    before a client that keeps sending frames is confirmed at TCP level
     *  - drain_seconds 5: how long a graceful stop (run(), SIGTERM) waits for
     *    clients to confirm what they were written
     *  - metrics_listen "": a separate listener for GET /metrics and
     *    /healthz (by default the WebSocket port serves them to loopback peers)
     *  - io_uring "auto": a loop pass's socket writes in one io_uring_enter()
     *    when the build and kernel allow ("on": else a start error; "off":
     *    one send() each)

     * Limits against hostile or broken clients (each logged and counted):
     *  - handshake_timeout 5: seconds from accept to a complete upgrade
     *    request (then 408 and close)
     *  - message_timeout 30: seconds a fragmented message may take (then
     *    Close 1008)
     *  - max_connections 100000, max_connections_per_ip 1000: WebSocket
     *    connections in total and per client address; beyond, closed at once
     *  - poll_queue_bytes "16M": memory of events waiting for poll(); beyond,
     *    the oldest are dropped
     *  - push_idle_timeout 300: seconds a push connection may be silent
     *    (while no reply is owed) before it is closed
     *
     * Limits against hostile clients (each counted in stats() and logged
     * when it bites):
     *  - handshake_timeout 5: seconds from accept to a complete upgrade
     *    request, however slowly it trickles in (then 408 and close)
     *  - message_timeout 30: seconds a fragmented or partly received message
     *    may take (then close 1008)
     *  - max_connections 100000, max_connections_per_ip 1000: WebSocket
     *    connections in total and per client address; beyond, closed at once
     *  - poll_queue_bytes "16M": memory held by events waiting for poll();
     *    beyond, the oldest are dropped (stats()["events_dropped"])
     *  - push_idle_timeout 300: seconds a push connection may stay silent
     *    (owed no reply) before it is closed
     *
     * Access control (README, "Access control"):
     *  - push_token "": a push connection's first line must be "AUTH <token>"
     *  - push_insecure 0: let push_listen be a non-loopback address without
     *    push_token
     *  - auth_secret "": at least 16 bytes; WebSocket clients prove their key
     *    with Client::sign()'s query, else close 1008
     *  - allowed_origins "": comma-separated; another Origin gets 403
     *  - ws_tls_cert, ws_tls_key "": PEM files; the WebSocket listener speaks
     *    wss:// (php --ri wspush shows whether this build has TLS)
     *
     * Values are passed to the core in their string form (true/false as
     * "1"/"0"). An unknown name or a bad value throws ValueError. An option
     * this build cannot honour makes start() throw.
     *
     * @param array $options name => string|int|float|bool
     * @throws \ValueError for an unknown option or a bad value (the message
     *         names the option and what it accepts)
     */
    public function __construct(array $options = []) {}

    /**
     * Open the store, bind both listeners and start the core thread; returns
     * once listening. Throws WsPush\Exception when not running under the CLI
     * SAPI, when already started, or when listening/opening the store fails.
     * After stop() the same object may start() again: same options, same
     * data dir (what a memory store held is gone), new ports when 0.
     *
     * @throws Exception code 2 (a port cannot be bound), 3 (the store cannot
     *         be opened: data_dir unwritable, locked by another server,
     *         damaged), 4 (already started, or not the CLI SAPI), 1 (an
     *         option this build cannot honour)
     */
    public function start(): void {}

    /**
     * start() if not started yet, then serve until SIGINT or SIGTERM and
     * stop gracefully: stop accepting and reading push lines, give clients
     * up to the drain_seconds option to confirm what they were written,
     * close them with 1001, answer every push line read, commit the store,
     * return. A second SIGINT/SIGTERM ends the drain at once. SIGUSR1 and
     * SIGHUP reopen both log files (logrotate) and serving goes on.
     * Needs no pcntl: the signals are blocked and waited for with
     * sigwaitinfo. Events are not queued for poll() while it runs.
     *
     * @throws Exception as start(), or when the stop fails (code 3: the
     *         store could not be committed)
     */
    public function run(): void {}

    /**
     * Graceful stop: stop accepting, give connections up to $drainSeconds to
     * receive what is buffered and confirm, flush the store, join the core
     * thread. Idempotent.
     *
     * @param float $drainSeconds 0 to 86400; 0 closes at once (unconfirmed
     *        messages stay in the outbox and are replayed after a restart)
     * @throws \ValueError for a negative or too large $drainSeconds
     */
    public function stop(float $drainSeconds = 5.0): void {}

    /**
     * Push $payload to every connection of $key, with the rules of the push
     * port: $key is the uid ("5" for a web page, the add-in's JSON string for
     * an add-in); $payload is the text delivered (the FunctionType transform
     * applies when it is a JSON object line with FunctionType 1 or 2).
     *
     * @return string "ok" (written to a live connection) or "queued" (stored
     *         until the key connects)
     * @throws Exception "push refused: ..." when the push port would answer
     *         "fail", or when the server is not running
     */
    public function push(string $key, string $payload): string {}

    /**
     * Whether $key has a live bound connection (bound, not closing, not over
     * its output cap): what "ok" would mean for a push now.
     *
     * @param string $key the uid, as for push()
     * @throws Exception code 4 when the server is not running
     */
    public function isOnline(string $key): bool {}

    /**
     * Counters and gauges of the core (every field of wsp_stats, same names;
     * the same numbers as GET /metrics, docs/operations.md), "closed" (closes
     * by reason), plus "ws_port", "push_port" and "metrics_port": the ports
     * actually bound (useful when listening on port 0).
     *
     * Among them: connections, bound, keys, outbox_depth, outbox_bytes,
     * store_bytes, oldest_age (seconds); push_lines, push_ok, push_queued,
     * push_fail; delivered_writes, confirmed, replayed, retried; the limits
     * that bit: dropped_retry, dropped_queue_limit, expired; closes:
     * closed_timeout, closed_protocol, closed_behind and "closed" (reason =>
     * count); fallback_connections; log_dropped, events_dropped,
     * store_errors; push_auth_failed, ws_auth_refused, origin_refused;
     * hostile-client limits: closed_handshake_timeout,
     * closed_message_timeout, output_paused, rejected_max_connections,
     * rejected_per_ip, rejected_fd_limit, closed_push_idle;
     * socket_writes and write_calls (the loop's batched writes and the
     * system calls they took), io_uring (bool: writes go through io_uring);
     * healthy, stopping, store_failing (bool).
     *
     * @return array<string, int|float|bool|array> name => value
     * @throws Exception code 4 when the server is not running
     */
    public function stats(): array {}

    /**
     * Wait up to $timeout seconds (0: do not wait) for the next client event.
     *
     * @param float $timeout seconds, 0 or more
     * @return array|null ['type' => string, 'conn' => int, 'key' => ?string,
     *         'data' => string, 'web' => bool]:
     *         - "bind": connection 'conn' bound 'key' ('web': a web key, else
     *           an add-in's client key); 'data' is ""
     *         - "message": a frame from a bound connection that is not a
     *           heartbeat; 'data' is its text, trimmed
     *         - "close": the connection ended; 'data' is the reason (e.g.
     *           "heartbeat timeout", "client close", "peer closed"); 'key' is null when it never bound
     *         null when no event arrived in time
     * @throws \ValueError for a negative $timeout
     * @throws Exception code 4 when the server is not running
     */
    public function poll(float $timeout = 0.0): ?array {}
}

/**
 * A client of the push port (what Yii controllers use instead of fsockopen).
 * Connections are kept per PHP process (keyed by address and timeout) and
 * reused across requests, also under PHP-FPM. A connection found broken
 * (server restarted) is reopened once by the next send().
 *
 *     $client = new WsPush\Client('tcp://127.0.0.1:5002', 1.0);
 *     $client->send('5', ['msg' => 'hello']);   // "ok" | "queued"
 *
 * @strict-properties
 * @not-serializable
 */
final class Client
{
    /**
     * @param string $address "tcp://host:port" or "host:port"
     * @param float $timeout connect/read/write timeout in seconds
     * @param array $options "persistent" (bool, default
     *        true): reuse one connection per process and address; false
     *        gives this object its own connection, closed with the object.
     *        "token" (string|null): the server's push_token; every new
     *        connection first sends "AUTH <token>". A refused token throws
     *        WsPush\Exception (code 9) and nothing is pushed.
     * @throws \ValueError for an invalid address, timeout or option
     */
    public function __construct(string $address = "tcp://127.0.0.1:5002", float $timeout = 1.0, array $options = []) {}

    /**
     * Send one push line for $key and return the server's reply.
     *
     * $message as an array: the fields of the line, JSON-encoded with
     * JSON_UNESCAPED_UNICODE; "uid" is set to $key (replaced in place when
     * present, otherwise inserted as the first field). This is what the old
     * code wrote with json_encode(['uid' => $uid, ...]).
     *
     * $message as a string: a JSON object text (an already encoded line).
     * Without a "uid" field, "uid":$key is inserted right after the opening
     * brace and the rest is sent byte for byte; with a "uid" field, it must
     * equal $key (compared as strings after trimming) and the text is sent
     * unchanged. Line breaks (only possible as JSON whitespace) become
     * spaces. Anything else throws ValueError.
     *
     * @param string $key the uid: "5" for a web page, the add-in's JSON
     *        string for an add-in (docs/protocol.md §7)
     * @param array|string $message the line's fields, or a JSON object text
     * @return string "ok" (appended to a live connection of the key) or
     *         "queued" (stored until the key connects); docs/delivery.md §1
     * @throws Exception code 7 when the server answers "fail", 6 on an I/O
     *         error or timeout, 9 when the push token is refused (the message
     *         names the address)
     * @throws \ValueError for a $message that is not a JSON object text, or
     *         whose "uid" differs from $key
     */
    public function send(string $key, array|string $message): string {}

    /**
     * Send many pushes pipelined on one connection.
     *
     * @param array $messages either [key => message, ...] or a list of
     *        [key, message] pairs; each message as for send()
     * @return array the replies ("ok", "queued" or "fail"), with the
     *         keys of $messages; a "fail" does not throw here
     * @throws Exception code 6 on an I/O error, 9 when the token is refused
     * @throws \ValueError for an entry that send() would refuse
     */
    public function sendMany(array $messages): array {}

    /**
     * The query string (without "?") a page appends to its WebSocket URL
     * when the server has auth_secret: it proves that the page may bind
     * $key, until $ttlSeconds from now.
     *
     *     $q = WsPush\Client::sign((string)$uid, 86400, $secret);
     *     // page: new WebSocket("wss://push.example.com/?" + q), then sends $uid
     *
     * The result is "wsp_key=KEY&wsp_exp=UNIX&wsp_sig=HEX" with
     * wsp_sig = HMAC-SHA256($secret, "wspush-sig-v1\n" . UNIX . "\n" . $key)
     * in lowercase hex. The server closes a connection with 1008 when the
     * signature is missing, forged or expired, or when its first frame names
     * another key (compared as keys: an add-in's JSON key may differ in
     * key order and whitespace). Expiry is checked when the connection
     * opens; an open connection is not closed when it passes.
     *
     * @param string $key the key the page will bind (its first frame)
     * @param int $ttlSeconds validity, 1 to 10 years in seconds
     * @param string $secret the server's auth_secret
     * @throws \ValueError for an empty key or secret or a ttl out of range
     */
    public static function sign(string $key, int $ttlSeconds, string $secret): string {}
}

/**
 * Errors of the push server and client at run time. getMessage() names what
 * failed (and the address, for the client); getCode() says which kind:
 *  - 1 option: an option this build cannot honour (e.g. ws_tls_cert without
 *    TLS support, a redis:// store without Redis support)
 *  - 2 listen: a listener could not be bound (port in use, bad address)
 *  - 3 store: the store could not be opened, written or committed
 *  - 4 state: not running, already started, stopping, or not the CLI SAPI
 *  - 5 out of memory
 *  - 6 I/O: a socket error or a timeout (Client)
 *  - 7 refused: the push was answered "fail" (bad key or payload)
 *  - 8 thread: the core thread could not be started or signals not waited for
 *  - 9 auth: the server refused the push token (Client)
 * A bad argument or option value is a ValueError, not this exception.
 */
class Exception extends \RuntimeException
{
}
