#include "host.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "arch.h"
#include "err.h"
#include "json.h"
#include "vm.h"

/* How each probe is reported: its JSON key, its label, and its value's words. */
static const struct {
	const char *key;
	const char *label;
} host_names[HOST_NPROBES] = {
	[HOST_STEP] = { "single_step", "single-step" },
	[HOST_STEP_REP] = { "step_rep", "  REP string instruction" },
	[HOST_STEP_IO] = { "step_io", "  after a port access" },
	[HOST_STEP_HLT] = { "step_hlt", "  hlt" },
	[HOST_STEP_REGS] = { "step_regs", "  register write between steps" },
	[HOST_SWBP] = { "int3", "int3 with KVM_GUESTDBG_USE_SW_BP" },
	[HOST_SWBP_REAL] = { "int3_real_mode", "  in real mode" },
	[HOST_HWBP] = { "hw_breakpoints", "hardware execution breakpoints (DR0-DR3)" },
	[HOST_DATABP] = { "data_breakpoints", "hardware data breakpoints (DR7 R/W)" },
	[HOST_FETCH] = { "fetch_exit", "code fetch from memory without a memslot" },
	[HOST_ONEREG] = { "one_reg", "x86 KVM_GET_ONE_REG" },
	[HOST_PMU] = { "pmu", "guest instruction counter (PMU)" },
	[HOST_READONLY] = { "readonly_mem", "read-only memslots" },
	[HOST_COALESCED] = { "coalesced_mmio", "coalesced MMIO" },
	[HOST_DIRTY_LOG] = { "dirty_log", "dirty-page logging" },
	[HOST_IMMEDIATE_EXIT] = { "immediate_exit", "immediate_exit" },
	[HOST_BLOCKIRQ] = { "blockirq", "KVM_GUESTDBG_BLOCKIRQ" },
	[HOST_PIO_WRITE_PC] = { "pio_write_pc", "rip at a port write exit" },
	[HOST_MMIO_WRITE_PC] = { "mmio_write_pc", "rip at an MMIO write exit" },
	[HOST_SHUTDOWN_REGS] = { "shutdown_regs", "registers after a triple fault" },
	[HOST_SPEED] = { "cpl0_ips", "CPL 0 instructions per second" },
};

static const char *const host_words[] = {
	[HOST_FAILED] = "failed",
	[HOST_YES] = "yes",
	[HOST_NO] = "no",
	[HOST_REP_PER_ITERATION] = "per-iteration",
	[HOST_REP_WHOLE] = "whole",
	[HOST_IO_RUNS_NEXT] = "runs-next",
	[HOST_HLT_SKIPPED] = "skipped",
	[HOST_HLT_EXITS] = "exits",
	[HOST_REGS_DROP_STEP] = "drops-step",
	[HOST_SWBP_DEBUG_EXIT] = "debug-exit",
	[HOST_SWBP_EMULATION] = "emulation-failure",
	[HOST_SWBP_GUEST] = "guest",
	[HOST_FETCH_EMULATION] = "emulation-failure",
	[HOST_PC_AT] = "at",
	[HOST_PC_AFTER] = "after",
	[HOST_REGS_KEPT] = "kept",
	[HOST_REGS_RESET] = "reset",
	[HOST_OTHER] = "other",
};

static struct {
	pthread_mutex_t lock;
	struct host_env env;  /* the KVM device, opened at the first probe */
	bool opened;
	char error[512];      /* why KVM could not be opened */
	bool done[HOST_NPROBES];
	struct host_result res[HOST_NPROBES];
} host = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Opens KVM for the probes; false with every result failed if it cannot. */
static bool host_open(void)
{
	int fd, size;

	if (host.opened)
		return host.env.kvm_fd >= 0;
	host.opened = true;
	host.env.kvm_fd = -1;
	fd = vm_open_kvm();
	size = fd < 0 ? -1 : ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		if (fd >= 0) {
			err_set(errno, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
			close(fd);
		}
		snprintf(host.error, sizeof(host.error), "%s", err_msg());
		for (int i = 0; i < HOST_NPROBES; i++) {
			host.res[i].value = HOST_FAILED;
			snprintf(host.res[i].detail, sizeof(host.res[i].detail), "%s",
				 "KVM could not be opened");
			host.done[i] = true;
		}
		return false;
	}
	host.env = (struct host_env){ .kvm_fd = fd, .run_size = (size_t)size };
	return true;
}

