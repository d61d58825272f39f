dnl config.m4 - build the WsPush extension: the PHP binding (ext/) and the
dnl C push core (core/) compiled into one wspush.so.
dnl
dnl   phpize && ./configure && make     ->  modules/wspush.so
dnl
dnl Needs pkg-config files for libevent, libevent_pthreads, json-c and
dnl libcrypto, and liblmdb (no .pc file on Debian: found by library check).

PHP_ARG_ENABLE([wspush],
  [whether to enable the WsPush extension],
  [AS_HELP_STRING([--enable-wspush], [Enable the WsPush push server extension])],
  [yes])

PHP_ARG_ENABLE([wspush-tls],
  [whether WsPush serves wss:// (ws_tls_cert / ws_tls_key)],
  [AS_HELP_STRING([--disable-wspush-tls], [Build WsPush without TLS (no libssl); ws_tls_cert then refuses to start])],
  [yes], [no])

if test "$PHP_WSPUSH" != "no"; then
  PKG_PROG_PKG_CONFIG
  if test -z "$PKG_CONFIG"; then
    AC_MSG_ERROR([pkg-config not found; it is needed to locate libevent, json-c and libcrypto])
  fi

  dnl One module per check, so a missing one is named in the error.
  for wsp_pkg in libevent libevent_pthreads json-c libcrypto; do
    AC_MSG_CHECKING([for $wsp_pkg])
    if $PKG_CONFIG --exists $wsp_pkg; then
      AC_MSG_RESULT([found $($PKG_CONFIG --modversion $wsp_pkg)])
    else
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([$wsp_pkg not found by pkg-config (Debian: apt-get install libevent-dev libjson-c-dev libssl-dev)])
    fi
  done

  WSP_PKGS="libevent libevent_pthreads json-c libcrypto"
  WSP_TLS_FLAG=""
  if test "$PHP_WSPUSH_TLS" != "no"; then
    AC_MSG_CHECKING([for libssl (wss://)])
    if $PKG_CONFIG --exists libssl; then
      AC_MSG_RESULT([found $($PKG_CONFIG --modversion libssl)])
      WSP_PKGS="$WSP_PKGS libssl"
      WSP_TLS_FLAG="-DWSP_HAVE_TLS=1"
    else
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([libssl not found by pkg-config (Debian: apt-get install libssl-dev), or configure --disable-wspush-tls])
    fi
  fi
  WSP_CFLAGS=`$PKG_CONFIG --cflags $WSP_PKGS`
  WSP_LIBS=`$PKG_CONFIG --libs $WSP_PKGS`
  PHP_EVAL_INCLINE($WSP_CFLAGS)
  PHP_EVAL_LIBLINE($WSP_LIBS, WSPUSH_SHARED_LIBADD)

  dnl LMDB, the embedded store (store=file).
  PHP_CHECK_LIBRARY(lmdb, mdb_env_create,
    [PHP_ADD_LIBRARY(lmdb, 1, WSPUSH_SHARED_LIBADD)],
    [AC_MSG_ERROR([liblmdb not found (Debian: apt-get install liblmdb-dev)])])
  AC_CHECK_HEADER([lmdb.h], [], [AC_MSG_ERROR([lmdb.h not found (Debian: apt-get install liblmdb-dev)])])

  PHP_ADD_LIBRARY(pthread, 1, WSPUSH_SHARED_LIBADD)
  PHP_ADD_LIBRARY(m, 1, WSPUSH_SHARED_LIBADD)

  dnl Every core/*.c except the *_main.c programs (the same rule as
  dnl core/Makefile), computed so new core files are picked up.
  dnl ($ext_srcdir is only set by PHP_NEW_EXTENSION, hence PHP_EXT_SRCDIR.)
  wsp_srcdir=PHP_EXT_SRCDIR(wspush)
  wsp_core_sources=`cd "$wsp_srcdir" && ls core/*.c 2>/dev/null | grep -v '_main\.c$' | tr '\n' ' '`
  if test -z "$wsp_core_sources"; then
    AC_MSG_ERROR([no core/*.c sources found in $wsp_srcdir])
  fi
  wsp_ext_sources="ext/wspush.c ext/wspush_exception.c ext/wspush_server.c ext/wspush_client.c"

  PHP_NEW_EXTENSION(wspush, $wsp_ext_sources $wsp_core_sources, $ext_shared,,
    [-std=gnu11 -DZEND_ENABLE_STATIC_TSRMLS_CACHE=1 $WSP_TLS_FLAG])
  PHP_ADD_INCLUDE([$ext_srcdir/core])
  PHP_ADD_INCLUDE([$ext_srcdir/ext])
  PHP_ADD_BUILD_DIR([$ext_builddir/ext], 1)
  PHP_ADD_BUILD_DIR([$ext_builddir/core], 1)
  PHP_ADD_EXTENSION_DEP(wspush, json)
  PHP_ADD_EXTENSION_DEP(wspush, spl)
  PHP_SUBST(WSPUSH_SHARED_LIBADD)
fi
