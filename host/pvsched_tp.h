/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched attach layer (pvsched_tp.c): KVM events by name.  The family and
 * event getters (pvsched_tp_family() ...) are declared in pvsched.h.
 */
#ifndef _PVSCHED_TP_H
#define _PVSCHED_TP_H

struct dentry;

/* Creates <debugfs_dir>/tracepoints and attaches to what is there. */
int pvsched_tp_init(struct dentry *debugfs_dir);
/* Detaches everything; no probe of ours runs after it returns. */
void pvsched_tp_exit(void);

#endif /* _PVSCHED_TP_H */
