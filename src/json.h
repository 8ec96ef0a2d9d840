/* JSON output shared by the access log and the host report. */
#ifndef KVMDBG_JSON_H
#define KVMDBG_JSON_H

#include <stdio.h>

/* s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);

#endif
