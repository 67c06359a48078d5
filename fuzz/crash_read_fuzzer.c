/* The .crash text reader (converters/apple: iOS, macOS, PLCrashReporter text, the Translated
 * Report form) on anything, fed in chunks of every size and written by every writer
 * (read_and_emit.h). Must never crash, hang or leak. */
#include "read_and_emit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return read_and_emit("apple", data, size);
}