static void host_blockirq(struct host_result *res)
{
	int caps = ioctl(host.env.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);

	res->value = caps > 0 && (caps & KVM_GUESTDBG_BLOCKIRQ) ? HOST_YES : HOST_NO;
	snprintf(res->detail, sizeof(res->detail), "%s in KVM_CAP_SET_GUEST_DEBUG2 (%#x)",
		 res->value == HOST_YES ? "offered" : "not offered", caps > 0 ? caps : 0);
}

const struct host_result *host_probe(enum host_probe probe)
{
	struct host_result fresh[HOST_NPROBES];

	pthread_mutex_lock(&host.lock);
	if (!host.done[probe] && host_open()) {
		if (probe == HOST_BLOCKIRQ) {
			host_blockirq(&host.res[probe]);
			host.done[probe] = true;
		} else {
			/* One program may measure several things: keep what it filled. */
			memset(fresh, 0xff, sizeof(fresh));
			arch_host_probe(&host.env, probe, fresh);
			for (int i = 0; i < HOST_NPROBES; i++) {
				if ((int)fresh[i].value == -1 || host.done[i])
					continue;
				host.res[i] = fresh[i];
				host.done[i] = true;
			}
			if (!host.done[probe]) {
				host.res[probe].value = HOST_FAILED;
				snprintf(host.res[probe].detail, sizeof(host.res[probe].detail),
					 "not measured on this architecture");
				host.done[probe] = true;
			}
		}
	}
	pthread_mutex_unlock(&host.lock);
	return &host.res[probe];
}

bool host_int3_stops(bool real_mode)
{
	enum host_value v = host_probe(real_mode ? HOST_SWBP_REAL : HOST_SWBP)->value;

	return v == HOST_SWBP_DEBUG_EXIT || v == HOST_SWBP_EMULATION;
}

void host_identity(char *kernel, size_t klen, char *module, size_t mlen)
{
	static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	struct utsname u;
	struct stat st;
	char path[64];

	snprintf(kernel, klen, "%s", uname(&u) == 0 ? u.release : "unknown");
	snprintf(module, mlen, "other");
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", modules[i]);
		if (stat(path, &st) == 0) {
			snprintf(module, mlen, "%s", modules[i]);
			break;
		}
	}
}

int host_report(FILE *out, bool json)
{
	char kernel[128], module[32];

	host_identity(kernel, sizeof(kernel), module, sizeof(module));
	for (int i = 0; i < HOST_NPROBES; i++)
		host_probe((enum host_probe)i);
	if (host.env.kvm_fd < 0) {
		if (json) {
			fprintf(out, "{\"kvm\": false, \"error\": ");
			json_string(out, host.error);
			fprintf(out, "}\n");
		}
		return err_set(ENODEV, "no KVM here: %s", host.error);
	}
	if (json) {
		fprintf(out, "{\n  \"kvm\": true,\n  \"module\": \"%s\",\n  \"kernel\": ", module);
		json_string(out, kernel);
		fprintf(out, ",\n");
		for (int i = 0; i < HOST_NPROBES; i++) {
			const struct host_result *r = &host.res[i];

			if (i == HOST_SPEED && r->value == HOST_YES)
				fprintf(out, "  \"%s\": %.0f,\n", host_names[i].key, r->rate);
			else
				fprintf(out, "  \"%s\": \"%s\",\n", host_names[i].key,
					host_words[r->value]);
		}
		fprintf(out, "  \"details\": {\n");
		for (int i = 0; i < HOST_NPROBES; i++) {
			fprintf(out, "    \"%s\": ", host_names[i].key);
			json_string(out, host.res[i].detail);
			fprintf(out, "%s\n", i + 1 < HOST_NPROBES ? "," : "");
		}
		fprintf(out, "  }\n}\n");
		return 0;
	}
	fprintf(out, "KVM module %s, kernel %s (each line measured now by a probe VM)\n", module,
		kernel);
	for (int i = 0; i < HOST_NPROBES; i++)
		fprintf(out, "%-42s %-17s %s\n", host_names[i].label,
			i == HOST_SPEED && host.res[i].value == HOST_YES ? "" :
			host_words[host.res[i].value], host.res[i].detail);
	return 0;
}
