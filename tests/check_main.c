/* One Check runner for every suite. CK_RUN_SUITE / CK_RUN_CASE select, as usual with Check. */
#include <stdlib.h>

#include "testutil.h"

int main(void)
{
	SRunner *sr = srunner_create(suite_convert());
	srunner_add_suite(sr, suite_squeeze());
	srunner_add_suite(sr, suite_api());
	srunner_add_suite(sr, suite_parse());
	srunner_add_suite(sr, suite_fixtures());
	srunner_add_suite(sr, suite_corpus());
	srunner_add_suite(sr, suite_alloc());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
