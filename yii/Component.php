<?php
/*
 * Component.php - WsPush\Yii\Component: the push client as a Yii application
 * component, so controllers, models and queue jobs push with
 *
 *     Yii::$app->wspush->send('5', ['msg' => 'hello']);   // "ok" | "queued"
 *
 * It wraps one WsPush\Client. The extension keeps that client's connection
 * open per PHP process (also across PHP-FPM requests), so a process holds one
 * connection to the push port whatever the number of requests.
 */

namespace WsPush\Yii;

use Yii;
use yii\base\InvalidArgumentException;
use yii\base\InvalidConfigException;

/**
 * Application component over WsPush\Client.
 *
 * ```php
 * 'components' => [
 *     'wspush' => [
 *         'class' => WsPush\Yii\Component::class,
 *         'address' => 'tcp://127.0.0.1:5002',   // the server's push_listen
 *         'timeout' => 1.0,
 *         // 'token' => '...',                   // the server's push_token
 *     ],
 * ],
 * ```
 *
 * A property left unset is taken from `Yii::$app->params['wspush']` (the
 * keys `address`, `timeout`, `token`), then from the defaults below.
 *
 * Errors: a push the server refuses ("fail") or an I/O error (server down,
 * timeout) throws {@see Exception} with the extension's message and the
 * WsPush\Exception as previous, and is logged with Yii::error() in the
 * category `wspush`; a key or message the protocol cannot carry throws
 * yii\base\InvalidArgumentException; a wrong configuration (extension not
 * loaded, token without support in the extension) throws
 * yii\base\InvalidConfigException.
 *
 * @property-read \WsPush\Client $client the client (created on first use)
 */
class Component extends \yii\base\Component
{
    /** Default push port address: the server's default push_listen. */
    const DEFAULT_ADDRESS = 'tcp://127.0.0.1:5002';
    /** Default connect/read/write timeout in seconds. */
    const DEFAULT_TIMEOUT = 1.0;

    /**
     * @var string|null the push port, "tcp://host:port" or "host:port"
     *      (null: params, then DEFAULT_ADDRESS)
     */
    public $address;
    /**
     * @var float|null connect, read and write timeout in seconds (null:
     *      params, then DEFAULT_TIMEOUT)
     */
    public $timeout;
    /**
     * @var string|null the server's push_token, sent as `AUTH <token>` before
     *      the first push of a connection (null or "": params, then none)
     */
    public $token;
    /**
     * @var string the key of Yii::$app->params holding defaults for
     *      address, timeout and token
     */
    public $paramsKey = 'wspush';

    /** @var \WsPush\Client|null */
    private $_client;

    /**
     * Fills unset properties from params and checks them.
     * @throws InvalidConfigException on a wrong type or value
     */
    public function init()
    {
        parent::init();
        $params = [];
        if (Yii::$app !== null && isset(Yii::$app->params[$this->paramsKey])) {
            $params = Yii::$app->params[$this->paramsKey];
            if (!is_array($params)) {
                throw new InvalidConfigException("params['{$this->paramsKey}'] must be an array.");
            }
        }
        $this->address ??= $params['address'] ?? self::DEFAULT_ADDRESS;
        $this->timeout ??= $params['timeout'] ?? self::DEFAULT_TIMEOUT;
        $this->token ??= $params['token'] ?? null;
        if (!is_string($this->address) || $this->address === '') {
            throw new InvalidConfigException(get_class($this) . '::$address must be a non-empty string such as "tcp://127.0.0.1:5002".');
        }
        if (!is_numeric($this->timeout) || $this->timeout <= 0) {
            throw new InvalidConfigException(get_class($this) . '::$timeout must be a positive number of seconds.');
        }
        $this->timeout = (float)$this->timeout;
        if ($this->token !== null && !is_string($this->token)) {
            throw new InvalidConfigException(get_class($this) . '::$token must be a string.');
        }
    }

