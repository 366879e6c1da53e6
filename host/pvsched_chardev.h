/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched control plane (pvsched_chardev.c): the /dev/pvsched misc device.
 */
#ifndef _PVSCHED_CHARDEV_H
#define _PVSCHED_CHARDEV_H

/* Registers /dev/pvsched: sessions may open from here on. */
int pvsched_chardev_init(void);
/* Deregisters it; no session is left (an open file pins the module). */
void pvsched_chardev_exit(void);

#endif /* _PVSCHED_CHARDEV_H */
