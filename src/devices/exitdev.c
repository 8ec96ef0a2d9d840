/* Exit port 0xf4: a write of V ends the run with exit status V & 0xff. */
#include "devices.h"

enum io_result exitdev_access(void *opaque, struct io_access *acc)
{
	(void)opaque;
	if (!acc->is_write) {
		acc->value = 0;
		return IO_DONE;
	}
	return IO_EXIT;
}
