/*
 * ACPI's fixed hardware, as the FADT describes it (x86/acpi.c writes the
 * tables): the PM1a event and control blocks, the PM timer and the reset
 * register. The machine is always in ACPI mode (SCI_EN set, no SMI command
 * port). Sleep type 0 with SLP_EN (the DSDT's _S5) powers off: the run
 * ends with status 0. No sleep state else is offered (the DSDT has no _S3):
 * a write of another sleep type is kept and does nothing. No event ever
 * sets a status bit, so the SCI never fires. The PM timer runs on the
 * machine's clock on instruction-count time, on the host's with KVM's
 * interrupt controllers, and stands still without either (a machine with
 * no timer at all, as --history --clock host has it: replays read the same).
 */
#include "devices.h"

#include <time.h>

#include "layout.h"

static uint64_t acpi_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void acpi_pm_init(struct acpi_pm *pm, const struct devices_clock *clock)
{
	*pm = (struct acpi_pm){ .cnt = ACPI_PM1_CNT_SCI_EN, .clock = clock,
				.host_start = acpi_host_ns() };
}

/* The PM timer: 3.579545 MHz ticks since power-on, 32 bits. */
static uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
	uint64_t ns = pm->clock ? pm->clock->now(pm->clock->opaque) :
		      pm->still ? 0 : acpi_host_ns() - pm->host_start;

	/* ns * 3579545 / 1e9 without overflow for centuries of uptime. */
	return (uint32_t)((ns / 1000000000ULL) * ACPI_PM_TIMER_HZ +
			  (ns % 1000000000ULL) * ACPI_PM_TIMER_HZ / 1000000000ULL);
}

/* Bytes [off, off + size) of a 16-bit register's value. */
static uint64_t acpi_bytes(uint32_t value, uint64_t off, unsigned size)
{
	return (value >> (8 * off)) & (size >= 4 ? 0xffffffffU : (1U << (8 * size)) - 1);
}

enum io_result acpi_pm_access(void *opaque, struct io_access *acc)
{
	struct acpi_pm *pm = opaque;
	uint64_t off = acc->offset;
	uint32_t v = (uint32_t)acc->value;

	if (!acc->is_write) {
		if (off >= ACPI_PM_TMR)
			acc->value = acpi_bytes(acpi_pm_timer(pm), off - ACPI_PM_TMR, acc->size);
		else if (off >= ACPI_PM1_CNT)
			acc->value = acpi_bytes(pm->cnt, off - ACPI_PM1_CNT, acc->size);
		else if (off >= ACPI_PM1_EN)
			acc->value = acpi_bytes(pm->en, off - ACPI_PM1_EN, acc->size);
		else
			acc->value = acpi_bytes((uint32_t)pm->sts | (uint32_t)pm->en << 16, off,
						acc->size);
		return IO_DONE;
	}
	/* Writes that start in a register (the timer is read-only). */
	if (off < ACPI_PM1_EN) {
		/* Status bits clear where a 1 is written. */
		pm->sts &= (uint16_t)~(v << (8 * off));
		if (off + acc->size > ACPI_PM1_EN)
			pm->en = (uint16_t)(v >> (8 * (ACPI_PM1_EN - off)));
	} else if (off < ACPI_PM1_CNT) {
		uint16_t mask = (uint16_t)(acc->size >= 2 ? 0xffff : 0xff) << (8 * (off - ACPI_PM1_EN));

		pm->en = (uint16_t)((pm->en & ~mask) | ((v << (8 * (off - ACPI_PM1_EN))) & mask));
	} else if (off < ACPI_PM_TMR) {
		uint16_t mask = (uint16_t)(acc->size >= 2 ? 0xffff : 0xff) << (8 * (off - ACPI_PM1_CNT));
		uint16_t cnt = (uint16_t)((pm->cnt & ~mask) | ((v << (8 * (off - ACPI_PM1_CNT))) & mask));

		/* SLP_EN reads 0; SCI_EN stays set. */
		pm->cnt = (uint16_t)((cnt & ~ACPI_PM1_CNT_SLP_EN) | ACPI_PM1_CNT_SCI_EN);
		if ((cnt & ACPI_PM1_CNT_SLP_EN) && (cnt >> ACPI_SLP_TYP_SHIFT & 7) == ACPI_SLP_TYP_S5)
			return IO_POWEROFF;
	}
	return IO_DONE;
}

const char *acpi_pm_reg_name(const void *opaque, uint64_t offset, const struct io_access *acc)
{
	(void)opaque;
	(void)acc;
	if (offset >= ACPI_PM_TMR)
		return "pm_tmr";
	if (offset >= ACPI_PM1_CNT)
		return "pm1a_cnt";
	return offset >= ACPI_PM1_EN ? "pm1a_en" : "pm1a_sts";
}

/* The reset register (the PIIX's reset control at 0xcf9): bit 2 resets. */
enum io_result acpi_reset_access(void *opaque, struct io_access *acc)
{
	(void)opaque;
	if (!acc->is_write) {
		acc->value = 0;
		return IO_DONE;
	}
	return acc->value & 4 ? IO_RESET : IO_DONE;
}
