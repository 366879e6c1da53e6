// SPDX-License-Identifier: GPL-2.0
/*
 * pvschedctl attach: the pvsched device process of a stock QEMU VM.
 *
 * QEMU runs with
 *   -object memory-backend-file,id=pvsched,share=on,mem-path=PATH,size=SIZE
 *   -device ivshmem-plain,memdev=pvsched -qmp unix:SOCKET,server=on,wait=off
 * attach asks QMP for the vCPU threads (query-cpus-fast), or with --pid
 * finds them by their names in /proc/PID/task (QEMU started with
 * -name ...,debug-threads=on, as libvirt does, whose QMP socket is
 * libvirt's own), checks that each is a thread of QEMU's process (owner.c:
 * QEMU's word is not trusted), maps PATH (tmpfs or hugetlbfs), writes the
 * region header, opens a /dev/pvsched session, registers every vCPU with a
 * pidfd of QEMU and then stays: the session lives as long as this process.
 * It leaves when QEMU exits (its pidfd, or QMP EOF / SHUTDOWN with
 * --keep-qmp) or on SIGINT/SIGTERM; closing the session unregisters the
 * vCPUs.  While attached it logs the guest's negotiation (header polled
 * every second) and publishes it in RUN_DIR/<vm_id>.state for status,
 * with how the VM was attached (via=qmp or via=pid).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "json_print.h"
#include "main.h"
#include "owner.h"
#include "qmp.h"
#include "state.h"

/* statfs(2) f_type of the filesystems a region may live on */
#define TMPFS_MAGIC 0x01021994
#define HUGETLBFS_MAGIC 0x958458f6

struct attach {
	const char *qmp_path;
	pid_t pid; /* --pid, 0 if --qmp */
	const char *shm_path;
	const char *name;
	bool keep_qmp;
	bool have_params;
	struct pvsched_params params;
	uint32_t params_set; /* bit per param_keys entry given */

	struct qmp qmp;
	struct vmm vmm; /* QEMU: its pidfd is the owner of every vCPU */
	int shm_fd, dev_fd;
	bool owner_pidfd; /* the module takes PVSCHED_VCPU_ADD_PIDFD */
	void *map;
	size_t map_len;
	struct qmp_vcpu *vcpus; /* cpu-index = guest CPU id = slot */
	int nr_vcpus;
	struct attach_state st;
	bool state_written;
};

static void attach_help(void)
{
	printf("Usage: pvschedctl attach { --qmp SOCKET | --pid PID } --shm PATH\n"
	       "                         [--name NAME]\n"
	       "                         [--params KEY=VALUE[,KEY=VALUE...]]\n"
	       "                         [--keep-qmp] [--foreground]\n"
	       "       pvschedctl attach help\n"
	       "\n"
	       "KEY := { cs_policy | cs_prio | cs_nice | intr_policy | intr_prio |\n"
	       "         intr_nice | max_boost_us | throttle_us | debug |\n"
	       "         kick_boost | idle_hold | irq_hold | timer_boost |\n"
	       "         lazy_demote }\n"
	       "\n"
	       "Attaches a stock QEMU VM started with\n"
	       "  -object memory-backend-file,id=pvsched,share=on,mem-path=PATH,size=SIZE\n"
	       "  -device ivshmem-plain,memdev=pvsched -qmp unix:SOCKET,server=on,wait=off\n"
	       "reads its vCPU threads (QMP query-cpus-fast), checks that each is a\n"
	       "thread of the QEMU process serving SOCKET, writes the region header\n"
	       "into PATH (a file on tmpfs or hugetlbfs, not a symbolic link),\n"
	       "registers every vCPU with /dev/pvsched and stays in the foreground as\n"
	       "the VM's pvsched device process until QEMU exits or SIGINT/SIGTERM.\n"
	       "A VM started with -S is resumed once registered.  --keep-qmp stays\n"
	       "connected to QMP (otherwise the socket is released and QEMU is\n"
	       "watched through a pidfd); --foreground is the default.\n"
	       "--pid PID instead of --qmp: QEMU process PID, whose vCPU threads are\n"
	       "found by their names \"CPU N/KVM\" (QEMU started with\n"
	       "-name ...,debug-threads=on, as libvirt does); no QMP is used, so the\n"
	       "VM is not resumed, and without --name the session takes QEMU's -name.\n");
}

/* --- --params ------------------------------------------------------------ */

