# Makefile.frag - appended to the Makefile by config.m4 (PHP_ADD_MAKEFILE_FRAGMENT).
#
# `make test` runs the phpt suite in php-tests/ (run-tests.php on its own only
# looks in tests/, ext/, Zend/ and sapi/). It runs PHP with -n and
# extension_dir=modules/, so the shared extensions some tests need (sockets,
# posix, pcntl; mbstring and ctype for the Yii tests) are loaded here by full
# path when this PHP has them as shared modules. `make test TESTS=...` still
# overrides all of it.
WSPUSH_TEST_EXTS = sockets posix pcntl mbstring ctype
TESTS = $(foreach e,$(WSPUSH_TEST_EXTS),$(if $(wildcard $(EXTENSION_DIR)/$(e).so),-d extension=$(EXTENSION_DIR)/$(e).so)) $(top_srcdir)/php-tests
