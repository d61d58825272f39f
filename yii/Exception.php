<?php
/*
 * Exception.php - the error WsPush\Yii\Component and WsPush\Yii\ServerController
 * throw when a push or a server action fails at run time (the push port
 * answered "fail", the server cannot be reached, the pid file is unusable).
 * Configuration mistakes are yii\base\InvalidConfigException and bad
 * arguments yii\base\InvalidArgumentException, as elsewhere in Yii.
 */

namespace WsPush\Yii;

/**
 * A WsPush operation failed. getPrevious() is the WsPush\Exception of the
 * extension, when there is one.
 */
class Exception extends \yii\base\Exception
{
    /**
     * @return string the user-friendly name of this exception
     */
    public function getName()
    {
        return 'WsPush Error';
    }
}
