<?php
/*
 * ServerController.php - WsPush\Yii\ServerController: run the push server
 * from a Yii console application, the way the old service was started with
 * `php workman.php start`, but in the foreground as a systemd unit runs it:
 *
 *     yii wspush/start            serve until SIGTERM / SIGINT (exit 0)
 *     yii wspush/stop             stop the server `start` runs (exit 0)
 *     yii wspush/status           exit 0 and its numbers when running, 3 when not
 *     yii wspush/push KEY MESSAGE push one message, print ok / queued
 *
 * `start` and the other actions find each other through a pid file in
 * data_dir (wspush.pid), which `start` holds locked while it serves: a pid
 * file left by a killed server is recognised as stale because nobody holds
 * its lock.
 */

namespace WsPush\Yii;

use Yii;
use yii\base\InvalidConfigException;
use yii\console\Controller;
use yii\console\ExitCode;
use yii\helpers\FileHelper;

/**
 * Console commands for the WsPush server.
 *
 * ```php
 * // config/console.php
 * 'controllerMap' => [
 *     'wspush' => [
 *         'class' => WsPush\Yii\ServerController::class,
 *         'options' => ['ws_listen' => '0.0.0.0:5001', 'push_listen' => '127.0.0.1:5002'],
 *     ],
 * ],
 * ```
 *
 * Server options are merged from, in increasing priority: the defaults below
 * (paths under @runtime, like the old service's runtime/), then
 * `Yii::$app->params['wspush']['server']`, then {@see $options}. String
 * values of the path options that start with "@" are Yii aliases.
 */
class ServerController extends Controller
{
    /** Name of the pid file `start` keeps in data_dir. */
    const PID_FILE = 'wspush.pid';
    /** Exit code of `status` when no server is running (LSB: "program is not running"). */
    const EXIT_NOT_RUNNING = 3;

    /**
     * @var array WsPush\Server options by name (README, "Options"), e.g.
     *      ['ws_listen' => '0.0.0.0:5001', 'push_listen' => '127.0.0.1:5002',
     *      'data_dir' => '@runtime/wspush', 'push_token' => '...']
     */
    public $options = [];
    /**
     * @var string the key of Yii::$app->params whose 'server' entry holds
     *      server options (overridden by {@see $options})
     */
    public $paramsKey = 'wspush';
    /** @var float seconds `stop` waits for the server to exit (--wait) */
    public $wait = 30.0;
    /** @var float push timeout in seconds for `push` (--timeout) */
    public $timeout = 5.0;
    /** @var string */
    public $defaultAction = 'status';

    /** Options whose values are paths: "@alias/..." is resolved. */
    const PATH_OPTIONS = ['data_dir', 'log_file', 'close_log_file', 'ws_tls_cert', 'ws_tls_key'];

    /**
     * {@inheritdoc}
     */
    public function options($actionID)
    {
        $own = ['stop' => ['wait'], 'push' => ['timeout']];
        return array_merge(parent::options($actionID), $own[$actionID] ?? []);
    }

    /**
     * The server options in effect: defaults, params, then {@see $options};
     * aliases resolved, every value a string as the extension takes them.
     *
     * @return array<string, string>
     * @throws InvalidConfigException when params or options are not arrays
     */
    public function serverOptions()
    {
        $params = Yii::$app->params[$this->paramsKey]['server'] ?? [];
        if (!is_array($params) || !is_array($this->options)) {
            throw new InvalidConfigException("WsPush server options (params['{$this->paramsKey}']['server'] and "
                . get_class($this) . '::$options) must be arrays.');
        }
        $o = array_merge([
            'data_dir' => '@runtime/wspush',
            'log_file' => '@runtime/logs/workman.log',
            'close_log_file' => '@runtime/logs/workman_close.log',
        ], $params, $this->options);
        foreach ($o as $name => $value) {
            if (is_bool($value)) {
                $value = $value ? '1' : '0';
            }
            if (in_array($name, self::PATH_OPTIONS, true) && is_string($value) && strncmp($value, '@', 1) === 0) {
                $value = Yii::getAlias($value);
            }
            $o[$name] = (string)$value;
        }
        return $o;
    }