enum {
	P_CS_POLICY,
	P_CS_PRIO,
	P_CS_NICE,
	P_INTR_POLICY,
	P_INTR_PRIO,
	P_INTR_NICE,
	P_MAX_BOOST,
	P_THROTTLE,
	P_DEBUG,
	P_FLAGS, /* the mechanisms, 1 (on, the module's default) or 0: below */
	P_NR = P_FLAGS + 5
};

static const char *const param_keys[P_NR] = {
	"cs_policy",  "cs_prio",     "cs_nice",	    "intr_policy",
	"intr_prio",  "intr_nice",   "max_boost_us", "throttle_us",
	"debug",      "kick_boost",  "idle_hold",    "irq_hold",
	"timer_boost", "lazy_demote",
};

/* The PVSCHED_PARAMS_NO_* flag of each mechanism key, from P_FLAGS on. */
static const uint32_t param_flags[P_NR - P_FLAGS] = {
	PVSCHED_PARAMS_NO_KICK_BOOST,  PVSCHED_PARAMS_NO_IDLE_HOLD,
	PVSCHED_PARAMS_NO_IRQ_HOLD,    PVSCHED_PARAMS_NO_TIMER_BOOST,
	PVSCHED_PARAMS_NO_LAZY_DEMOTE,
};

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 0);
	return (!*s || *end || errno || *out < lo || *out > hi) ? -1 : 0;
}

static int parse_params(struct attach *a, const char *arg)
{
	struct pvsched_params *p = &a->params;
	char *copy = strdup(arg), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');
		uint32_t policy;
		long v = 0;
		int k;

		if (!val || val == tok || !val[1]) {
			ret = usage_error(
				"attach: --params: '%s' is not KEY=VALUE", tok);
			goto out;
		}
		*val++ = '\0';
		for (k = 0; k < P_NR; k++)
			if (!strcmp(tok, param_keys[k]))
				break;
		if (k == P_NR) {
			ret = usage_error(
				"attach: --params: unknown key '%s'; try \"pvschedctl attach help\"",
				tok);
			goto out;
		}
		switch (k) {
		case P_CS_POLICY:
		case P_INTR_POLICY:
			if (policy_parse(val, &policy) || policy > 2) {
				ret = usage_error(
					"attach: --params: %s must be normal, fifo or rr",
					tok);
				goto out;
			}
			v = policy;
			break;
		case P_CS_PRIO:
		case P_INTR_PRIO:
			if (parse_long(val, 0, 99, &v))
				goto range;
			break;
		case P_CS_NICE:
		case P_INTR_NICE:
			if (parse_long(val, -20, 19, &v))
				goto range;
			break;
		case P_MAX_BOOST:
		case P_THROTTLE:
			if (parse_long(val, 1, 100000000, &v))
				goto range;
			break;
		default: /* P_DEBUG and the mechanisms */
			if (parse_long(val, 0, 1, &v))
				goto range;
			break;
		}
		a->params_set |= 1u << k;
		switch (k) {
		case P_CS_POLICY:
			p->cs_policy = v;
			break;
		case P_CS_PRIO:
			p->cs_rt_prio = v;
			break;
		case P_CS_NICE:
			p->cs_nice = v;
			break;
		case P_INTR_POLICY:
			p->intr_policy = v;
			break;
		case P_INTR_PRIO:
			p->intr_rt_prio = v;
			break;
		case P_INTR_NICE:
			p->intr_nice = v;
			break;
		case P_MAX_BOOST:
			p->max_boost_ns = v * 1000ULL;
			break;
		case P_THROTTLE:
			p->throttle_ns = v * 1000ULL;
			break;
		case P_DEBUG:
			p->debug = v;
			break;
		default:
			/* 1 (the module's default) clears the "off" flag */
			if (v)
				p->flags &= ~param_flags[k - P_FLAGS];
			else
				p->flags |= param_flags[k - P_FLAGS];
			break;
		}
		continue;
range:
		ret = usage_error("attach: --params: bad value '%s' for %s",
				  val, tok);
		goto out;
	}
	a->have_params = true;
out:
	free(copy);
	return ret;
}

