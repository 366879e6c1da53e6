/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched admin views (pvsched_debugfs.c): /sys/kernel/debug/pvsched/.
 */
#ifndef _PVSCHED_DEBUGFS_H
#define _PVSCHED_DEBUGFS_H

/* Creates every view; debugfs may be off, which is no error. */
void pvsched_debugfs_init(void);
/* Removes them, once their readers are done. */
void pvsched_debugfs_exit(void);

#endif /* _PVSCHED_DEBUGFS_H */
