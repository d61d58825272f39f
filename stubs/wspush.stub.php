<?php

/**
 * wspush.stub.php - the source of the WsPush PHP API (README and docs/ describe it in prose).
 *
 * ext/wspush_arginfo.h is generated from this file with PHP's gen_stub.php
 * (scripts/gen-arginfo.sh); edit this file, never the generated header.
 *
 * @generate-class-entries
 */

namespace WsPush;

/**
 * The push server: a C core running the WebSocket listener (default
 * 0.0.0.0:5001) and the push listener (default 127.0.0.1:5002) on a
 * background thread inside this PHP process. CLI only.
 *
 * @strict-properties
 * @not-serializable
 */
final class Server
{
    /**
     * @param array $options options by name (README, "Options")
     *        (ws_listen, push_listen, heartbeat_timeout,
     *        retry_max, ttl, queue_limit, max_frame, max_line, store,
     *        data_dir, fsync, log_file, close_log_file, log_level, ...).
     *        Values are passed to the core in their string form (true/false
     *        as "1"/"0"). An unknown name or a bad value throws ValueError.
     *        Access control (README, "Access control"):
     *        push_token (a push connection's first line must be
     *        "AUTH <token>"), push_insecure (let push_listen be a
     *        non-loopback address without push_token), auth_secret (at
     *        least 16 bytes: WebSocket clients prove their key with
     *        Client::sign()'s query, else close 1008), allowed_origins
     *        (comma-separated; another Origin gets 403), ws_tls_cert and
     *        ws_tls_key (PEM files: the WebSocket listener speaks wss://).
     *        An option this build cannot honour makes start() throw.
     */
    public function __construct(array $options = []) {}

    /**
     * Open the store, bind both listeners and start the core thread; returns
     * once listening. Throws WsPush\Exception when not running under the CLI
     * SAPI, when already started, or when listening/opening the store fails.
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
     */
    public function run(): void {}

    /**
     * Graceful stop: stop accepting, give connections up to $drainSeconds to
     * receive what is buffered and confirm, flush the store, join the core
     * thread. Idempotent.
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

    /** Whether $key has a live bound connection. */
    public function isOnline(string $key): bool {}

    /**
     * Counters and gauges of the core (every field of wsp_stats, same names;
     * the same numbers as GET /metrics, docs/operations.md), "closed" (closes
     * by reason), plus "ws_port", "push_port" and "metrics_port": the ports
     * actually bound (useful when listening on port 0).
     *
     * @return array name => int|float
     */
    public function stats(): array {}

    /**
     * Wait up to $timeout seconds (0: do not wait) for the next client event.
     *
     * @return array|null ['type' => string, 'conn' => int, 'key' => ?string,
     *         'data' => string, 'web' => bool]: type is "bind", "message" or "close"; data is the message text
     *         or the close reason; null when no event arrived in time
     */
    public function poll(float $timeout = 0.0): ?array {}
}

/**
 * A client of the push port (what Yii controllers use instead of fsockopen).
 * Connections are kept per PHP process (keyed by address and timeout) and
 * reused across requests, also under PHP-FPM.
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
     * @return string "ok" or "queued"
     * @throws Exception when the server answers "fail" or on an I/O error
     *         (the message names the address)
     */
    public function send(string $key, array|string $message): string {}

    /**
     * Send many pushes pipelined on one connection.
     *
     * @param array $messages either [key => message, ...] or a list of
     *        [key, message] pairs; each message as for send()
     * @return array the replies ("ok", "queued" or "fail"), with the
     *         keys of $messages; a "fail" does not throw here
     * @throws Exception on an I/O error
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

/** Errors of the push server and client (I/O, refused pushes, state). */
class Exception extends \RuntimeException
{
}
