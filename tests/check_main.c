/* One Check runner for every suite of tests/unit/ (the list is generated: suites.inc).
 * CK_RUN_SUITE / CK_RUN_CASE / CK_EXCLUDE_TAGS select, as usual with Check. */
#include <stdlib.h>

#include "testutil.h"

#define SUITE(name) Suite *name(void);
#include "suites.inc"
#undef SUITE

int main(void)
{
	SRunner *sr = srunner_create(NULL);
#define SUITE(name) srunner_add_suite(sr, name());
#include "suites.inc"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
