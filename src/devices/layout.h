/*
 * The machine as the guest sees it: port numbers, physical addresses and
 * register offsets of kvmdbg's built-in devices. Macros only, so freestanding
 * guests include this same file and the two sides cannot drift apart.
 */
#ifndef KVMDBG_LAYOUT_H
#define KVMDBG_LAYOUT_H

/* 16550 UART (COM1). */
#define LAYOUT_SERIAL_PORT 0x3f8
#define LAYOUT_SERIAL_PORTS 8
#define LAYOUT_SERIAL_IRQ 4      /* its ISA interrupt line */

/* Debug console: a byte written is printed (Bochs 0xe9, QEMU/firmware 0x402). */
#define LAYOUT_DEBUGCON_PORT 0xe9
#define LAYOUT_DEBUGCON_PORT_FW 0x402
#define LAYOUT_DEBUGCON_ID 0xe9 /* what a read of either port returns */

/* Exit port: a write of V (any size) ends the run with exit status V & 0xff. */
#define LAYOUT_EXIT_PORT 0xf4

/*
 * QEMU's fw_cfg, its port interface (no DMA): a 16-bit write of a key to
 * LAYOUT_FWCFG_PORT selects an item and rewinds it; byte reads from
 * LAYOUT_FWCFG_PORT + 1 return it byte by byte (0 past its end). Numbers are
 * little-endian, but for the file directory's (big-endian, as QEMU's).
 */
#define LAYOUT_FWCFG_PORT 0x510
#define FWCFG_SIGNATURE 0x00 /* "QEMU" */
#define FWCFG_ID 0x01        /* 32 bits: 1, the port interface only */
#define FWCFG_UUID 0x02      /* 16 bytes: zero */
#define FWCFG_RAM_SIZE 0x03  /* 64 bits: bytes of RAM */
#define FWCFG_NB_CPUS 0x05   /* 16 bits */
#define FWCFG_KERNEL_ADDR 0x07   /* 32 bits: where the kernel was loaded */
#define FWCFG_KERNEL_SIZE 0x08   /* 32 bits: its bytes (a bzImage: its protected-mode part) */
#define FWCFG_INITRD_ADDR 0x0a   /* 32 bits: the initrd (multiboot: the first module) */
#define FWCFG_INITRD_SIZE 0x0b   /* 32 bits */
#define FWCFG_MAX_CPUS 0x0f      /* 16 bits */
#define FWCFG_KERNEL_ENTRY 0x10  /* 32 bits: where the vCPU starts */
#define FWCFG_KERNEL_DATA 0x11   /* the kernel's bytes as loaded */
#define FWCFG_INITRD_DATA 0x12   /* the initrd's bytes */
#define FWCFG_CMDLINE_ADDR 0x13  /* 32 bits: the command line in RAM */
#define FWCFG_CMDLINE_SIZE 0x14  /* 32 bits: its bytes with the NUL */
#define FWCFG_CMDLINE_DATA 0x15  /* the command line, NUL-terminated */
#define FWCFG_SETUP_SIZE 0x17    /* 32 bits: a bzImage's real-mode part (not loaded) */
#define FWCFG_SETUP_DATA 0x18    /* its bytes, from the file */
#define FWCFG_FILE_DIR 0x19  /* 32-bit count, then {size32, key16, 0, name[56]} each */
#define FWCFG_FILE_FIRST 0x20 /* the key of the first file ("etc/e820") */
#define FWCFG_FILE_NAME 56
/* "etc/e820": {u64 address, u64 length, u32 type (1: RAM)} per RAM range. */

/* i8042 keyboard controller: data 0x60, status/command 0x64 (0xfe: reset). */
#define LAYOUT_I8042_PORT 0x60
#define LAYOUT_I8042_COMMAND 0x64
#define LAYOUT_I8042_RESET 0xfe

/* RTC and CMOS: index 0x70, data 0x71. */
#define LAYOUT_RTC_PORT 0x70
#define LAYOUT_RTC_IRQ 8

/* On instruction-count time (--clock icount) only, kvmdbg's own PC timer
 * and interrupt controllers (else KVM's, or none): the 8259A pair, its
 * ELCR, the 8254 PIT and system control port B. */