    /**
     * Serve in the foreground until SIGTERM or SIGINT, then stop gracefully
     * (exit 0). Prints `wspush listening ws=HOST:PORT push=HOST:PORT pid=N`
     * once both ports listen.
     *
     * @return int exit code
     */
    public function actionStart()
    {
        if (!class_exists('WsPush\Server', false)) {
            $this->stderr("wspush: the wspush PHP extension is not loaded\n");
            return ExitCode::UNAVAILABLE;
        }
        $o = $this->serverOptions();
        $pidFile = $this->pidFile($o);
        $running = $this->readPid($pidFile);
        if ($running !== null) {
            $this->stderr("wspush: already running (pid {$running['pid']}, $pidFile)\n");
            return ExitCode::UNSPECIFIED_ERROR;
        }
        try {
            $server = new \WsPush\Server($o);
        } catch (\ValueError $e) {
            $this->stderr('wspush: bad option: ' . preg_replace('/^.*?\(\$options\) /', '', $e->getMessage()) . "\n");
            return ExitCode::CONFIG;
        }
        // Block the signals run() waits for before the server's threads
        // exist: a SIGUSR1 (logrotate) between start() and run() would
        // otherwise end the process (docs/operations.md "Signals").
        if (function_exists('pcntl_sigprocmask')) {
            pcntl_sigprocmask(SIG_BLOCK, [SIGTERM, SIGINT, SIGUSR1, SIGHUP]);
        }
        try {
            $server->start();
            $st = $server->stats();
            $info = [
                'pid' => getmypid(),
                'ws' => self::withPort($o['ws_listen'] ?? '0.0.0.0:5001', (int)$st['ws_port']),
                'push' => self::withPort($o['push_listen'] ?? '127.0.0.1:5002', (int)$st['push_port']),
                'started' => time(),
            ];
            $lock = $this->writePid($pidFile, $info);
            $this->stdout("wspush listening ws={$info['ws']} push={$info['push']} pid={$info['pid']}\n");
            try {
                $server->run();   // blocks until SIGINT/SIGTERM, then stops gracefully
            } finally {
                @unlink($pidFile);
                fclose($lock);
            }
        } catch (\WsPush\Exception $e) {
            $this->stderr('wspush: ' . $e->getMessage() . "\n");
            return ExitCode::UNSPECIFIED_ERROR;
        }
        return ExitCode::OK;
    }

    /**
     * Stop the server that `start` runs with these options: SIGTERM, then
     * wait (up to --wait seconds) until it has exited. Exit 0 when it is
     * stopped (also when none was running), 1 when it is still running.
     *
     * @return int exit code
     */
    public function actionStop()
    {
        $pidFile = $this->pidFile($this->serverOptions());
        $info = $this->readPid($pidFile);
        if ($info === null) {
            $this->stdout("wspush: not running\n");
            return ExitCode::OK;
        }
        if (!function_exists('posix_kill')) {
            $this->stderr("wspush: stop needs the posix extension (send SIGTERM to pid {$info['pid']} instead)\n");
            return ExitCode::UNAVAILABLE;
        }
        if (!posix_kill($info['pid'], SIGTERM)) {
            $this->stderr("wspush: cannot signal pid {$info['pid']}: " . posix_strerror(posix_get_last_error()) . "\n");
            return ExitCode::NOPERM;
        }
        $deadline = microtime(true) + (float)$this->wait;
        // The pid file's lock is released when the server process exits.
        while ($this->readPid($pidFile) !== null) {
            if (microtime(true) >= $deadline) {
                $this->stderr("wspush: pid {$info['pid']} still running after {$this->wait} s\n");
                return ExitCode::UNSPECIFIED_ERROR;
            }
            usleep(50000);
        }
        $this->stdout("wspush: stopped (pid {$info['pid']})\n");
        return ExitCode::OK;
    }

    /**
     * Whether the server runs: exit 0 and its pid, ports and numbers (from
     * its /metrics endpoint) when it does, 3 when it does not.
     *
     * @return int exit code
     */
    public function actionStatus()
    {
        $o = $this->serverOptions();
        $info = $this->readPid($this->pidFile($o));
        if ($info === null) {
            $this->stdout("wspush: not running\n");
            return self::EXIT_NOT_RUNNING;
        }
        $this->stdout(sprintf("wspush: running pid=%d ws=%s push=%s uptime=%ds\n",
            $info['pid'], $info['ws'], $info['push'], time() - (int)$info['started']));
        $metrics = $this->fetchMetrics($o, $info, $why);
        if ($metrics === null) {
            $this->stdout("metrics unavailable: $why\n");
        } else {
            foreach ($metrics as $name => $value) {
                $this->stdout(sprintf("%-52s %s\n", $name, $value));
            }
        }
        return ExitCode::OK;
    }

    /**
     * Push MESSAGE to KEY through the push port and print the reply
     * ("ok" or "queued"). The server's port comes from the running server's
     * pid file, else from push_listen; its push_token is sent when set.
     *
     * @param string $key the uid ("5", or an add-in's JSON string)
     * @param string $message a JSON object text, e.g. '{"msg":"hello"}'
     * @return int exit code: 0 on ok / queued, 1 when refused or unreachable
     */
    public function actionPush($key, $message)
    {
        $o = $this->serverOptions();
        $info = $this->readPid($this->pidFile($o));
        $address = $info !== null ? $info['push'] : ($o['push_listen'] ?? '127.0.0.1:5002');
        [$host, $port] = self::connectTo($address);
        try {
            $client = new Component([
                'address' => "tcp://$host:$port",
                'timeout' => $this->timeout,
                'token' => ($o['push_token'] ?? '') !== '' ? $o['push_token'] : null,
            ]);
            $this->stdout($client->send($key, $message) . "\n");
        } catch (\yii\base\Exception | \yii\base\InvalidArgumentException $e) {
            $this->stderr('wspush: ' . $e->getMessage() . "\n");
            return ExitCode::UNSPECIFIED_ERROR;
        }
        return ExitCode::OK;
    }

