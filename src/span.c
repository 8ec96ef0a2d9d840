#include "span.h"

#include <errno.h>

#include "err.h"

int span_check(uint64_t addr, uint64_t len, uint64_t max, const char *what)
{
	if (span_ok(addr, len, max))
		return 0;
	if (!len)
		return err_set(EINVAL, "%s at %#llx is empty", what, (unsigned long long)addr);
	if (len > max)
		return err_set(E2BIG, "%s at %#llx is %#llx bytes long: at most %#llx", what,
			       (unsigned long long)addr, (unsigned long long)len,
			       (unsigned long long)max);
	return err_set(EINVAL, "%s at %#llx+%#llx runs past the end of the address space", what,
		       (unsigned long long)addr, (unsigned long long)len);
}
