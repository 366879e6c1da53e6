/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched sessions (pvsched_vm.c): one struct pvsched_vm per open
 * /dev/pvsched file, each with the vCPU threads registered in it.
 *
 * Object lifetime:
 *   struct pvsched_vm    created at open (pvsched_vm_create()), destroyed
 *                        when the file goes (pvsched_vm_destroy(), which
 *                        removes its vCPUs first).
 *   struct pvsched_vcpu  created by pvsched_vcpu_add(), handed to the engine
 *                        with pvsched_vcpu_start(), taken back with
 *                        pvsched_vcpu_stop() (after which the engine holds no
 *                        reference and no probe, timer or work item can
 *                        touch it), then freed by pvsched_vm.c.
 *
 * Locking: a session's mutex (vm->lock) serialises its ioctls and protects
 * its vCPUs, name and params; the list of sessions has its own mutex in
 * pvsched_vm.c.  Nesting: session list -> vm->lock -> mmap_lock and the
 * engine's locks.  Every function below takes the locks it needs.
 */
#ifndef _PVSCHED_VM_H
#define _PVSCHED_VM_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include "../uapi/linux/pvsched.h"
#include "pvsched_engine.h"

struct mm_struct;
struct page;
struct task_struct;

struct pvsched_vm {
	struct list_head node; /* in the list of sessions */
	u32 id;
	pid_t pid; /* the opener's tgid, init pid namespace */
	struct mutex lock; /* serialises the session; protects what follows */
	char name[PVSCHED_NAME_LEN]; /* NUL-terminated, "" if none */
	struct xarray vcpus; /* vcpu_id -> struct pvsched_vcpu */
	u32 nr_vcpus;
	/*
	 * Tunables.  Written under lock with WRITE_ONCE per field by
	 * SET_PARAMS; the engine reads them with READ_ONCE from any context.
	 */
	struct pvsched_params params;
	struct pvsched_engine_vm engine; /* owned by the engine */
};

struct pvsched_vcpu {
	struct pvsched_vm *vm;
	u32 vcpu_id;
	pid_t tid; /* in the init pid namespace */
	struct task_struct *task; /* reference held while registered */
	struct page *page; /* pinned page holding the slot */
	struct mm_struct *mm; /* its locked_vm holds the pin (mmgrab'ed) */
	struct pvsched_vcpu_slot *slot; /* kernel address of the slot */
	struct pvsched_engine_vcpu engine; /* owned by the engine */
};

/*
 * vCPUs registered, all sessions: the one count of them.  Each holds one
 * pinned page and is counted from its pin to its unpin, so this is also the
 * number of pages pinned (GET_INFO's pinned_pages).  The engine's probes
 * return at once while it is 0.
 */
extern atomic_t pvsched_nr_vcpus;

/* Sessions open now. */
u32 pvsched_nr_vms(void);

/* A new session of the calling process (open); ERR_PTR(-ENOMEM) etc. */
struct pvsched_vm *pvsched_vm_create(void);
/* Its last file reference is gone: every vCPU removed, then the session. */
void pvsched_vm_destroy(struct pvsched_vm *vm);

/*
 * VCPU_ADD of @req, whose flags, padding, vcpu_id range and slot alignment
 * the caller checked: the thread (caller's pid namespace) and whose it is
 * (the pidfd's process or the caller's), the permission checks, the caps'
 * limits, the slot pinned, the engine started.  0 or the uapi header's
 * errors.
 */
int pvsched_vcpu_add(struct pvsched_vm *vm, const struct pvsched_vcpu_add *req);
/* VCPU_DEL: the thread restored, the slot unpinned.  0 or -ENOENT. */
int pvsched_vcpu_del(struct pvsched_vm *vm, u32 vcpu_id);

/* SET_PARAMS of params checked by pvsched_params_check(); GET_PARAMS. */
void pvsched_vm_set_params(struct pvsched_vm *vm,
			   const struct pvsched_params *p);
void pvsched_vm_get_params(struct pvsched_vm *vm, struct pvsched_params *p);
/* SET_NAME of a name checked by the caller (NUL-terminated, printable). */
void pvsched_vm_set_name(struct pvsched_vm *vm, const char *name);
/* GET_STATS of st->vcpu_id (the rest of *st is output): 0 or -ENOENT. */
int pvsched_vm_get_stats(struct pvsched_vm *vm,
			 struct pvsched_vcpu_stats *st);
/*
 * GET_VCPUS: the ids of at most @max vCPUs, ascending, in a kmalloc'ed
 * array (*ids, NULL when empty; the caller frees it), and their number in
 * *n.  Returns the number of vCPUs registered, or -ENOMEM.
 */
int pvsched_vm_get_vcpus(struct pvsched_vm *vm, u32 max, u32 **ids, u32 *n);

/*
 * The walk of the admin views (PVSCHED_IOC_DUMP, debugfs "vms"): @vm_fn for
 * each session in the order they were opened, then @vcpu_fn for each of its
 * vCPUs by ascending vcpu_id, with the records filled under the session
 * list's lock and the session's: each session is seen at one instant.  The
 * callbacks may sleep, not call back into this file; a nonzero return ends
 * the walk and is returned.
 */
typedef int (*pvsched_walk_vm_fn)(void *priv,
				  const struct pvsched_dump_vm *rec);
typedef int (*pvsched_walk_vcpu_fn)(void *priv,
				    const struct pvsched_dump_vcpu *rec);
int pvsched_vm_walk(pvsched_walk_vm_fn vm_fn, pvsched_walk_vcpu_fn vcpu_fn,
		    void *priv);

#endif /* _PVSCHED_VM_H */