#define LAYOUT_PIC1_PORT 0x20
#define LAYOUT_PIC2_PORT 0xa0
#define LAYOUT_ELCR_PORT 0x4d0
#define LAYOUT_PIT_PORT 0x40
#define LAYOUT_PORTB 0x61

/*
 * ACPI power management (the registers the FADT points at, where QEMU's
 * PIIX4 has them): PM1a event block (status, then enable: 16 bits each),
 * PM1a control block (SCI_EN always set: no SMI to switch modes; SLP_TYP
 * and SLP_EN: sleep type 0 (_S5) powers off), the PM timer (32 bits at
 * 3.579545 MHz), and the reset register (the PIIX's reset control port:
 * a write with bit 2 resets).
 */
#define LAYOUT_ACPI_PM_PORT 0x600
#define ACPI_PM1_STS 0x0
#define ACPI_PM1_EN 0x2
#define ACPI_PM1_CNT 0x4
#define ACPI_PM_TMR 0x8
#define LAYOUT_ACPI_PM_PORTS 0xc
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_SLP_EN 0x2000
#define ACPI_SLP_TYP_SHIFT 10
#define ACPI_SLP_TYP_S5 0
#define ACPI_PM_TIMER_HZ 3579545ULL
#define ACPI_SCI_IRQ 9
#define LAYOUT_ACPI_RESET_PORT 0xcf9
#define ACPI_RESET_VALUE 0x06

/*
 * pc-testdev (--device pc-testdev), QEMU's device for kvm-unit-tests: a
 * 32-bit data register at ports 0xe0-0xe3 (any width), the same register
 * byte by byte at 0xe8-0xeb (so the debug console's 0xe9 is not there while
 * it is on), a flush-page port at 0xe4 (a 4-byte write of a guest-physical
 * page address), the ISA/IOAPIC interrupt lines' levels at 0x2000-0x2017
 * (a write of nonzero raises line N, zero lowers it), and 64 KiB of plain
 * memory at 0xff000000 that is MMIO: every access goes through KVM's
 * instruction emulator.
 */
#define LAYOUT_TESTDEV_PORT 0xe0
#define LAYOUT_TESTDEV_FLUSH_PORT 0xe4
#define LAYOUT_TESTDEV_BYTE_PORT 0xe8
#define LAYOUT_TESTDEV_IRQ_PORT 0x2000
#define PC_TESTDEV_IRQS 24
#define LAYOUT_PC_TESTDEV_MEM 0xff000000ULL
#define PC_TESTDEV_MEM_SIZE 0x10000

/* A PC's low memory as the memory map tells it (all of it is RAM here):
 * the EBDA's last KiB below 640 KiB, the VGA window, the BIOS area (the MP
 * table), and 1 MiB, where "upper memory" starts. */
#define LAYOUT_EBDA 0x9fc00ULL
#define LAYOUT_VGA 0xa0000ULL
#define LAYOUT_BIOS 0xf0000ULL
#define LAYOUT_HIGH_MEM 0x100000ULL

/* Guest RAM below 4 GiB ends where the MMIO hole starts; the rest of RAM
 * continues at 4 GiB. */
#define LAYOUT_MMIO_HOLE 0xc0000000ULL
#define LAYOUT_HIGH_RAM 0x100000000ULL

/*
 * Test MMIO device: registers are 64 bits wide, little-endian, and may be
 * accessed with 1, 2, 4 or 8-byte loads and stores that stay inside one
 * register.
 */
#define LAYOUT_TESTDEV_BASE 0xd0000000ULL
#define LAYOUT_TESTDEV_SIZE 0x1000
#define TESTDEV_ID 0x00       /* read-only: TESTDEV_ID_VALUE */
#define TESTDEV_SCRATCH 0x08  /* read/write, no side effect */
#define TESTDEV_COUNTER 0x10  /* a read returns the value, then adds 1; a write sets it */
#define TESTDEV_ACCESSES 0x18 /* read-only: accesses to the device so far, this one excluded */
#define TESTDEV_ID_VALUE 0x444d564bULL /* "KVMD" */
/* Data window: plain storage a frame buffer would be. Writes to it are
 * coalesced: KVM queues them and kvmdbg applies them, in order, at the next
 * exit (or reads of the window, which exit at once). */
#define TESTDEV_DATA 0x800
#define TESTDEV_DATA_SIZE 0x800

#endif
