/* The .ips reader (converters/apple: a metadata line and a JSON or text body) on anything,
 * fed in chunks of every size and written by every writer (read_and_emit.h). Must never
 * crash, hang or leak. */
#include "read_and_emit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return read_and_emit("ips", data, size);
}