/* Our values over the session's current ones (GET_PARAMS). */
static void merge_params(const struct attach *a, struct pvsched_params *cur)
{
	const struct pvsched_params *p = &a->params;
	uint32_t s = a->params_set;
	int k;

	if (s & (1u << P_CS_POLICY)) {
		cur->cs_policy = p->cs_policy;
		/* a priority only goes with an RT policy */
		if (!(s & (1u << P_CS_PRIO)))
			cur->cs_rt_prio =
				p->cs_policy ? (cur->cs_rt_prio ?: 1) : 0;
	}
	if (s & (1u << P_CS_PRIO))
		cur->cs_rt_prio = p->cs_rt_prio;
	if (s & (1u << P_CS_NICE))
		cur->cs_nice = p->cs_nice;
	if (s & (1u << P_INTR_POLICY)) {
		cur->intr_policy = p->intr_policy;
		if (!(s & (1u << P_INTR_PRIO)))
			cur->intr_rt_prio =
				p->intr_policy ? (cur->intr_rt_prio ?: 1) : 0;
	}
	if (s & (1u << P_INTR_PRIO))
		cur->intr_rt_prio = p->intr_rt_prio;
	if (s & (1u << P_INTR_NICE))
		cur->intr_nice = p->intr_nice;
	if (s & (1u << P_MAX_BOOST))
		cur->max_boost_ns = p->max_boost_ns;
	if (s & (1u << P_THROTTLE))
		cur->throttle_ns = p->throttle_ns;
	if (s & (1u << P_DEBUG))
		cur->debug = p->debug;
	for (k = P_FLAGS; k < P_NR; k++) {
		uint32_t f = param_flags[k - P_FLAGS];

		if (s & (1u << k))
			cur->flags = (cur->flags & ~f) | (p->flags & f);
	}
}

/* --- steps --------------------------------------------------------------- */

/*
 * QEMU's process and its vCPU threads, by QMP or by their names (--pid),
 * each thread checked to be QEMU's; the VM's state and -name.
 */
static int find_vm(struct attach *a, bool *prelaunch, char *name,
		   size_t namelen)
{
	struct qmp_vm vm;
	char err[512];

	*prelaunch = false;
	name[0] = '\0';
	if (a->pid) {
		if (vmm_from_pid(&a->vmm, a->pid, err, sizeof(err)) < 0 ||
		    vmm_find_vcpus(&a->vmm, &a->vcpus, &a->nr_vcpus, err,
				   sizeof(err)) < 0) {
			print_err("attach: %s", err);
			return -1;
		}
		vmm_qemu_name(&a->vmm, name, namelen);
	} else {
		/* SIGINT/SIGTERM end a wait for QEMU, other signals do not */
		a->qmp.cancel = &stop_signal;
		if (qmp_open(&a->qmp, a->qmp_path, err, sizeof(err)) < 0 ||
		    vmm_from_socket(&a->vmm, a->qmp.fd, a->qmp.connect_ns, err,
				    sizeof(err)) < 0 ||
		    qmp_query_vm(&a->qmp, &vm, err, sizeof(err)) < 0) {
			print_err("attach: %s", err);
			return -1;
		}
		a->vcpus = vm.vcpus;
		a->nr_vcpus = vm.nr_vcpus;
		*prelaunch = vm.prelaunch;
		snprintf(name, namelen, "%s", vm.name);
	}
	/* QEMU's word is not trusted: every thread must be QEMU's own */
	if (vmm_check_vcpus(&a->vmm, a->vcpus, a->nr_vcpus, err, sizeof(err)) <
	    0) {
		print_err("attach: %s", err);
		return -1;
	}
	return 0;
}

/*
 * The region file, opened and locked before anything else: attach runs as
 * root, so the file must be the one named (not a symbolic link: the last
 * component is not followed) and shared memory, tmpfs or hugetlbfs (the
 * module pins its page long-term, which a disk file's page cache does not
 * take well).
 */
