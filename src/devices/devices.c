#include "devices.h"

#include <errno.h>
#include <stddef.h>

#include "layout.h"

int devices_create(struct devices *devs, struct iobus *bus, FILE *out, const struct mem *mem,
		   unsigned ncpus)
{
	const struct {
		enum io_space space;
		uint64_t base, len;
		const char *name;
		io_handler handler;
		io_reg_namer reg_name;
		void *opaque;
	} table[] = {
		{ IO_PIO, LAYOUT_SERIAL_PORT, LAYOUT_SERIAL_PORTS, "serial", serial_access,
		  serial_reg_name, &devs->serial },
		{ IO_PIO, LAYOUT_DEBUGCON_PORT, 1, "debugcon", debugcon_access, NULL,
		  &devs->output },
		{ IO_PIO, LAYOUT_DEBUGCON_PORT_FW, 1, "debugcon", debugcon_access, NULL,
		  &devs->output },
		{ IO_PIO, LAYOUT_EXIT_PORT, 1, "exit", exitdev_access, NULL, NULL },
		{ IO_MMIO, LAYOUT_TESTDEV_BASE, LAYOUT_TESTDEV_SIZE, "testdev", testdev_access,
		  testdev_reg_name, &devs->testdev },
		{ IO_PIO, LAYOUT_FWCFG_PORT, 2, "fw_cfg", fwcfg_access, fwcfg_reg_name,
		  &devs->fwcfg },
		{ IO_PIO, LAYOUT_I8042_PORT, 1, "i8042", i8042_data_access, i8042_data_name,
		  &devs->i8042 },
		{ IO_PIO, LAYOUT_I8042_COMMAND, 1, "i8042", i8042_status_access, i8042_status_name,
		  &devs->i8042 },
		{ IO_PIO, LAYOUT_RTC_PORT, 2, "rtc", rtc_access, rtc_reg_name, &devs->rtc },
	};
	int r;

	*devs = (struct devices){ .output = { .out = out } };
	devs->serial.output = &devs->output;
	fwcfg_init(&devs->fwcfg, mem, ncpus);
	rtc_init(&devs->rtc, mem);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		r = iobus_register(bus, table[i].space, table[i].base, table[i].len,
				   table[i].name, table[i].handler, table[i].reg_name,
				   table[i].opaque);
		if (r < 0)
			return r;
	}
	iobus_keep_state(bus, &devs->serial, sizeof(devs->serial));
	iobus_keep_state(bus, &devs->testdev, sizeof(devs->testdev));
	iobus_keep_state(bus, &devs->fwcfg, offsetof(struct fwcfg, items));
	iobus_keep_state(bus, &devs->i8042, sizeof(devs->i8042));
	iobus_keep_state(bus, &devs->rtc, sizeof(devs->rtc));
	/* Without coalescing (an old host) the window still works, one exit per write. */
	r = iobus_coalesce(bus, IO_MMIO, LAYOUT_TESTDEV_BASE + TESTDEV_DATA, TESTDEV_DATA_SIZE);
	return r == -ENOTSUP ? 0 : r;
}
