/* testutil.h - shared helpers for the core's check-based unit tests. */
#ifndef WSP_TESTUTIL_H
#define WSP_TESTUTIL_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* io_uring is there to be used: the build has liburing and the kernel does
 * not refuse it (kernel.io_uring_disabled). */
static inline int uring_expected(void)
{
#ifdef WSP_HAVE_URING
    FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int disabled = 0;
    if (f) { if (fscanf(f, "%d", &disabled) != 1) disabled = 0; fclose(f); }
    return disabled == 0;
#else
    return 0;
#endif
}

/* Each test file defines make_suite(); this main runs it. */
Suite *make_suite(void);
int main(void)
{
    SRunner *sr = srunner_create(make_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif
