// SPDX-License-Identifier: GPL-2.0
/*
 * ABI layout checks for uapi/linux/pvsched.h: sizes and offsets are part of
 * the contract between guest, host module and VMMs.  Compiled as C99 with
 * -Wall -Wextra -Werror; every check is a compile-time assertion, and main()
 * prints the layout for the log.
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/pvsched.h>

#define CHECK(name, cond) typedef char check_##name[(cond) ? 1 : -1]
#define SIZE(type, n) CHECK(size_##type, sizeof(struct type) == (n))
#define OFF(type, field, n) \
	CHECK(off_##type##_##field, offsetof(struct type, field) == (n))

/* shared memory: header and slots are whole cache lines */
SIZE(pvsched_region_header, 64);
OFF(pvsched_region_header, magic, 0);
OFF(pvsched_region_header, abi_major, 4);
OFF(pvsched_region_header, abi_minor, 8);
OFF(pvsched_region_header, nr_slots, 12);
OFF(pvsched_region_header, slot_size, 16);
OFF(pvsched_region_header, slot_offset, 20);
OFF(pvsched_region_header, host_features, 24);
OFF(pvsched_region_header, guest_features, 32);
OFF(pvsched_region_header, guest_abi_major, 40);
OFF(pvsched_region_header, guest_state, 48);
OFF(pvsched_region_header, reserved, 56);
CHECK(hdr_size_macro,
      sizeof(struct pvsched_region_header) == PVSCHED_REGION_HDR_SIZE);

SIZE(pvsched_slot_header, 8);
SIZE(pvsched_guest_area, 24);
SIZE(pvsched_host_area, 24);
SIZE(pvsched_vcpu_slot, 64);
CHECK(slot_size_macro, sizeof(struct pvsched_vcpu_slot) == PVSCHED_SLOT_SIZE);
CHECK(slot_cacheline, PVSCHED_SLOT_SIZE == PVSCHED_CACHELINE);
OFF(pvsched_vcpu_slot, header, 0);
OFF(pvsched_vcpu_slot, guest, 8);
OFF(pvsched_vcpu_slot, host, 32);
OFF(pvsched_vcpu_slot, host_boost, 56);
OFF(pvsched_guest_area, seq, 0);
OFF(pvsched_guest_area, flags, 4);
OFF(pvsched_guest_area, sched_policy, 8);
OFF(pvsched_guest_area, sched_nice, 12);
OFF(pvsched_guest_area, rt_prio, 16);
OFF(pvsched_host_area, seq, 0);
OFF(pvsched_host_area, vcpu_status, 4);
OFF(pvsched_host_area, sched_policy, 8);
OFF(pvsched_host_area, sched_nice, 12);
OFF(pvsched_host_area, rt_prio, 16);
OFF(pvsched_host_area, throttled, 20);
CHECK(region_size, PVSCHED_REGION_SIZE(63) == 4096);
CHECK(status_values, PVSCHED_VCPU_STATUS_VMENTERED == 1 &&
			     PVSCHED_VCPU_STATUS_VMEXITED == 2 &&
			     PVSCHED_VCPU_STATUS_HALTED == 3 &&
			     PVSCHED_VCPU_STATUS_INTR_INJECTED == 0xF0);

/* ioctl structures: no implicit padding, 64-bit fields 8-byte aligned */
SIZE(pvsched_info, 144);
OFF(pvsched_info, features, 32);
OFF(pvsched_info, max_boost_cap_ns, 72);
OFF(pvsched_info, reserved, 96);
OFF(pvsched_info, max_duty_pct, 128);
OFF(pvsched_info, cpu_share_pct, 132);
OFF(pvsched_info, cpu_share_window_ns, 136);
SIZE(pvsched_vcpu_add, 32);
OFF(pvsched_vcpu_add, slot_addr, 8);
OFF(pvsched_vcpu_add, flags, 16);
OFF(pvsched_vcpu_add, pidfd, 24);
OFF(pvsched_vcpu_add, reserved, 28);
SIZE(pvsched_vcpu_del, 8);
SIZE(pvsched_params, 64);
OFF(pvsched_params, max_boost_ns, 24);
OFF(pvsched_params, throttle_ns, 32);
OFF(pvsched_params, debug, 40);
OFF(pvsched_params, withheld_features, 48);
OFF(pvsched_params, reserved, 56);
SIZE(pvsched_vcpu_stats, 304);
OFF(pvsched_vcpu_stats, exits, 40);
OFF(pvsched_vcpu_stats, boosts, 72);
OFF(pvsched_vcpu_stats, kicks, 192);
OFF(pvsched_vcpu_stats, idle_holds, 208);
OFF(pvsched_vcpu_stats, irq_holds, 216);
OFF(pvsched_vcpu_stats, wakes, 224);
OFF(pvsched_vcpu_stats, quiet_exits, 256);
OFF(pvsched_vcpu_stats, blocks, 264);
OFF(pvsched_vcpu_stats, share_throttles, 272);
OFF(pvsched_vcpu_stats, boosted_cpu_ns, 280);
OFF(pvsched_vcpu_stats, base_changes, 288);
OFF(pvsched_vcpu_stats, guest_unoffered, 296);
/* pvsched_counters.h: every __u64 of the stats from exits on, in order */
static const size_t counter_off[] = {
#define PVSCHED_COUNTER(name, member) \
	offsetof(struct pvsched_vcpu_stats, member),
#include <linux/pvsched_counters.h>
};
#define NR_COUNTERS (sizeof(counter_off) / sizeof(counter_off[0]))
CHECK(counters_all, NR_COUNTERS * sizeof(__u64) ==
			    sizeof(struct pvsched_vcpu_stats) -
				    offsetof(struct pvsched_vcpu_stats, exits));
