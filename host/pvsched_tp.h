/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvsched attach layer (pvsched_tp.c): KVM's events found by name and fed
 * to the engine through its two entry points (pvsched_engine.h).
 */
#ifndef _PVSCHED_TP_H
#define _PVSCHED_TP_H

#include <linux/types.h>

/* Attaches to what is there, then to kvm whenever it comes. */
int pvsched_tp_init(void);
/* Detaches everything; no probe of ours runs after it returns. */
void pvsched_tp_exit(void);

/* The family attached (PVSCHED_TP_*) and its events (PVSCHED_EV_*). */
u32 pvsched_tp_family(void);
u32 pvsched_tp_events(void);
/* "none", "stock" or "paravirt". */
const char *pvsched_tp_family_name(u32 family);

/*
 * @fn for each event pvsched attaches to, in table order, with its name
 * and whether it is attached now (debugfs "tracepoints").  Under the
 * table's mutex: @fn must not call back into pvsched_tp.c.
 */
typedef void (*pvsched_tp_event_fn)(void *priv, const char *name,
				    bool attached);
void pvsched_tp_walk_events(pvsched_tp_event_fn fn, void *priv);

#endif /* _PVSCHED_TP_H */
