#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[512];

/* The message may quote the previous one (err_msg() as an argument): it is
 * formatted aside first, since vsnprintf's output must not overlap its input. */
int err_set(int errnum, const char *fmt, ...)
{
	char msg[sizeof(err_buf)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(err_buf, msg, sizeof(err_buf));
	return errnum > 0 ? -errnum : errnum;
}

const char *err_msg(void)
{
	return err_buf;
}
