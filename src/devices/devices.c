#include "devices.h"

#include <errno.h>
#include <stddef.h>

#include "layout.h"

/* One device's range, as devices_register() registers it. */
struct devices_range {
	enum io_space space;
	uint64_t base, len;
	const char *name;
	io_handler handler;
	io_reg_namer reg_name;
	void *opaque;
};

static int devices_register(struct iobus *bus, const struct devices_range *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = iobus_register(bus, t[i].space, t[i].base, t[i].len, t[i].name,
				       t[i].handler, t[i].reg_name, t[i].opaque);

		if (r < 0)
			return r;
	}
	return 0;
}

int devices_create(struct devices *devs, struct iobus *bus, FILE *out, const struct mem *mem,
		   unsigned ncpus, bool pc_testdev)
{
	const struct devices_range table[] = {
		{ IO_PIO, LAYOUT_SERIAL_PORT, LAYOUT_SERIAL_PORTS, "serial", serial_access,
		  serial_reg_name, &devs->serial },
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
		{ IO_PIO, LAYOUT_ACPI_PM_PORT, LAYOUT_ACPI_PM_PORTS, "acpi-pm", acpi_pm_access,
		  acpi_pm_reg_name, &devs->acpi },
		{ IO_PIO, LAYOUT_ACPI_RESET_PORT, 1, "acpi-reset", acpi_reset_access, NULL, NULL },
	};
	int r;

	*devs = (struct devices){ .output = { .out = out } };
	devs->serial.output = &devs->output;
	fwcfg_init(&devs->fwcfg, mem, ncpus);
	rtc_init(&devs->rtc, mem);
	acpi_pm_init(&devs->acpi, NULL);
	r = devices_register(bus, table, sizeof(table) / sizeof(table[0]));
	if (r == 0 && !pc_testdev)
		r = iobus_register(bus, IO_PIO, LAYOUT_DEBUGCON_PORT, 1, "debugcon", debugcon_access,
				   NULL, &devs->output);
	if (r == 0 && pc_testdev)
		r = pc_testdev_create(devs, bus);
	if (r < 0)
		return r;
	iobus_keep_state(bus, &devs->serial, sizeof(devs->serial));
	iobus_keep_state(bus, &devs->testdev, sizeof(devs->testdev));
	iobus_keep_state(bus, &devs->fwcfg, offsetof(struct fwcfg, items));
	iobus_keep_state(bus, &devs->i8042, sizeof(devs->i8042));
	iobus_keep_state(bus, &devs->rtc, offsetof(struct rtc, clock));
	iobus_keep_state(bus, &devs->acpi, offsetof(struct acpi_pm, clock));
	/* Without coalescing (an old host) the window still works, one exit per write. */
	r = iobus_coalesce(bus, IO_MMIO, LAYOUT_TESTDEV_BASE + TESTDEV_DATA, TESTDEV_DATA_SIZE);
	return r == -ENOTSUP ? 0 : r;
}

/* An ISA line raised or lowered: into kvmdbg's own PIC. */
static void devices_pic_irq(void *opaque, unsigned irq, bool level)
{
	pic_set_irq(opaque, irq, level);
}

int devices_timers_create(struct devices *devs, struct iobus *bus)
{
	const struct devices_range table[] = {
		{ IO_PIO, LAYOUT_PIC1_PORT, 2, "pic", pic_access, pic_reg_name, &devs->pic },
		{ IO_PIO, LAYOUT_PIC2_PORT, 2, "pic", pic_access, pic_reg_name, &devs->pic },
		{ IO_PIO, LAYOUT_ELCR_PORT, 2, "elcr", pic_elcr_access, NULL, &devs->pic },
		{ IO_PIO, LAYOUT_PIT_PORT, 4, "pit", pit_access, pit_reg_name, &devs->pit },
		{ IO_PIO, LAYOUT_PORTB, 1, "portb", pit_portb_access, NULL, &devs->pit },
	};
	int r;

	pic_init(&devs->pic);
	devs->irq = (struct devices_irq){ .set = devices_pic_irq, .opaque = &devs->pic };
	devs->serial.irq = &devs->irq;
	devs->serial.clock = &devs->clock;
	rtc_clock_init(&devs->rtc, &devs->clock, &devs->irq);
	devs->acpi.clock = &devs->clock;
	pit_init(&devs->pit, &devs->clock, &devs->irq);
	r = devices_register(bus, table, sizeof(table) / sizeof(table[0]));
	if (r < 0)
		return r;
	iobus_keep_state(bus, &devs->pic, sizeof(devs->pic));
	iobus_keep_state(bus, &devs->pit, offsetof(struct pit, clock));
	return 0;
}