static int open_region(struct attach *a)
{
	struct statfs fs;
	struct stat sb;

	a->shm_fd = open(a->shm_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (a->shm_fd < 0 && errno == ELOOP) {
		print_err(
			"attach: --shm %s is a symbolic link: refused, give the file itself",
			a->shm_path);
		return -1;
	}
	if (a->shm_fd < 0) {
		print_errno(errno, "attach: open %s", a->shm_path);
		return -1;
	}
	if (fstat(a->shm_fd, &sb) < 0 || fstatfs(a->shm_fd, &fs) < 0) {
		print_errno(errno, "attach: stat %s", a->shm_path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		print_err("attach: --shm %s is not a regular file",
			  a->shm_path);
		return -1;
	}
	if (fs.f_type != TMPFS_MAGIC && fs.f_type != HUGETLBFS_MAGIC) {
		print_err(
			"attach: --shm %s is not on tmpfs or hugetlbfs (filesystem type 0x%lx): the region must be shared memory, e.g. a file under /dev/shm",
			a->shm_path, (unsigned long)fs.f_type);
		return -1;
	}
	if (flock(a->shm_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			print_err(
				"attach: %s is in use by another pvschedctl attach",
				a->shm_path);
		else
			print_errno(errno, "attach: flock %s", a->shm_path);
		return -1;
	}
	return 0;
}

static int map_region(struct attach *a, uint32_t nr_slots)
{
	uint64_t need = PVSCHED_REGION_SIZE(nr_slots);
	struct stat sb;

	if (fstat(a->shm_fd, &sb) < 0) {
		print_errno(errno, "attach: stat %s", a->shm_path);
		return -1;
	}
	if ((uint64_t)sb.st_size < need) {
		print_err(
			"attach: %s is %lld bytes, too small for %u vCPU slots: the region needs %llu bytes (memory-backend-file size=%lluK or more)",
			a->shm_path, (long long)sb.st_size, nr_slots,
			(unsigned long long)need,
			(unsigned long long)((need + 1023) / 1024));
		return -1;
	}
	a->map_len = sb.st_size;
	a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      a->shm_fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		print_errno(errno, "attach: mmap %s", a->shm_path);
		return -1;
	}
	return 0;
}

/* Everything but the magic, which goes last (publish_region). */
static void write_region(struct attach *a, uint32_t nr_slots, uint64_t features)
{
	volatile struct pvsched_region_header *h = a->map;

	__atomic_store_n(&h->magic, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memset((char *)a->map + PVSCHED_REGION_HDR_SIZE, 0,
	       (size_t)nr_slots * PVSCHED_SLOT_SIZE);
	h->abi_major = PVSCHED_ABI_MAJOR;
	h->abi_minor = PVSCHED_ABI_MINOR;
	h->nr_slots = nr_slots;
	h->slot_size = PVSCHED_SLOT_SIZE;
	h->slot_offset = PVSCHED_REGION_HDR_SIZE;
	h->host_features = features;
	h->guest_features = 0;
	h->guest_abi_major = 0;
	h->guest_abi_minor = 0;
	h->guest_state = PVSCHED_GUEST_NONE;
	h->guest_generation = 0;
	h->reserved[0] = 0;
	h->reserved[1] = 0;
}

static void publish_region(struct attach *a)
{
	volatile struct pvsched_region_header *h = a->map;

	__atomic_store_n(&h->magic, PVSCHED_MAGIC, __ATOMIC_RELEASE);
	msync(a->map, PVSCHED_REGION_HDR_SIZE, MS_ASYNC);
}

static void clear_magic(struct attach *a)
{
	volatile struct pvsched_region_header *h = a->map;

	if (a->map)
		__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
}

static int setup_session(struct attach *a, const char *name)
{
	struct pvsched_params cur;
	int i;

	if (name[0]) {
		struct pvsched_vm_name vn;

		memset(&vn, 0, sizeof(vn));
		snprintf(vn.name, sizeof(vn.name), "%s", name);
		if (ioctl(a->dev_fd, PVSCHED_IOC_SET_NAME, &vn) < 0) {
			print_errno(errno, "attach: SET_NAME '%s'", vn.name);
			return -1;
		}
	}
	if (a->have_params) {
		memset(&cur, 0, sizeof(cur));
		if (ioctl(a->dev_fd, PVSCHED_IOC_GET_PARAMS, &cur) < 0) {
			print_errno(errno, "attach: GET_PARAMS");
			return -1;
		}
		merge_params(a, &cur);
		if (ioctl(a->dev_fd, PVSCHED_IOC_SET_PARAMS, &cur) < 0) {
			int err = errno;

			print_errno(
				err, "attach: SET_PARAMS%s",
				err == EPERM ?
					" (beyond the admin caps, see pvschedctl caps show)" :
					"");
			return -1;
		}
	}
	for (i = 0; i < a->nr_vcpus; i++) {
		struct pvsched_vcpu_add add;

		memset(&add, 0, sizeof(add));
		add.vcpu_id = a->vcpus[i].index;
		add.tid = a->vcpus[i].tid;
		add.slot_addr = (uint64_t)(uintptr_t)a->map +
				PVSCHED_REGION_HDR_SIZE +
				(uint64_t)a->vcpus[i].index * PVSCHED_SLOT_SIZE;
		/* the module checks again, without a race, that it is QEMU's */
		if (a->owner_pidfd) {
			add.flags = PVSCHED_VCPU_ADD_PIDFD;
			add.pidfd = a->vmm.pidfd;
		}
		if (ioctl(a->dev_fd, PVSCHED_IOC_VCPU_ADD, &add) < 0) {
			int err = errno;

			print_errno(
				err, "attach: VCPU_ADD vcpu %u tid %u%s",
				add.vcpu_id, add.tid,
				err == EPERM ?
					" (not QEMU's thread, or one root may not reschedule: see the kernel log)" :
					"");
			return -1;
		}
	}
	return 0;
}

static void log_guest(uint32_t vm_id, const struct guest_view *g)
{
	char buf[128];

	new_json_obj();
	print_string(PRINT_JSON, "event", NULL, "guest");
	print_uint(PRINT_ANY, "vm_id", "vm %" PRIu64 ": guest ", vm_id);
	open_json_object("guest");
	guest_view_print(g);
	close_json_object();
	print_nl();
	delete_json_obj();
	if (g->state == PVSCHED_GUEST_REFUSED)
		print_err(
			"attach: the guest driver refused the region (guest ABI %u.%u, host ABI %u.%u)",
			g->abi_major, g->abi_minor, PVSCHED_ABI_MAJOR,
			PVSCHED_ABI_MINOR);
	if (g->ignored)
		print_err(
			"attach: guest claims features the host never offered: %s (0x%llx); ignored",
			features_str(g->ignored, buf, sizeof(buf)),
			(unsigned long long)g->ignored);
	fflush(stdout);
}

static void print_attached(const struct attach *a, bool resumed)
{
	char buf[128];
	int i;

	new_json_obj();
	print_string(PRINT_JSON, "event", NULL, "attached");
	print_uint(PRINT_ANY, "vm_id", "attached vm %" PRIu64, a->st.vm_id);
	print_string(PRINT_ANY, "name", " (%s)",
		     a->st.name[0] ? a->st.name : "-");
	print_int(PRINT_ANY, "qemu_pid", ": qemu pid %" PRId64, a->st.qemu_pid);
	print_string(PRINT_ANY, "via", " (via %s)", a->st.via);
	print_string(PRINT_ANY, "shm", ", region %s", a->shm_path);
	print_uint(PRINT_ANY, "nr_slots", ", %" PRIu64 " slots",
		   a->st.nr_slots);
	print_hex(PRINT_JSON, "host_features", NULL, a->st.guest.offered);
	print_fp(", host features %s",
		 features_str(a->st.guest.offered, buf, sizeof(buf)));
	print_bool(PRINT_JSON, "resumed", NULL, resumed);
	print_nl();
	open_json_array("vcpus");
	for (i = 0; i < a->nr_vcpus; i++) {
		open_json_object(NULL);
		print_uint(PRINT_ANY, "vcpu_id", "  vcpu %" PRIu64,
			   a->vcpus[i].index);
		print_uint(PRINT_ANY, "tid", " tid %" PRIu64 " registered\n",
			   a->vcpus[i].tid);
		close_json_object();
	}
	close_json_array();
	if (resumed)
		print_fp("resumed the VM (it was started with -S)\n");
	delete_json_obj();
	fflush(stdout);
}

static void print_detached(const struct attach *a, const char *reason)
{
	new_json_obj();
	print_string(PRINT_JSON, "event", NULL, "detached");
	print_uint(PRINT_ANY, "vm_id", "detached vm %" PRIu64, a->st.vm_id);
	print_string(PRINT_ANY, "reason", ": %s; session closed\n", reason);
	delete_json_obj();
	fflush(stdout);
}

/* SHUTDOWN's reason; "guest-reset" is also what a guest triple fault gives. */
static const char *shutdown_why(const struct qmp *q)
{
	if (!q->rd.shutdown_seen)
		return "";
	return q->rd.shutdown_reason[0] ? q->rd.shutdown_reason :
					  "no reason given";
}

/* Waits for QEMU's exit or a signal, logging the guest's negotiation. */
static const char *attach_loop(struct attach *a)
{
	static char reason[128];
	struct guest_view last, now;

	memset(&last, 0, sizeof(last));
	last.offered = a->st.guest.offered;
	for (;;) {
		struct pollfd pfd[2];
		int n = 0, r, i;

		if (stop_signal) {
			snprintf(reason, sizeof(reason), "stopped by %s",
				 strsignal(stop_signal));
			return reason;
		}
		guest_view_read(a->map, &now);
		if (!guest_view_equal(&now, &last)) {
			last = now;
			a->st.guest = now;
			log_guest(a->st.vm_id, &now);
			/* on failure status falls back to the live header */
			(void)state_write(&a->st);
		}
		if (a->vmm.pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = a->vmm.pidfd,
						    .events = POLLIN };
		if (a->qmp.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = a->qmp.fd,
						    .events = POLLIN };
		r = poll(pfd, n, 1000);
		if (r < 0 && errno != EINTR) {
			snprintf(reason, sizeof(reason), "poll: %s",
				 strerror(errno));
			return reason;
		}
		for (i = 0; r > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == a->vmm.pidfd) {
				/* a SHUTDOWN event still queued says why */
				if (a->qmp.fd >= 0)
					(void)qmp_pump(&a->qmp);
				snprintf(reason, sizeof(reason),
					 "QEMU (pid %d) exited%s%s%s",
					 (int)a->st.qemu_pid,
					 a->qmp.rd.shutdown_seen ?
						 " after SHUTDOWN (" : "",
					 shutdown_why(&a->qmp),
					 a->qmp.rd.shutdown_seen ? ")" : "");
				return reason;
			}
			r = qmp_pump(&a->qmp);
			if (r == -EPIPE) {
				snprintf(reason, sizeof(reason),
					 "QEMU closed the QMP socket");
				return reason;
			}
			if (r < 0) {
				snprintf(reason, sizeof(reason), "QMP: %.100s",
					 a->qmp.rd.err);
				return reason;
			}
			if (a->qmp.rd.shutdown_seen) {
				snprintf(reason, sizeof(reason),
					 "QEMU reported SHUTDOWN (%s)",
					 shutdown_why(&a->qmp));
				return reason;
			}
		}
	}
}

/* --pid's value: a pid, 1..2^22 (PID_MAX_LIMIT); 0 if not one. */
static pid_t parse_pid(const char *s)
{
	long v;

	return parse_long(s, 1, 4194304, &v) ? 0 : (pid_t)v;
}

int do_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "pid", required_argument, NULL, 'i' },
		{ "shm", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "params", required_argument, NULL, 'P' },
		{ "keep-qmp", no_argument, NULL, 'k' },
		{ "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct attach a = { .shm_fd = -1, .dev_fd = -1 };
	struct pvsched_info info;
	char err[512], qname[128];
	const char *reason;
	bool prelaunch, resumed = false, json = is_json(), pretty = false;
	uint32_t nr_slots;
	int c, ret = EXIT_FAIL;

	a.qmp.fd = -1;
	a.vmm.pidfd = -1;
	if (getopt_begin(&argc, &argv, attach_help))
		return EXIT_OK;
	while ((c = getopt_cmd(argc, argv, "+jph", opts, &json,
				&pretty)) != -1) {
		switch (c) {
		case 'q':
			a.qmp_path = optarg;
			break;
		case 'i':
			a.pid = parse_pid(optarg);
			if (!a.pid)
				return usage_error(
					"attach: --pid '%s' is not a process id",
					optarg);
			break;
		case 's':
			a.shm_path = optarg;
			break;
		case 'n':
			a.name = optarg;
			break;
		case 'P':
			if (parse_params(&a, optarg))
				return EXIT_USAGE;
			break;
		case 'k':
			a.keep_qmp = true;
			break;
		case 'f':
			break; /* the default */
		case 'h':
			attach_help();
			return EXIT_OK;
		default:
			if (optopt)
				return usage_error(
					"attach: option '%s' needs an argument",
					argv[optind - 1]);
			return usage_error("attach: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("attach: unexpected argument '%s'",
				   argv[optind]);
	if (a.qmp_path && a.pid)
		return usage_error(
			"attach: --qmp SOCKET and --pid PID exclude each other");
	if (!a.qmp_path && !a.pid)
		return usage_error(
			"attach: --qmp SOCKET or --pid PID is required");
	if (!a.shm_path)
		return usage_error("attach: --shm PATH is required");
	if (a.keep_qmp && a.pid)
		return usage_error(
			"attach: --keep-qmp goes with --qmp, not --pid");
	if (a.name) {
		const unsigned char *p = (const unsigned char *)a.name;

		while (*p >= 0x20 && *p <= 0x7e)
			p++;
		if (*p || !a.name[0] || strlen(a.name) >= PVSCHED_NAME_LEN)
			return usage_error("attach: --name must be 1..%d printable ASCII characters",
					   PVSCHED_NAME_LEN - 1);
	}
	if (json || pretty)
		json_setup(true, pretty);
	/* from here on a signal interrupts the setup, which then cleans up */
	install_stop_handlers();

	if (!module_loaded()) {
		print_err("attach: pvsched module not loaded");
		return EXIT_NOMOD;
	}
	a.dev_fd = pvsched_open_info(&info);
	if (a.dev_fd < 0) {
		print_errno(-a.dev_fd, "attach: %s", dev_path());
		return a.dev_fd == -ENOENT ? EXIT_NOMOD : EXIT_FAIL;
	}
	if (info.abi_major != PVSCHED_ABI_MAJOR) {
		print_err("attach: ABI mismatch: tool %u.%u, module %u.%u",
			  PVSCHED_ABI_MAJOR, PVSCHED_ABI_MINOR, info.abi_major,
			  info.abi_minor);
		close(a.dev_fd);
		return EXIT_VERSION;
	}
	/* ABI 1.2: the module checks each thread against QEMU's pidfd */
	a.owner_pidfd = info.abi_minor >= 2;
	if (!a.owner_pidfd)
		print_err(
			"attach: note: pvsched.ko ABI %u.%u takes no pidfd with VCPU_ADD (1.2 and later): QEMU's threads are checked here only",
			info.abi_major, info.abi_minor);

	if (open_region(&a) < 0)
		goto out;
	if (find_vm(&a, &prelaunch, qname, sizeof(qname)) < 0)
		goto out;
	nr_slots = a.vcpus[a.nr_vcpus - 1].index + 1;
	if (map_region(&a, nr_slots) < 0)
		goto out;

	a.st.vm_id = info.vm_id;
	snprintf(a.st.name, sizeof(a.st.name), "%s", a.name ? a.name : qname);
	if (!a.name) {
		/* QEMU's -name, truncated: make it acceptable to SET_NAME */
		char *p;

		for (p = a.st.name; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				*p = '_';
	}
	a.st.attach_pid = getpid();
	a.st.qemu_pid = a.vmm.pid;
	snprintf(a.st.via, sizeof(a.st.via), "%s", a.pid ? "pid" : "qmp");
	snprintf(a.st.qmp, sizeof(a.st.qmp), "%s",
		 a.qmp_path ? a.qmp_path : "");
	snprintf(a.st.shm, sizeof(a.st.shm), "%s", a.shm_path);
	a.st.nr_slots = nr_slots;
	a.st.guest.offered = info.features & PVSCHED_F_ALL;

	write_region(&a, nr_slots, a.st.guest.offered);
	if (setup_session(&a, a.st.name) < 0) {
		clear_magic(&a);
		goto out;
	}
	publish_region(&a);
	if (state_write(&a.st) < 0)
		print_errno(
			errno,
			"attach: state file in %s (status will not show the guest)",
			run_dir());
	else
		a.state_written = true;

	if (prelaunch) {
		json_object *r = qmp_cmd(&a.qmp, "cont", err, sizeof(err));

		if (!r)
			print_err("attach: cannot resume the VM: %s", err);
		resumed = r != NULL;
		json_object_put(r);
	}
	print_attached(&a, resumed);
	/* QEMU serves one QMP client at a time: let others in */
	if (!a.keep_qmp)
		qmp_close(&a.qmp);

	reason = attach_loop(&a);
	clear_magic(&a);
	print_detached(&a, reason);
	ret = EXIT_OK;
out:
	if (a.state_written)
		state_remove(a.st.vm_id);
	if (a.dev_fd >= 0)
		close(a.dev_fd); /* unregisters every vCPU */
	vmm_close(&a.vmm);
	if (a.map)
		munmap(a.map, a.map_len);
	if (a.shm_fd >= 0)
		close(a.shm_fd);
	qmp_close(&a.qmp);
	free(a.vcpus);
	return ret;
}
