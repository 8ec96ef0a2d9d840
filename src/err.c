#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char err_buf[512];

int err_set(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	return errnum > 0 ? -errnum : errnum;
}

const char *err_msg(void)
{
	return err_buf;
}
