// SPDX-License-Identifier: GPL-2.0
/*
 * Attach state files and the guest's view of the region header.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"
#include "state.h"

void guest_view_read(const volatile struct pvsched_region_header *h,
		     struct guest_view *g)
{
	memset(g, 0, sizeof(*g));
	g->state = h->guest_state;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	g->abi_major = h->guest_abi_major;
	g->abi_minor = h->guest_abi_minor;
	g->generation = h->guest_generation;
	g->offered = h->host_features;
	g->raw = h->guest_features;
	g->accepted = g->raw & g->offered;
	g->ignored = g->raw & ~g->offered;
	/* refused: offered but not taken by a guest that negotiated */
	if (g->state == PVSCHED_GUEST_ACTIVE)
		g->refused = g->offered & ~g->raw;
	else if (g->state == PVSCHED_GUEST_REFUSED)
		g->refused = g->offered;
}

bool guest_view_equal(const struct guest_view *a, const struct guest_view *b)
{
	return a->state == b->state && a->abi_major == b->abi_major &&
	       a->abi_minor == b->abi_minor &&
	       a->generation == b->generation && a->offered == b->offered &&
	       a->raw == b->raw;
}

int state_path(char *buf, size_t len, uint32_t vm_id)
{
	return snprintf(buf, len, "%s/%u.state", run_dir(), vm_id);
}

int state_write(const struct attach_state *st)
{
	char path[4096], tmp[4200];
	const struct guest_view *g = &st->guest;
	FILE *f;

	if (mkdir(run_dir(), 0755) < 0 && errno != EEXIST)
		return -errno;
	state_path(path, sizeof(path), st->vm_id);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"vm_id=%u\nname=%s\nattach_pid=%d\nqemu_pid=%d\nvia=%s\n"
		"qmp=%s\nshm=%s\nnr_slots=%u\nhost_features=0x%llx\n"
		"guest_state=%s\nguest_abi=%u.%u\nguest_generation=%u\n"
		"guest_features=0x%llx\nrefused_features=0x%llx\n"
		"ignored_features=0x%llx\n",
		st->vm_id, st->name, (int)st->attach_pid, (int)st->qemu_pid,
		st->via, st->qmp, st->shm, st->nr_slots,
		(unsigned long long)g->offered, guest_state_name(g->state),
		g->abi_major, g->abi_minor, g->generation,
		(unsigned long long)g->raw, (unsigned long long)g->refused,
		(unsigned long long)g->ignored);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int err = errno;

		unlink(tmp);
		return -err;
	}
	return 0;
}

void state_remove(uint32_t vm_id)
{
	char path[4096];

	state_path(path, sizeof(path), vm_id);
	unlink(path);
}

static uint32_t parse_state_name(const char *s)
{
	uint32_t i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, guest_state_name(i)))
			return i;
	return 0;
}

int state_read(uint32_t vm_id, struct attach_state *st)
{
	char path[4096], *buf, *line, *save = NULL;
	int err;

	memset(st, 0, sizeof(*st));
	state_path(path, sizeof(path), vm_id);
	buf = read_file(path, &err);
	if (!buf)
		return -err;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "vm_id"))
			st->vm_id = strtoul(v, NULL, 0);
		else if (!strcmp(line, "name"))
			snprintf(st->name, sizeof(st->name), "%s", v);
		else if (!strcmp(line, "attach_pid"))
			st->attach_pid = strtol(v, NULL, 0);
		else if (!strcmp(line, "qemu_pid"))
			st->qemu_pid = strtol(v, NULL, 0);
		else if (!strcmp(line, "via"))
			snprintf(st->via, sizeof(st->via), "%s", v);
		else if (!strcmp(line, "qmp"))
			snprintf(st->qmp, sizeof(st->qmp), "%s", v);
		else if (!strcmp(line, "shm"))
			snprintf(st->shm, sizeof(st->shm), "%s", v);
		else if (!strcmp(line, "nr_slots"))
			st->nr_slots = strtoul(v, NULL, 0);
		else if (!strcmp(line, "host_features"))
			st->guest.offered = strtoull(v, NULL, 0);
		else if (!strcmp(line, "guest_state"))
			st->guest.state = parse_state_name(v);
		else if (!strcmp(line, "guest_abi"))
			sscanf(v, "%u.%u", &st->guest.abi_major,
			       &st->guest.abi_minor);
		else if (!strcmp(line, "guest_generation"))
			st->guest.generation = strtoul(v, NULL, 0);
		else if (!strcmp(line, "guest_features"))
			st->guest.raw = strtoull(v, NULL, 0);
		else if (!strcmp(line, "refused_features"))
			st->guest.refused = strtoull(v, NULL, 0);
		else if (!strcmp(line, "ignored_features"))
			st->guest.ignored = strtoull(v, NULL, 0);
	}
	free(buf);
	/* written by an attach that knew only QMP */
	if (!st->via[0])
		snprintf(st->via, sizeof(st->via), "qmp");
	st->guest.accepted = st->guest.raw & st->guest.offered;
	if (st->vm_id != vm_id)
		return -EINVAL;
	if (st->attach_pid <= 0 ||
	    (kill(st->attach_pid, 0) < 0 && errno == ESRCH))
		return -ESRCH;
	return 0;
}

void state_read_live(struct attach_state *st)
{
	struct pvsched_region_header *h;
	struct stat sb;
	int fd;

	st->live = false;
	if (!st->shm[0])
		return;
	fd = open(st->shm, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && sb.st_size >= PVSCHED_REGION_HDR_SIZE) {
		h = mmap(NULL, PVSCHED_REGION_HDR_SIZE, PROT_READ, MAP_SHARED,
			 fd, 0);
		if (h != MAP_FAILED) {
			if (h->magic == PVSCHED_MAGIC) {
				guest_view_read(h, &st->guest);
				st->live = true;
			}
			munmap(h, PVSCHED_REGION_HDR_SIZE);
		}
	}
	close(fd);
}

static void print_features(const char *key, const char *label, uint64_t f)
{
	char buf[128], k[64];

	print_fp("%s %s", label, features_str(f, buf, sizeof(buf)));
	print_hex(PRINT_JSON, key, NULL, f);
	snprintf(k, sizeof(k), "%s_names", key);
	open_json_array(k);
	if (is_json() && f) {
		char *save = NULL, *tok;

		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			print_string(PRINT_JSON, NULL, NULL, tok);
	}
	close_json_array();
}

void guest_view_print(const struct guest_view *g)
{
	print_string(PRINT_ANY, "state", "%s", guest_state_name(g->state));
	print_uint(PRINT_ANY, "abi_major", ", ABI %" PRIu64, g->abi_major);
	print_uint(PRINT_ANY, "abi_minor", ".%" PRIu64, g->abi_minor);
	print_uint(PRINT_ANY, "generation", ", generation %" PRIu64,
		   g->generation);
	print_features("offered", ", offered", g->offered);
	print_features("accepted", ", accepted", g->accepted);
	print_features("refused", ", refused", g->refused);
	print_features("ignored", ", ignored", g->ignored);
}