SIZE(pvsched_vm_name, 32);
SIZE(pvsched_vcpu_list, 16);
OFF(pvsched_vcpu_list, ids, 8);
SIZE(pvsched_dump, 56);
OFF(pvsched_dump, vm_size, 4);
OFF(pvsched_dump, nr_vms, 12);
OFF(pvsched_dump, pad, 20);
OFF(pvsched_dump, buf, 24);
OFF(pvsched_dump, len, 32);
OFF(pvsched_dump, reserved, 40);
SIZE(pvsched_dump_vm, 112);
OFF(pvsched_dump_vm, nr_vcpus, 8);
OFF(pvsched_dump_vm, name, 16);
OFF(pvsched_dump_vm, params, 48);
SIZE(pvsched_dump_vcpu, 312);
OFF(pvsched_dump_vcpu, stats, 8);
/* records stay 8-byte aligned one after the other */
CHECK(dump_ver0, sizeof(struct pvsched_dump_vm) == PVSCHED_DUMP_VM_SIZE_VER0 &&
			 sizeof(struct pvsched_dump_vcpu) >
				 PVSCHED_DUMP_VCPU_SIZE_VER0 &&
			 PVSCHED_DUMP_VM_SIZE_VER0 % 8 == 0 &&
			 PVSCHED_DUMP_VCPU_SIZE_VER0 % 8 == 0);

/* ABI 1.1's VCPU_ADD is the structure up to pidfd (zero-extended) */
CHECK(vcpu_add_ver0,
      offsetof(struct pvsched_vcpu_add, pidfd) == PVSCHED_VCPU_ADD_SIZE_VER0);

/* ioctl numbers: one type letter, the right direction, the struct size */
CHECK(ioc_info_dir, _IOC_DIR(PVSCHED_IOC_GET_INFO) == _IOC_READ);
CHECK(ioc_add_dir, _IOC_DIR(PVSCHED_IOC_VCPU_ADD) == _IOC_WRITE);
CHECK(ioc_del_dir, _IOC_DIR(PVSCHED_IOC_VCPU_DEL) == _IOC_WRITE);
CHECK(ioc_setp_dir, _IOC_DIR(PVSCHED_IOC_SET_PARAMS) == _IOC_WRITE);
CHECK(ioc_getp_dir, _IOC_DIR(PVSCHED_IOC_GET_PARAMS) == _IOC_READ);
CHECK(ioc_stats_dir,
      _IOC_DIR(PVSCHED_IOC_GET_STATS) == (_IOC_READ | _IOC_WRITE));
CHECK(ioc_vcpus_dir,
      _IOC_DIR(PVSCHED_IOC_GET_VCPUS) == (_IOC_READ | _IOC_WRITE));
CHECK(ioc_dump_dir, _IOC_DIR(PVSCHED_IOC_DUMP) == (_IOC_READ | _IOC_WRITE) &&
			    _IOC_NR(PVSCHED_IOC_DUMP) == 8 &&
			    _IOC_SIZE(PVSCHED_IOC_DUMP) ==
				    sizeof(struct pvsched_dump));
CHECK(ioc_type, _IOC_TYPE(PVSCHED_IOC_GET_STATS) == PVSCHED_IOCTL_TYPE &&
			_IOC_TYPE(PVSCHED_IOC_VCPU_ADD) == PVSCHED_IOCTL_TYPE);
CHECK(ioc_size, _IOC_SIZE(PVSCHED_IOC_GET_STATS) ==
			sizeof(struct pvsched_vcpu_stats));

int main(void)
{
	size_t i;

	for (i = 0; i < NR_COUNTERS; i++) {
		if (counter_off[i] != offsetof(struct pvsched_vcpu_stats, exits) +
					      i * sizeof(__u64)) {
			printf("pvsched_counters.h: counter %zu is at %zu\n", i,
			       counter_off[i]);
			return 1;
		}
	}
	printf("region header %zu, slot %zu (guest at %zu, host at %zu)\n",
	       sizeof(struct pvsched_region_header),
	       sizeof(struct pvsched_vcpu_slot),
	       offsetof(struct pvsched_vcpu_slot, guest),
	       offsetof(struct pvsched_vcpu_slot, host));
	printf("info %zu, vcpu_add %zu, params %zu, stats %zu\n",
	       sizeof(struct pvsched_info), sizeof(struct pvsched_vcpu_add),
	       sizeof(struct pvsched_params),
	       sizeof(struct pvsched_vcpu_stats));
	printf("dump %zu, dump_vm %zu, dump_vcpu %zu\n",
	       sizeof(struct pvsched_dump), sizeof(struct pvsched_dump_vm),
	       sizeof(struct pvsched_dump_vcpu));
	printf("%zu counters in pvsched_counters.h, in order\n", NR_COUNTERS);
	return 0;
}