    /**
     * The WsPush\Client this component sends through, created on first use.
     *
     * @return \WsPush\Client
     * @throws InvalidConfigException when the wspush extension is not loaded,
     *         the address is invalid, or a token is configured and the loaded
     *         extension cannot send one
     */
    public function getClient()
    {
        if ($this->_client === null) {
            if (!class_exists('WsPush\Client', false)) {
                throw new InvalidConfigException('The wspush PHP extension is not loaded (install it with `pecl install wspush` and add extension=wspush.so to php.ini).');
            }
            $options = [];
            if ($this->token !== null && $this->token !== '') {
                if (!self::extensionSendsTokens()) {
                    throw new InvalidConfigException(get_class($this) . '::$token is set, but the loaded wspush extension '
                        . '(version ' . phpversion('wspush') . ') cannot send a push token: upgrade the extension, '
                        . 'or remove the token if the server has no push_token.');
                }
                $options['token'] = $this->token;
            }
            try {
                $this->_client = new \WsPush\Client($this->address, $this->timeout, $options);
            } catch (\ValueError $e) {
                // The extension knows the option here, so a complaint about it is about this token.
                $what = isset($options['token']) && str_contains($e->getMessage(), '"token"') ? '::$token' : '';
                throw new InvalidConfigException(get_class($this) . $what . ': ' . self::reason($e), 0, $e);
            }
        }
        return $this->_client;
    }

    /**
     * Push one message to every connection of $key, as WsPush\Client::send().
     *
     * @param string $key the uid: "5" for a web page, the add-in's JSON string
     *        for an add-in
     * @param array|string $message the fields of the push line (uid is set to
     *        $key), or an encoded JSON object text
     * @return string "ok" (written to a live connection of the key) or
     *         "queued" (stored until the key connects)
     * @throws Exception when the server answers "fail" or cannot be reached
     * @throws InvalidArgumentException when $key or $message cannot be sent
     */
    public function send($key, $message)
    {
        $client = $this->getClient();
        try {
            return $client->send((string)$key, $message);
        } catch (\WsPush\Exception $e) {
            throw $this->failure("push to key '$key' failed", $e);
        } catch (\ValueError | \TypeError $e) {
            throw new InvalidArgumentException(self::reason($e), 0, $e);
        }
    }

    /**
     * Push many messages pipelined on the one connection, as
     * WsPush\Client::sendMany().
     *
     * @param array $messages [key => message, ...] or a list of [key, message]
     * @return array the replies ("ok", "queued" or "fail") with the keys of
     *         $messages; a "fail" does not throw
     * @throws Exception on an I/O error
     * @throws InvalidArgumentException when an entry cannot be sent
     */
    public function sendMany(array $messages)
    {
        $client = $this->getClient();
        try {
            return $client->sendMany($messages);
        } catch (\WsPush\Exception $e) {
            throw $this->failure('pipelined push of ' . count($messages) . ' messages failed', $e);
        } catch (\ValueError | \TypeError $e) {
            throw new InvalidArgumentException(self::reason($e), 0, $e);
        }
    }

    private function failure(string $what, \WsPush\Exception $e): Exception
    {
        $msg = "$what: " . $e->getMessage();
        Yii::error($msg, 'wspush');
        return new Exception($msg, 0, $e);
    }

    /** "WsPush\Client::send(): Argument #2 ($message) must be ..." -> "$message must be ..." */
    /**
     * Whether the loaded extension takes the 'token' option. It shipped in the
     * same release as WsPush\Client::sign(), so that method is the feature test
     * (an error message is no feature test: a refused token mentions "token" too).
     */
    private static function extensionSendsTokens(): bool
    {
        return method_exists('WsPush\\Client', 'sign');
    }

    private static function reason(\Throwable $e): string
    {
        return preg_replace('/^.*?: Argument #\d+ \((\$\w+)\) /', '$1 ', $e->getMessage());
    }
}
