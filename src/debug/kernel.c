/*
 * The kernel behind the symbols (README "Linux kernels"): --symbols checked
 * against the Linux kernel the guest boots, by its bzImage's version string
 * at start and by its linux_banner in memory at the first stop in its own
 * mapping, and Linux's KASLR found there (the banner at linux_banner plus a
 * multiple of the alignment): the symbols move with the kernel, and `kaslr`
 * says how far for gdb. Hangs off the debugger's stop reports
 * (debug->report_hook): nothing in the run loop calls it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../arch.h"
#include "../err.h"
#include "../symbols.h"
#include "internal.h"

static const char banner_head[] = "Linux version ";

/* Whether two version lines name the same kernel: the same release, and
 * where both have it the same build ("#1 SMP PREEMPT_DYNAMIC Debian ..."). */
static bool debug_kernel_same(const char *a, const char *b)
{
	size_t na, nb;
	const char *ra = symbols_release(a, &na), *rb = symbols_release(b, &nb);
	const char *ba = strstr(a, " #"), *bb = strstr(b, " #");

	if (na != nb || memcmp(ra, rb, na))
		return false;
	return !ba || !bb || !strcmp(ba, bb);
}

/* "6.1.0-57-amd64" of a version line, for messages. */
static const char *debug_kernel_release(const char *version, char *buf, size_t len)
{
	size_t n;
	const char *r = symbols_release(version, &n);

	snprintf(buf, len, "%.*s", (int)n, r);
	return buf;
}

void debug_set_boot_version(struct debug *d, const char *version)
{
	struct debug_kernel *k = &d->kernel;
	char a[80], b[80];

	snprintf(k->boot, sizeof(k->boot), "%s", version ? version : "");
	if (!k->boot[0] || !d->syms || !d->syms->version[0] ||
	    debug_kernel_same(d->syms->version, k->boot))
		return;
	k->warned = true;
	snprintf(d->notice, sizeof(d->notice),
		 "WARNING: the symbols are for Linux %s, but the kernel booted is %s (its bzImage "
		 "says \"%.120s\"): their addresses are not this kernel's. Give the symbols of the "
		 "kernel booted (its System.map or vmlinux, or /proc/kallsyms of it booted with "
		 "nokaslr)", debug_kernel_release(d->syms->version, a, sizeof(a)),
		 debug_kernel_release(k->boot, b, sizeof(b)), k->boot);
}

