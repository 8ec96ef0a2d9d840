#include "icount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"

/* Skid of the overflow interrupt, with room to spare (instructions). */
#define ICOUNT_MARGIN_INTEL 256
#define ICOUNT_MARGIN_AMD 2048
#define ICOUNT_MARGIN_OTHER 4096

static int icount_perf_event_open(const struct icount_perf *p, pid_t tid, uint64_t period)
{
	struct perf_event_attr attr = {
		.type = p->type,
		.size = sizeof(attr),
		.config = p->config,
		.sample_period = period,
		.wakeup_events = 1,
		/* Guest instructions only: what KVM_RUN executes, not the host. */
		.exclude_host = p->type == PERF_TYPE_HARDWARE,
		.pinned = 1,
	};

	return (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int icount_perf_probe(struct icount_perf *p, char *why, size_t len)
{
	const char *event = getenv(ICOUNT_PERF_EVENT_ENV);
	int fd;

	*p = (struct icount_perf){ .fd = -1, .type = PERF_TYPE_HARDWARE,
				   .config = PERF_COUNT_HW_INSTRUCTIONS };
	if (event && !strcmp(event, "task-clock")) {
		p->type = PERF_TYPE_SOFTWARE;
		p->config = PERF_COUNT_SW_TASK_CLOCK;
	}
	fd = icount_perf_event_open(p, 0, 0);
	if (fd < 0) {
		snprintf(why, len, "no hardware instructions counter: perf_event_open: %s",
			 strerror(errno));
		return -errno;
	}
	close(fd);
	snprintf(why, len, "%s", p->type == PERF_TYPE_HARDWARE ? "hardware instructions counter"
							 : "task-clock test event");
	return 0;
}

uint64_t icount_perf_default_margin(void)
{
	char line[256];
	uint64_t margin = ICOUNT_MARGIN_OTHER;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		if (strstr(line, "GenuineIntel"))
			margin = ICOUNT_MARGIN_INTEL;
		else if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
			margin = ICOUNT_MARGIN_AMD;
		break;
	}
	if (f)
		fclose(f);
	return margin;
}

int icount_perf_start(struct icount_perf *p, pid_t tid, int signo, uint64_t period)
{
	struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = tid };
	int e;

	p->fd = icount_perf_event_open(p, tid, period);
	if (p->fd < 0)
		return err_set(errno, "perf_event_open: %s", strerror(errno));
	if (!period)
		return 0;
	/* The overflow signal goes to the vCPU thread, where it interrupts KVM_RUN. */
	if (fcntl(p->fd, F_SETOWN_EX, &owner) == 0 && fcntl(p->fd, F_SETSIG, signo) == 0 &&
	    fcntl(p->fd, F_SETFL, O_ASYNC) == 0)
		return 0;
	e = errno;
	close(p->fd);
	p->fd = -1;
	return err_set(e, "perf overflow signal: %s", strerror(e));
}

int icount_perf_read(struct icount_perf *p, uint64_t *value)
{
	*value = 0;
	if (p->fd >= 0 && read(p->fd, value, sizeof(*value)) != (ssize_t)sizeof(*value))
		return err_set(EIO, "cannot read the perf counter");
	return 0;
}

int icount_perf_finish(struct icount_perf *p, uint64_t *value)
{
	int r = icount_perf_read(p, value);

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	return r;
}
