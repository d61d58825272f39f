/* testutil.h - shared helpers for the core's check-based unit tests. */
#ifndef WSP_TESTUTIL_H
#define WSP_TESTUTIL_H
#include <check.h>
#include <stdlib.h>

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
