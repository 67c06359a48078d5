/* A program outside the project, built against the installed crashport. */
#include <stdio.h>
#include <string.h>

#include <crashport/crashport.h>

int main(void)
{
	static const char json[] = "{\"report\":{\"id\":\"consumer\"}}";
	crp_buffer out = CRP_BUFFER_INIT;
	crp_error err;
	if (crp_version_number() != CRP_VERSION_NUMBER)
		return 1;
	if (crp_convert_buffer(&out, json, strlen(json), "json", NULL, NULL, &err) != CRP_OK)
		return 2;
	int ok = strstr(out.data, "\"consumer\"") != NULL;
	printf("%s\n", crp_version_details());
	crp_buffer_dispose(&out);
	return ok ? 0 : 3;
}
