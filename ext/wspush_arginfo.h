/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 494d98c2f90acc222bc2fd02349ccadc928dbcdf */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_WsPush_Server___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Server_start, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WsPush_Server_run arginfo_class_WsPush_Server_start

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Server_stop, 0, 0, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, drainSeconds, IS_DOUBLE, 0, "5.0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Server_push, 0, 2, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, payload, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Server_isOnline, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Server_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Server_poll, 0, 0, IS_ARRAY, 1)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 0, "0.0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_WsPush_Client___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, address, IS_STRING, 0, "\"tcp://127.0.0.1:5002\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, timeout, IS_DOUBLE, 0, "1.0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Client_send, 0, 2, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_MASK(0, message, MAY_BE_ARRAY|MAY_BE_STRING, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Client_sendMany, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, messages, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WsPush_Client_sign, 0, 3, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, ttlSeconds, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, secret, IS_STRING, 0)
ZEND_END_ARG_INFO()


ZEND_METHOD(WsPush_Server, __construct);
ZEND_METHOD(WsPush_Server, start);
ZEND_METHOD(WsPush_Server, run);
ZEND_METHOD(WsPush_Server, stop);
ZEND_METHOD(WsPush_Server, push);
ZEND_METHOD(WsPush_Server, isOnline);
ZEND_METHOD(WsPush_Server, stats);
ZEND_METHOD(WsPush_Server, poll);
ZEND_METHOD(WsPush_Client, __construct);
ZEND_METHOD(WsPush_Client, send);
ZEND_METHOD(WsPush_Client, sendMany);
ZEND_METHOD(WsPush_Client, sign);


static const zend_function_entry class_WsPush_Server_methods[] = {
	ZEND_ME(WsPush_Server, __construct, arginfo_class_WsPush_Server___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, start, arginfo_class_WsPush_Server_start, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, run, arginfo_class_WsPush_Server_run, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, stop, arginfo_class_WsPush_Server_stop, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, push, arginfo_class_WsPush_Server_push, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, isOnline, arginfo_class_WsPush_Server_isOnline, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, stats, arginfo_class_WsPush_Server_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Server, poll, arginfo_class_WsPush_Server_poll, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_WsPush_Client_methods[] = {
	ZEND_ME(WsPush_Client, __construct, arginfo_class_WsPush_Client___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Client, send, arginfo_class_WsPush_Client_send, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Client, sendMany, arginfo_class_WsPush_Client_sendMany, ZEND_ACC_PUBLIC)
	ZEND_ME(WsPush_Client, sign, arginfo_class_WsPush_Client_sign, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};


static const zend_function_entry class_WsPush_Exception_methods[] = {
	ZEND_FE_END
};

static zend_class_entry *register_class_WsPush_Server(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WsPush", "Server", class_WsPush_Server_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}

static zend_class_entry *register_class_WsPush_Client(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WsPush", "Client", class_WsPush_Client_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}

static zend_class_entry *register_class_WsPush_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WsPush", "Exception", class_WsPush_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	return class_entry;
}