    /** The pid file of the server run with options $o. */
    protected function pidFile(array $o)
    {
        return rtrim($o['data_dir'] ?? 'runtime/wspush', '/') . '/' . self::PID_FILE;
    }

    /**
     * The running server's pid file contents, or null when no server holds
     * the file (missing, or left by a server that died).
     *
     * @return array|null ['pid' => int, 'ws' => string, 'push' => string, 'started' => int]
     * @throws Exception when the file cannot be read
     */
    protected function readPid(string $pidFile)
    {
        $fh = @fopen($pidFile, 'r');
        if ($fh === false) {
            if (!file_exists($pidFile)) {
                return null;
            }
            throw new Exception("cannot open $pidFile: " . (error_get_last()['message'] ?? 'unknown error'));
        }
        try {
            if (flock($fh, LOCK_SH | LOCK_NB)) {
                return null;   // nobody serves: a stale file
            }
            $info = json_decode((string)stream_get_contents($fh), true);
        } finally {
            fclose($fh);
        }
        if (!is_array($info) || !isset($info['pid'], $info['ws'], $info['push'])) {
            throw new Exception("$pidFile is locked by a running server but unreadable");
        }
        $info['pid'] = (int)$info['pid'];
        return $info;
    }

    /**
     * Write the pid file and return its handle, which holds an exclusive
     * lock until the process exits. Written to a temporary file locked first
     * and renamed into place, so a reader never sees it half written.
     *
     * @return resource
     * @throws Exception when it cannot be written
     */
    protected function writePid(string $pidFile, array $info)
    {
        $dir = dirname($pidFile);
        FileHelper::createDirectory($dir);
        $tmp = "$pidFile." . getmypid() . '.tmp';
        $fh = @fopen($tmp, 'w');
        if ($fh === false || !flock($fh, LOCK_EX | LOCK_NB)
            || fwrite($fh, json_encode($info) . "\n") === false || !fflush($fh) || !rename($tmp, $pidFile)) {
            $err = error_get_last()['message'] ?? 'unknown error';
            if ($fh !== false) {
                fclose($fh);
            }
            @unlink($tmp);
            throw new Exception("cannot write $pidFile: $err");
        }
        return $fh;
    }

    /**
     * The server's Prometheus metrics as name => value, read from
     * metrics_listen when it is set, else from the WebSocket port (which
     * serves GET /metrics to loopback peers). Null (and $why) when the
     * server does not serve them.
     */
    protected function fetchMetrics(array $o, array $info, ?string &$why = null)
    {
        $where = ($o['metrics_listen'] ?? '') !== '' ? $o['metrics_listen'] : $info['ws'];
        [$host, $port] = self::connectTo($where);
        $tls = ($o['metrics_listen'] ?? '') === '' && ($o['ws_tls_cert'] ?? '') !== '';
        $ctx = stream_context_create(['ssl' => ['verify_peer' => false, 'verify_peer_name' => false]]);
        $s = @stream_socket_client(($tls ? 'tls' : 'tcp') . "://$host:$port", $errno, $errstr, 2.0,
            STREAM_CLIENT_CONNECT, $ctx);
        if ($s === false) {
            $why = "cannot connect to $host:$port: $errstr";
            return null;
        }
        stream_set_timeout($s, 2);
        fwrite($s, "GET /metrics HTTP/1.1\r\nHost: $host:$port\r\nConnection: close\r\n\r\n");
        $resp = (string)stream_get_contents($s);
        fclose($s);
        [$head, $body] = array_pad(explode("\r\n\r\n", $resp, 2), 2, '');
        if (!preg_match('#^HTTP/1\.[01] 200 #', $head)) {
            $why = "GET /metrics on $host:$port answered: " . (strtok($head, "\r\n") ?: 'nothing');
            return null;
        }
        $out = [];
        foreach (explode("\n", $body) as $line) {
            // histogram buckets are for Prometheus; _sum and _count stay
            if (preg_match('/^(wspush_\S+)\s+(\S+)$/', trim($line), $m) && !str_contains($m[1], '_bucket{')) {
                $out[$m[1]] = $m[2];
            }
        }
        return $out;
    }

    /** "0.0.0.0:5001" with the port actually bound. */
    private static function withPort(string $listen, int $port)
    {
        $colon = strrpos($listen, ':');
        return ($colon === false ? $listen : substr($listen, 0, $colon)) . ':' . $port;
    }

    /**
     * Where to connect to reach a listener: [host, port]; a wildcard address
     * becomes loopback, an IPv6 host keeps its brackets.
     */
    private static function connectTo(string $listen)
    {
        $listen = preg_replace('#^[a-z]+://#i', '', $listen);
        $colon = strrpos($listen, ':');
        $host = $colon === false ? $listen : substr($listen, 0, $colon);
        $port = $colon === false ? '' : substr($listen, $colon + 1);
        if ($host === '' || $host === '0.0.0.0' || $host === '*') {
            $host = '127.0.0.1';
        } elseif ($host === '[::]' || $host === '::') {
            $host = '[::1]';
        }
        return [$host, $port];
    }
}