/* The kernel's banner at va, if it is there (into buf). */
static bool debug_kernel_banner_at(struct debug *d, uint64_t va, char *buf, size_t len)
{
	size_t got;

	if (debug_read_virt(d, va, buf, sizeof(banner_head) - 1) < 0 ||
	    memcmp(buf, banner_head, sizeof(banner_head) - 1))
		return false;
	got = debug_read_upto(d, va, buf, len - 1, false);
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* Looks for the running kernel's banner where the symbols say and at every
 * offset KASLR could have given it: 1 found, 0 not yet possible (the guest
 * does not run in the kernel's mapping), -1 no banner anywhere. */
static int debug_kernel_find(struct debug *d, uint64_t banner)
{
	const struct debug_early_map *m = &d->early_map;
	struct debug_kernel *k = &d->kernel;
	uint64_t pc = arch_pc(d->vcpu), pa;

	if (!m->size || pc < m->va || pc - m->va >= m->size || banner < m->va ||
	    banner - m->va >= m->size || arch_virt_to_phys(d->vcpu, pc, &pa) < 0)
		return 0;
	for (uint64_t slide = 0; banner - m->va + slide < m->size; slide += m->align) {
		if (debug_kernel_banner_at(d, banner + slide, k->running, sizeof(k->running))) {
			k->slide = slide;
			return 1;
		}
		if (!m->align)
			break;
	}
	return -1;
}

/* Once, at the first stop in the kernel's own mapping: is the kernel the
 * symbols', and where? The answer goes to the user as a notice. */
void debug_kernel_check(struct debug *d)
{
	struct debug_kernel *k = &d->kernel;
	const struct symbol *s;
	const char *want;
	char a[80];
	int r;

	if (k->state != KERNEL_UNCHECKED)
		return;
	s = d->syms ? symbols_by_name(d->syms, "linux_banner") : NULL;
	if (!s) {
		k->state = KERNEL_NO_SYMBOL;
		return;
	}
	r = debug_kernel_find(d, s->addr);
	if (r == 0)
		return;
	k->linked = s->addr;
	if (r < 0) {
		k->state = KERNEL_NO_BANNER;
		snprintf(d->notice, sizeof(d->notice),
			 "WARNING: the symbols put linux_banner at %#llx, but the running kernel has "
			 "no \"Linux version\" there, nor at any offset KASLR could have moved it by: "
			 "the symbols are not this kernel's", (unsigned long long)s->addr);
		return;
	}
	k->state = KERNEL_FOUND;
	want = d->syms->version[0] ? d->syms->version : k->boot;
	if (want[0] && !debug_kernel_same(want, k->running)) {
		if (k->warned) /* at start, by the bzImage's word */
			return;
		snprintf(d->notice, sizeof(d->notice),
			 "WARNING: the symbols are for Linux %s, but the running kernel says \"%.200s\": "
			 "their addresses are not this kernel's",
			 debug_kernel_release(want, a, sizeof(a)), k->running);
		return;
	}
	if (k->slide) {
		symbols_relocate(d->syms, d->early_map.va, d->early_map.va + d->early_map.size,
				 k->slide);
		snprintf(d->notice, sizeof(d->notice),
			 "KASLR: the kernel runs %#llx above where it was linked; kvmdbg's symbols "
			 "moved with it (breakpoints set by name before stay where they were). gdb: "
			 "symbol-file -o %#llx vmlinux ('kaslr' says it again)",
			 (unsigned long long)k->slide, (unsigned long long)k->slide);
	}
}

void debug_kernel_reset(struct debug *d)
{
	struct debug_kernel *k = &d->kernel;

	/* KASLR kept the kernel inside its mapping: what moved is there. */
	if (k->state == KERNEL_FOUND && k->slide)
		symbols_relocate(d->syms, d->early_map.va + k->slide,
				 d->early_map.va + d->early_map.size, -k->slide);
	k->state = KERNEL_UNCHECKED;
	k->slide = 0;
	k->running[0] = '\0';
}

int debug_kaslr(struct debug *d, char *buf, size_t len)
{
	struct debug_kernel *k = &d->kernel;
	uint64_t pc = arch_pc(d->vcpu);

	if (d->running)
		return err_set(EBUSY, "the guest is running");
	debug_kernel_check(d);
	switch (k->state) {
	case KERNEL_NO_SYMBOL:
		return err_set(ENOENT, "no linux_banner among the symbols: give the kernel's with "
			       "--symbols (its System.map or vmlinux, or /proc/kallsyms of it booted "
			       "with nokaslr)");
	case KERNEL_NO_BANNER:
		return err_set(ENOENT, "the running kernel has no banner where the symbols put "
			       "linux_banner (%#llx), nor at any KASLR offset: the symbols are not "
			       "its own", (unsigned long long)k->linked);
	case KERNEL_UNCHECKED:
		return err_set(EAGAIN, "the kernel does not run in its own mapping yet (pc %#llx): "
			       "ask again at a stop in it (break start_kernel, or Ctrl-C later)",
			       (unsigned long long)pc);
	case KERNEL_FOUND:
		break;
	}
	if (!k->slide)
		snprintf(buf, len, "KASLR offset 0: the kernel runs where it was linked "
			 "(linux_banner at %#llx)\n", (unsigned long long)k->linked);
	else
		snprintf(buf, len, "KASLR offset %#llx: linux_banner is at %#llx, linked at "
			 "%#llx (kvmdbg's symbols have moved)\ngdb: symbol-file -o %#llx vmlinux\n",
			 (unsigned long long)k->slide, (unsigned long long)(k->linked + k->slide),
			 (unsigned long long)k->linked, (unsigned long long)k->slide);
	return 0;
}
