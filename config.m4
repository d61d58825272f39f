dnl config.m4 - build the WsPush extension: the PHP binding (ext/) and the
dnl C push core (core/) compiled into one wspush.so.
dnl
dnl   phpize && ./configure && make && make test   ->  modules/wspush.so
dnl
dnl Libraries are found with pkg-config (libevent, libevent_pthreads, json-c,
dnl libcrypto) and a library check (liblmdb has no .pc file on Debian). A
dnl library in a non-standard prefix: --with-wspush-libevent=DIR,
dnl --with-wspush-json-c=DIR, --with-wspush-openssl=DIR, --with-wspush-lmdb=DIR
dnl (DIR/lib/pkgconfig etc. are searched first; LMDB from DIR/include, DIR/lib).
dnl A missing library stops configure naming the Debian package to install.
dnl
dnl Optional features (php --ri wspush lists each, on or off) follow one
dnl pattern, see "Optional features" below.

PHP_ARG_ENABLE([wspush],
  [whether to enable the WsPush extension],
  [AS_HELP_STRING([--enable-wspush], [Enable the WsPush push server extension])],
  [yes])

PHP_ARG_ENABLE([wspush-tls],
  [whether WsPush serves wss:// (ws_tls_cert / ws_tls_key)],
  [AS_HELP_STRING([--disable-wspush-tls], [Build WsPush without TLS (no libssl); ws_tls_cert then refuses to start])],
  [yes], [no])
PHP_ARG_WITH([wspush-libevent], [for the libevent prefix],
  [AS_HELP_STRING([--with-wspush-libevent=DIR], [WsPush: libevent 2.1 installed in DIR (default: pkg-config)])],
  [no], [no])
PHP_ARG_WITH([wspush-json-c], [for the json-c prefix],
  [AS_HELP_STRING([--with-wspush-json-c=DIR], [WsPush: json-c installed in DIR (default: pkg-config)])],
  [no], [no])
PHP_ARG_WITH([wspush-openssl], [for the OpenSSL prefix],
  [AS_HELP_STRING([--with-wspush-openssl=DIR], [WsPush: OpenSSL (libcrypto) installed in DIR (default: pkg-config)])],
  [no], [no])
PHP_ARG_WITH([wspush-lmdb], [for the LMDB prefix],
  [AS_HELP_STRING([--with-wspush-lmdb=DIR], [WsPush: LMDB installed in DIR (default: the system paths)])],
  [no], [no])
dnl The Redis store (store = redis://, cluster mode, docs/cluster.md) needs
dnl hiredis with its libevent adapter: built when found, unless disabled.
PHP_ARG_WITH([wspush-redis],
  [whether to build the WsPush Redis store],
  [AS_HELP_STRING([--without-wspush-redis],
    [Build WsPush without the Redis store (cluster mode); by default it is built when hiredis is found, and --with-wspush-redis makes a missing hiredis an error])],
  [auto], [no])
dnl io_uring (liburing): a loop pass's socket writes in one system call.
PHP_ARG_WITH([wspush-uring],
  [whether WsPush batches its socket writes with io_uring],
  [AS_HELP_STRING([--without-wspush-uring],
    [Build WsPush without io_uring (every socket write is its own send()); by default it is used when liburing is found, and --with-wspush-uring makes a missing liburing an error])],
  [auto], [no])

if test "$PHP_WSPUSH" != "no"; then
  PKG_PROG_PKG_CONFIG
  if test -z "$PKG_CONFIG"; then
    AC_MSG_ERROR([pkg-config not found; it is needed to locate libevent, json-c and libcrypto (Debian: apt-get install pkg-config)])
  fi

  dnl wsp_prefix SWITCH VALUE: a --with-wspush-X=DIR makes pkg-config look in
  dnl DIR first. "yes"/"no" keep the default search.
  wsp_prefix() {
    case "$2" in
      yes|no|"") return 0 ;;
    esac
    if test ! -d "$2"; then
      AC_MSG_ERROR([--with-wspush-$1=$2: no such directory])
    fi
    PKG_CONFIG_PATH="$2/lib/pkgconfig:$2/lib64/pkgconfig:$2/lib/x86_64-linux-gnu/pkgconfig:$2/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export PKG_CONFIG_PATH
  }

  dnl wsp_need_pkg MODULE DEBIAN-PACKAGE SWITCH: MODULE must be known to
  dnl pkg-config, or configure stops naming the package that provides it.
  wsp_need_pkg() {
    AC_MSG_CHECKING([for $1])
    if $PKG_CONFIG --exists "$1"; then
      wsp_modversion=`$PKG_CONFIG --modversion "$1"`
      AC_MSG_RESULT([found $wsp_modversion])
    else
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([$1 not found by pkg-config (Debian: apt-get install $2; elsewhere: --with-wspush-$3=PREFIX)])
    fi
  }

  wsp_prefix libevent "$PHP_WSPUSH_LIBEVENT"
  wsp_prefix json-c "$PHP_WSPUSH_JSON_C"
  wsp_prefix openssl "$PHP_WSPUSH_OPENSSL"

  dnl One module per check, so a missing one is named in the error.
  wsp_need_pkg libevent libevent-dev libevent
  wsp_need_pkg libevent_pthreads libevent-dev libevent
  wsp_need_pkg json-c libjson-c-dev json-c
  wsp_need_pkg libcrypto libssl-dev openssl

  WSP_PKGS="libevent libevent_pthreads json-c libcrypto"

  dnl ---- Optional features ------------------------------------------------
  dnl Each one: a PHP_ARG_WITH or PHP_ARG_ENABLE([wspush-NAME]) switch at the top; here, when it
  dnl is not "no": wsp_prefix NAME "$PHP_WSPUSH_NAME", then wsp_need_pkg (or a
  dnl check that fails naming the Debian package when the switch says "yes"),
  dnl append its pkg-config module to WSP_PKGS, its -DWSP_HAVE_NAME to
  dnl WSP_FEATURE_CFLAGS (seen by ext/ and core/), and its name to
  dnl wsp_features. ext/wspush.c's wspush_features[] shows it in php --ri.
  WSP_FEATURE_CFLAGS=""
  wsp_features=""

  dnl TLS (wss://, ws_tls_cert / ws_tls_key): on unless --disable-wspush-tls.
  if test "$PHP_WSPUSH_TLS" != "no"; then
    AC_MSG_CHECKING([for libssl (wss://)])
    if $PKG_CONFIG --exists libssl; then
      AC_MSG_RESULT([found $($PKG_CONFIG --modversion libssl)])
      WSP_PKGS="$WSP_PKGS libssl"
      WSP_FEATURE_CFLAGS="$WSP_FEATURE_CFLAGS -DWSP_HAVE_TLS=1"
      wsp_features="$wsp_features tls"
    else
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([libssl not found by pkg-config (Debian: apt-get install libssl-dev), or configure --disable-wspush-tls])
    fi
  fi

  dnl Redis store (store = redis://, cluster mode, docs/cluster.md): hiredis
  dnl with its libevent adapter; built when found unless --without-wspush-redis.
  if test "$PHP_WSPUSH_REDIS" != "no"; then
    AC_MSG_CHECKING([for hiredis with its libevent adapter (Redis store)])
    wsp_hiredis_inc=`$PKG_CONFIG --variable=includedir hiredis 2>/dev/null`
    dnl includedir is .../include/hiredis (0.14) or .../include (1.x)
    if $PKG_CONFIG --exists hiredis && { test -f "$wsp_hiredis_inc/adapters/libevent.h" \
         || test -f "$wsp_hiredis_inc/hiredis/adapters/libevent.h"; }; then
      AC_MSG_RESULT([found $($PKG_CONFIG --modversion hiredis)])
      WSP_PKGS="$WSP_PKGS hiredis"
      WSP_FEATURE_CFLAGS="$WSP_FEATURE_CFLAGS -DWSP_HAVE_HIREDIS"
      wsp_features="$wsp_features redis"
    elif test "$PHP_WSPUSH_REDIS" = "yes"; then
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([--with-wspush-redis: hiredis not found by pkg-config (Debian: apt-get install libhiredis-dev)])
    else
      AC_MSG_RESULT([no: building without the Redis store])
    fi
  fi
  dnl io_uring (core/send_batch.c): used when liburing is found unless
  dnl --without-wspush-uring; at run time a kernel that refuses io_uring
  dnl gets plain send()s (logged at start).
  if test "$PHP_WSPUSH_URING" != "no"; then
    AC_MSG_CHECKING([for liburing (batched socket writes)])
    if $PKG_CONFIG --exists liburing; then
      AC_MSG_RESULT([found $($PKG_CONFIG --modversion liburing)])
      WSP_PKGS="$WSP_PKGS liburing"
      WSP_FEATURE_CFLAGS="$WSP_FEATURE_CFLAGS -DWSP_HAVE_URING"
      wsp_features="$wsp_features io_uring"
    elif test "$PHP_WSPUSH_URING" = "yes"; then
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([--with-wspush-uring: liburing not found by pkg-config (Debian: apt-get install liburing-dev)])
    else
      AC_MSG_RESULT([no: every socket write is its own send()])
    fi
  fi
  WSP_CFLAGS=`$PKG_CONFIG --cflags $WSP_PKGS`
  WSP_LIBS=`$PKG_CONFIG --libs $WSP_PKGS`
  PHP_EVAL_INCLINE($WSP_CFLAGS)
  PHP_EVAL_LIBLINE($WSP_LIBS, WSPUSH_SHARED_LIBADD)

  dnl LMDB, the embedded store (store=file): no .pc file on Debian.
  wsp_lmdb_ldflags=""
  if test "$PHP_WSPUSH_LMDB" != "no" && test "$PHP_WSPUSH_LMDB" != "yes"; then
    if test ! -f "$PHP_WSPUSH_LMDB/include/lmdb.h"; then
      AC_MSG_ERROR([--with-wspush-lmdb=$PHP_WSPUSH_LMDB: no include/lmdb.h there])
    fi
    PHP_ADD_INCLUDE([$PHP_WSPUSH_LMDB/include])
    CPPFLAGS="$CPPFLAGS -I$PHP_WSPUSH_LMDB/include"
    wsp_lmdb_ldflags="-L$PHP_WSPUSH_LMDB/lib"
    PHP_ADD_LIBPATH([$PHP_WSPUSH_LMDB/lib], WSPUSH_SHARED_LIBADD)
  fi
  PHP_CHECK_LIBRARY(lmdb, mdb_env_create,
    [PHP_ADD_LIBRARY(lmdb, 1, WSPUSH_SHARED_LIBADD)],
    [AC_MSG_ERROR([liblmdb not found (Debian: apt-get install liblmdb-dev; elsewhere: --with-wspush-lmdb=PREFIX)])],
    [$wsp_lmdb_ldflags])
  AC_CHECK_HEADER([lmdb.h], [],
    [AC_MSG_ERROR([lmdb.h not found (Debian: apt-get install liblmdb-dev; elsewhere: --with-wspush-lmdb=PREFIX)])])

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
    [-std=gnu11 -DZEND_ENABLE_STATIC_TSRMLS_CACHE=1 $WSP_FEATURE_CFLAGS])
  PHP_ADD_INCLUDE([$ext_srcdir/core])
  PHP_ADD_INCLUDE([$ext_srcdir/ext])
  PHP_ADD_BUILD_DIR([$ext_builddir/ext], 1)
  PHP_ADD_BUILD_DIR([$ext_builddir/core], 1)
  PHP_ADD_EXTENSION_DEP(wspush, json)
  PHP_ADD_EXTENSION_DEP(wspush, spl)
  PHP_SUBST(WSPUSH_SHARED_LIBADD)

  dnl `make test` (and pecl run-tests) run the phpt suite in php-tests/:
  dnl run-tests.php alone only looks in tests/, ext/, Zend/ and sapi/.
  PHP_ADD_MAKEFILE_FRAGMENT([$ext_srcdir/Makefile.frag])

  if test -n "$wsp_features"; then
    AC_MSG_NOTICE([WsPush optional features:$wsp_features])
  else
    AC_MSG_NOTICE([WsPush optional features: none])
  fi
fi
